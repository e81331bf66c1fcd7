package io.jvirt.e2e;

import io.jvirt.launcher.libvirt.LibvirtDaemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * {@code jvirt up --data-dir D --port P} as a child JVM (this test's classpath), one log file per launch. The
 * platform leaves its private libvirtd and the guests running when it exits (by design); {@link #stopLibvirt()}
 * ends those.
 */
final class JvirtPlatform {
    static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    final Path dataDir;
    final int port;
    private final Path logDir;
    /** More {@code jvirt up} arguments, e.g. the kubelet's CPU manager flags. */
    private final List<String> upArgs;
    private final List<Path> logs = new ArrayList<>();
    private Process process;
    /** If the test JVM goes away early (interrupted run), nothing of this platform may be left running. */
    private final Thread emergencyStop = new Thread(() -> {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        stopLibvirt();
    }, "e2e-emergency-stop");
    private boolean hooked;

    JvirtPlatform(Path dataDir, int port, Path logDir) {
        this(dataDir, port, logDir, List.of());
    }

    JvirtPlatform(Path dataDir, int port, Path logDir, List<String> upArgs) {
        this.dataDir = dataDir;
        this.port = port;
        this.logDir = logDir;
        this.upArgs = List.copyOf(upArgs);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    Path kubeconfig() {
        return dataDir.resolve("kubeconfig");
    }

    LibvirtDaemon libvirt() {
        return new LibvirtDaemon(dataDir);
    }

    /** Starts (or starts again) {@code jvirt up}; returns once it serves and its node agent is running. */
    void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("jvirt up is already running (pid " + process.pid() + ")");
        }
        if (!hooked) {
            Runtime.getRuntime().addShutdownHook(emergencyStop);
            hooked = true;
        }
        Path log = logDir.resolve("jvirt-up-" + (logs.size() + 1) + ".log");
        logs.add(log);
        List<String> cmd = new ArrayList<>(List.of(java(), "-XX:+UseSerialGC", "-Xss512k",
                "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp", System.getProperty("java.class.path"),
                "io.jvirt.cli.Main", "up", "--data-dir", dataDir.toString(), "--port", Integer.toString(port)));
        cmd.addAll(upArgs);
        try {
            Files.createDirectories(logDir);
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HttpClient insecure = insecureClient();
        await("jvirt up (pid " + process.pid() + ") serving, node agent running").atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("jvirt up exited with " + process.exitValue() + "; log:\n"
                                + read(log));
                    }
                    return Files.exists(kubeconfig()) && readyz(insecure) && read(log).contains("node agent for ");
                });
    }

    private boolean readyz(HttpClient http) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
                    + "/readyz")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** /readyz is anonymous; the platform's CA is not needed to ask whether it is up. */
    private static HttpClient insecureClient() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            javax.net.ssl.SSLParameters p = new javax.net.ssl.SSLParameters();
            p.setEndpointIdentificationAlgorithm(null);
            return HttpClient.newBuilder().sslContext(ctx).sslParameters(p)
                    .connectTimeout(Duration.ofSeconds(2)).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs. */
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("jvirt up (pid " + process.pid() + ") survived SIGKILL for a minute");
            }
        }
    }

    /** SIGTERM (clean stop), SIGKILL if it has not exited in a minute. Returns the exit code. */
    int stop() throws InterruptedException {
        if (process == null) {
            return 0;
        }
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        return process.waitFor();
    }

    /** Stops the private libvirtd, virtlogd and every QEMU of this data dir. */
    void stopLibvirt() {
        if (Files.isDirectory(dataDir.resolve("libvirt"))) {
            libvirt().stop(Duration.ofSeconds(10), true);
        }
        if (hooked && Thread.currentThread() != emergencyStop) {
            try {
                Runtime.getRuntime().removeShutdownHook(emergencyStop);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
            hooked = false;
        }
    }

    /** Pids of live qemu-system processes whose command line mentions this data dir. */
    List<Long> qemuProcesses() {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    if (cmdline.contains("qemu-system") && cmdline.contains(dataDir.toString())
                            && !zombie(p)) {
                        out.add(Long.parseLong(n));
                    }
                } catch (IOException e) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Whether a /proc/PID entry is a zombie (exited, not yet reaped: not running any more). */
    static boolean zombie(Path procDir) {
        try {
            String stat = Files.readString(procDir.resolve("stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return true;
        }
    }

    /** Whether a process runs (exists and is not a zombie). */
    static boolean running(long pid) {
        Path p = Path.of("/proc", Long.toString(pid));
        return Files.isDirectory(p) && !zombie(p);
    }

    /** Every launch's log, in order. */
    String logs() {
        StringBuilder b = new StringBuilder();
        for (Path l : logs) {
            b.append("===== ").append(l).append('\n').append(read(l)).append('\n');
        }
        return b.toString();
    }

    /** The last {@code lines} lines of every launch's log. */
    String logTail(int lines) {
        StringBuilder b = new StringBuilder();
        for (Path l : logs) {
            List<String> all = read(l).lines().toList();
            b.append("===== ").append(l).append(all.size() > lines ? " (last " + lines + " lines)" : "")
                    .append('\n');
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(s -> b.append(s).append('\n'));
        }
        return b.toString();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")";
        }
    }
}
