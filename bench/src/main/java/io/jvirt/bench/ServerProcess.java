package io.jvirt.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The API server ({@link ServerMain}) in its own JVM, started with the product's JVM flags. */
final class ServerProcess implements AutoCloseable {
    final Process process;
    final long pid;
    final String url;
    final Path kubeconfig;
    final Path java;
    final long startupMs;

    private ServerProcess(Process process, long pid, String url, Path kubeconfig, Path java, long startupMs) {
        this.process = process;
        this.pid = pid;
        this.url = url;
        this.kubeconfig = kubeconfig;
        this.java = java;
        this.startupMs = startupMs;
    }

    /** The java binary of this JVM (the server runs on the same JDK). */
    static Path javaBinary() {
        return Path.of(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    }

    /**
     * The JVM flags {@code ./jvirt} runs the product with: the default of {@code ${JVIRT_JAVA_OPTS:-...}} in the
     * script (or JVIRT_JAVA_OPTS if set, as the script would), plus the flags that follow it on the java line.
     */
    static List<String> productJvmFlags(Path repo) throws IOException {
        String script = Files.readString(repo.resolve("jvirt"));
        Matcher m = Pattern.compile("\\$\\{JVIRT_JAVA_OPTS:-([^}]*)}\\s*\\\\?\\s*([^\\n]*?)-jar").matcher(script);
        if (!m.find()) {
            throw new IllegalStateException("cannot find the JVM flags (${JVIRT_JAVA_OPTS:-...}) in " + repo.resolve("jvirt"));
        }
        String env = System.getenv("JVIRT_JAVA_OPTS");
        String opts = env != null ? env : m.group(1);
        List<String> flags = new ArrayList<>();
        for (String s : (opts + " " + m.group(2)).trim().split("\\s+")) {
            if (!s.isEmpty() && !s.equals("\\")) {
                flags.add(s);
            }
        }
        return flags;
    }

    static ServerProcess start(Path dataDir, List<String> jvmFlags, Path log) throws Exception {
        Path java = javaBinary();
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ServerMain.class.getName());
        cmd.add(dataDir.toString());
        cmd.add("0");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.offer(line);
                }
            } catch (IOException e) {
                // process gone
            }
        }, "server-stdout");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith("READY ")) {
                String[] f = line.split(" ");
                long startupMs = (System.nanoTime() - t0) / 1_000_000;
                return new ServerProcess(p, Long.parseLong(f[3]), f[1], Path.of(f[2]), java, startupMs);
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("server exited with " + p.exitValue() + " before serving; see " + log);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("server did not serve within 120 s; see " + log);
    }

    /** VmRSS and VmHWM of the server in KiB, from /proc. */
    long[] rssKiB() throws IOException {
        return ProcFs.status(pid, "VmRSS:", "VmHWM:");
    }

    /** CPU time (user + system) the server has used so far, in ms, or -1. */
    long cpuMs() {
        return Processes.cpuMs(pid).orElse(-1);
    }

    /** Runs {@code jcmd <pid> <command>} with the JDK's jcmd; returns its output, or null when unavailable. */
    String jcmd(String command) {
        return Processes.jcmd(java, pid, command);
    }

    /** Heap {used, committed} in KiB from {@code GC.heap_info} (summed over the generations), or {-1, -1}. */
    long[] heapKiB() {
        long[] h = Processes.heapKiB(java, pid);
        return h == null ? new long[]{-1, -1} : h;
    }

    /** Stops the server: end of stdin (clean close), then SIGTERM, then SIGKILL. Only this process, by its PID. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                Processes.stop(process);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
