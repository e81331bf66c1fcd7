package io.jvirt.launcher.libvirt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jvirt's own libvirtd + virtlogd, isolated from any system libvirt.
 *
 * <h2>Layout</h2>
 * Everything lives under {@code DATA/libvirt/}: {@code run/}, {@code lib/}, {@code log/}, {@code cache/} and
 * {@code etc/} are bind-mounted, inside a private mount namespace, over {@code /var/run/libvirt},
 * {@code /var/lib/libvirt}, {@code /var/log/libvirt}, {@code /var/cache/libvirt} and {@code /etc/libvirt}. The daemons
 * therefore run with their standard, compiled-in paths, while the host (and a system libvirtd, if any) sees nothing
 * of it. Because a bind mount shows the same inodes, libvirtd's socket {@code /var/run/libvirt/libvirt-sock} is
 * {@code DATA/libvirt/run/libvirt-sock} from outside: clients connect with
 * {@code qemu+unix:///system?socket=DATA/libvirt/run/libvirt-sock} ({@link #uri()}). Domain definitions end up in
 * {@code etc/qemu/*.xml}, QEMU pid files in {@code run/qemu/<domain>.pid}, QEMU logs in {@code log/qemu/}. The only
 * traces on the host itself are the mount points (empty directories, created if missing) and libvirt's cgroups
 * ({@code /sys/fs/cgroup/<controller>/machine/...}).
 *
 * <h2>Running libvirtd without systemd (what was needed here, Debian 12, libvirt 9.0, in a container)</h2>
 * <ul>
 * <li>No socket activation and no unit files: both daemons are started explicitly. For {@code qemu:///system}
 * libvirtd does not spawn virtlogd on demand (only session mode does), and with the default
 * {@code stdio_handler = "logd"} every domain start fails without it, so virtlogd is started first, in the same
 * namespace ({@code virtlogd --daemon}); if a virtlogd from an earlier start still runs, it is reused (its socket
 * is in {@code run/}).</li>
 * <li>Detaching: the start script runs under {@code setsid -f unshare --mount --propagation private}, so the daemons
 * are in their own session, are not children of the JVM, and survive the JVM being killed. QEMU processes are
 * children of libvirtd and survive both (libvirtd never kills guests when it exits; on restart it re-attaches to
 * their monitor sockets in {@code lib/qemu/domain-*}, which the new namespace sees through the same bind mounts).
 * {@code --propagation private} keeps the bind mounts from leaking into the host's mount table.</li>
 * <li>The QEMU driver resolves its compiled-in default user/group {@code libvirt-qemu} <em>before</em> reading
 * {@code qemu.conf}; without the Debian package that creates them (libvirt-daemon-system) initialisation fails
 * with "Failed to parse user 'libvirt-qemu'". If the host lacks them, copies of {@code /etc/passwd} and
 * {@code /etc/group} with these entries added are bind-mounted inside the namespace only.</li>
 * <li>{@code qemu.conf}: {@code user/group = "root"} (no unprivileged qemu user; jvirt runs as root),
 * {@code dynamic_ownership = 1} (libvirt chowns disks/sockets it hands to QEMU — to root here),
 * {@code remember_owner = 0} (otherwise libvirt records the original owner in {@code trusted.libvirt.*} xattrs and
 * reference-counts them on shared files such as image-store bases), {@code security_driver = "none"} (no
 * AppArmor/SELinux in a container; libvirt warns that guests are not confined), {@code namespaces = []} (libvirt's
 * per-VM mount namespace with a private /dev fails in containers). {@code cgroup_controllers}: the default works
 * here (cgroup v1 hybrid without systemd: libvirt creates {@code /machine/qemu-<id>-<name>.libvirt-qemu} under
 * cpu, cpuset, memory, blkio, freezer and the unified hierarchy); {@link Settings#cgroupControllers()} restricts it
 * ({@code List.of()} disables cgroup use) for hosts where that fails.</li>
 * <li>{@code libvirtd.conf}: unix sockets in {@code /var/run/libvirt} (= {@code run/}), no auth on the unix socket
 * (root-only, mode 0770), logs to {@code /var/log/libvirt/libvirtd.log} (= {@code log/}).</li>
 * <li>Only the needed drivers are loaded ({@link Settings#drivers()}, default qemu + secret) by pointing
 * {@code LIBVIRT_DRIVER_DIR} at a directory of symlinks: the monolithic libvirtd otherwise loads every installed
 * driver, and the network driver (no dnsmasq), nodedev (no udev) and lxc/libxl/vbox only add failures and start-up
 * time. Start-up then takes ~0.2 s.</li>
 * <li>Harmless noise in {@code libvirtd.log}: "Unable to get system bus connection" (no D-Bus; firewalld support
 * off), {@code dmidecode ... /dev/mem: No such file} (host SMBIOS info unavailable).</li>
 * <li>libvirtd writes a pid file but the process may be a zombie for a while after it exits (pid 1 in this
 * container reaps late), so liveness checks read {@code /proc/<pid>/stat}, not just {@code kill(pid, 0)}.</li>
 * </ul>
 *
 * <p>{@link #ensureStarted()} starts the daemons if they are not running, or simply reuses running ones (pid files),
 * so any number of JVMs may call it; a file lock serialises concurrent starts. They are stopped only by
 * {@link #stop}.
 */
public final class LibvirtDaemon {

    private static final Logger LOG = LoggerFactory.getLogger(LibvirtDaemon.class);

    /** Mount points inside the namespace, by sub-directory of {@code DATA/libvirt}. */
    private static final List<String[]> BINDS = List.of(
            new String[] {"run", "/var/run/libvirt"},
            new String[] {"lib", "/var/lib/libvirt"},
            new String[] {"log", "/var/log/libvirt"},
            new String[] {"cache", "/var/cache/libvirt"},
            new String[] {"etc", "/etc/libvirt"});

    /** sun_path is 108 bytes including the terminating NUL. */
    static final int MAX_UNIX_SOCKET_PATH = 107;

    /**
     * @param drivers           libvirt connection drivers to load ({@code qemu}, {@code secret}, {@code network},
     *                          ...); null = all installed
     * @param cgroupControllers value of {@code cgroup_controllers} in qemu.conf; null = libvirt's default, empty =
     *                          no cgroups
     * @param startTimeout      how long to wait for the socket to answer
     * @param libvirtd          libvirtd binary
     * @param virtlogd          virtlogd binary
     * @param driverDir         directory holding {@code libvirt_driver_*.so}
     */
    public record Settings(List<String> drivers, List<String> cgroupControllers, Duration startTimeout,
                           Path libvirtd, Path virtlogd, Path driverDir) {

        public static Settings defaults() {
            return new Settings(List.of("qemu", "secret"), null, Duration.ofSeconds(30),
                    Path.of("/usr/sbin/libvirtd"), Path.of("/usr/sbin/virtlogd"),
                    Path.of("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver"));
        }

        public Settings withCgroupControllers(List<String> controllers) {
            return new Settings(drivers, controllers, startTimeout, libvirtd, virtlogd, driverDir);
        }

        public Settings withDrivers(List<String> names) {
            return new Settings(names, cgroupControllers, startTimeout, libvirtd, virtlogd, driverDir);
        }
    }

    private final Path base;
    private final Settings settings;

    /** The daemon of data directory {@code dataDir} (files under {@code dataDir/libvirt}), default settings. */
    public LibvirtDaemon(Path dataDir) {
        this(dataDir, Settings.defaults());
    }

    public LibvirtDaemon(Path dataDir, Settings settings) {
        this.base = dataDir.toAbsolutePath().normalize().resolve("libvirt");
        this.settings = Objects.requireNonNull(settings);
    }

    /** Whether libvirtd, virtlogd, unshare and setsid are installed (else this class cannot work). */
    public static boolean binariesAvailable() {
        Settings s = Settings.defaults();
        return Files.isExecutable(s.libvirtd()) && Files.isExecutable(s.virtlogd())
                && Files.isExecutable(Path.of("/usr/bin/unshare")) && Files.isExecutable(Path.of("/usr/bin/setsid"))
                && Files.isRegularFile(s.driverDir().resolve("libvirt_driver_qemu.so"));
    }

    // ------------------------------------------------------------------------------------------------- paths

    /** {@code DATA/libvirt}. */
    public Path baseDir() {
        return base;
    }

    /** Host path of the namespace's {@code /var/run/libvirt}. */
    public Path runDir() {
        return base.resolve("run");
    }

    /** Host path of the namespace's {@code /var/log/libvirt} ({@code libvirtd.log}, {@code qemu/<domain>.log}). */
    public Path logDir() {
        return base.resolve("log");
    }

    /** libvirtd's read-write socket, as seen from outside the namespace. */
    public Path socket() {
        return runDir().resolve("libvirt-sock");
    }

    /** Connection URI for clients outside the namespace. */
    public String uri() {
        return "qemu+unix:///system?socket=" + socket();
    }

    /** Where libvirt writes the pid of a running domain's QEMU. */
    public Path qemuPidFile(String domain) {
        return runDir().resolve("qemu").resolve(domain + ".pid");
    }

    /** QEMU's stderr/log of a domain (written through virtlogd). */
    public Path qemuLogFile(String domain) {
        return logDir().resolve("qemu").resolve(domain + ".log");
    }

    // ------------------------------------------------------------------------------------------------- state

    /** libvirtd's pid if it is running. */
    public OptionalLong pid() {
        return livePid(runDir().resolve("libvirtd.pid"), "libvirtd");
    }

    /** virtlogd's pid if it is running. */
    public OptionalLong virtlogdPid() {
        return livePid(runDir().resolve("virtlogd.pid"), "virtlogd");
    }

    /** Whether libvirtd runs and its socket accepts connections. */
    public boolean isRunning() {
        return pid().isPresent() && socketAnswers();
    }

    /**
     * Starts virtlogd and libvirtd unless libvirtd is already running, and waits until its socket answers.
     *
     * @return true if the daemon was started by this call, false if a running one was found
     * @throws HypervisorException if the daemon cannot be started (message includes the end of its logs)
     */
    public synchronized boolean ensureStarted() {
        if (socket().toString().length() > MAX_UNIX_SOCKET_PATH) {
            throw new HypervisorException("libvirt socket path " + socket() + " is longer than "
                    + MAX_UNIX_SOCKET_PATH + " bytes (unix socket limit): use a shorter data directory");
        }
        try {
            Files.createDirectories(base);
            try (FileChannel ch = FileChannel.open(base.resolve("daemon.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (pid().isPresent()) {
                    awaitSocket(null);
                    LOG.debug("reusing running libvirtd {} ({})", pid().getAsLong(), base);
                    return false;
                }
                launch();
                return true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start libvirtd in " + base, e);
        }
    }

    /**
     * Stops libvirtd (SIGTERM, SIGKILL after {@code timeout}). Guests keep running unless {@code killGuests}, in
     * which case every QEMU process with a pid file in {@code run/qemu} is killed first. virtlogd is stopped too once
     * no guest is left; while guests run it stays, since it holds their console/log pipes (that is what virtlogd is
     * for: libvirtd restarts without losing guest logs), and the next {@link #ensureStarted()} reuses it.
     */
    public synchronized void stop(Duration timeout, boolean killGuests) {
        if (killGuests) {
            for (long pid : qemuPids()) {
                terminate(pid, "qemu", timeout);
            }
        }
        pid().ifPresent(p -> terminate(p, "libvirtd", timeout));
        if (qemuPids().isEmpty()) {
            virtlogdPid().ifPresent(p -> terminate(p, "virtlogd", timeout));
        } else {
            LOG.info("guests still running in {}: virtlogd {} left running", base, virtlogdPid().orElse(-1));
        }
    }

    /** Pids of live QEMU processes that libvirt recorded in {@code run/qemu/*.pid}. */
    public List<Long> qemuPids() {
        List<Long> out = new ArrayList<>();
        Path dir = runDir().resolve("qemu");
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.pid")) {
            for (Path p : ds) {
                if (p.getFileName().toString().equals("driver.pid")) {
                    continue;
                }
                livePid(p, "qemu").ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------- start

    private void launch() throws IOException {
        for (String[] b : BINDS) {
            Files.createDirectories(base.resolve(b[0]));
        }
        writeConfig();
        Path driverLinks = linkDrivers();
        boolean overlayUsers = writeUserOverlay();
        Path script = base.resolve("start.sh");
        Files.writeString(script, startScript(driverLinks, overlayUsers));
        Path out = logDir().resolve("daemon.out");
        Files.deleteIfExists(base.resolve("launcher.pid"));
        ProcessBuilder pb = new ProcessBuilder("setsid", "-f", "unshare", "--mount", "--propagation", "private",
                "/bin/sh", script.toString())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new HypervisorException("cannot launch libvirtd (setsid/unshare failed): " + tail(out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while starting libvirtd");
        }
        awaitSocket(base.resolve("launcher.pid"));
        LOG.info("started libvirtd {} (virtlogd {}) in {}", pid().orElse(-1), virtlogdPid().orElse(-1), base);
    }

    private void awaitSocket(Path launcherPidFile) {
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        long launchedAt = System.nanoTime();
        while (System.nanoTime() < deadline) {
            if (pid().isPresent() && socketAnswers()) {
                return;
            }
            if (launcherPidFile != null && System.nanoTime() - launchedAt > 2_000_000_000L) {
                // start.sh records its pid (which exec turns into libvirtd's); once it is gone, nothing will come
                OptionalLong launcher = livePid(launcherPidFile, null);
                if (launcher.isEmpty() && pid().isEmpty()) {
                    throw new HypervisorException("libvirtd exited during start-up: " + diagnostics());
                }
            }
            sleep(50);
        }
        throw new HypervisorException("libvirtd socket " + socket() + " did not answer within "
                + settings.startTimeout().toSeconds() + " s: " + diagnostics());
    }

    private boolean socketAnswers() {
        if (!Files.exists(socket(), LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void writeConfig() throws IOException {
        Path etc = base.resolve("etc");
        Files.writeString(etc.resolve("libvirtd.conf"), """
                # generated by jvirt (LibvirtDaemon); paths are as seen inside jvirt's mount namespace
                unix_sock_dir = "/var/run/libvirt"
                unix_sock_group = "root"
                unix_sock_ro_perms = "0770"
                unix_sock_rw_perms = "0770"
                auth_unix_ro = "none"
                auth_unix_rw = "none"
                keepalive_interval = 5
                keepalive_count = 5
                max_clients = 256
                log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
                """);
        StringBuilder qemu = new StringBuilder("""
                # generated by jvirt (LibvirtDaemon)
                user = "root"
                group = "root"
                dynamic_ownership = 1
                remember_owner = 0
                security_driver = "none"
                namespaces = [ ]
                stdio_handler = "logd"
                set_process_name = 1
                """);
        if (settings.cgroupControllers() != null) {
            qemu.append("cgroup_controllers = [ ")
                    .append(settings.cgroupControllers().stream().map(c -> "\"" + c + "\"")
                            .collect(Collectors.joining(", ")))
                    .append(" ]\n");
        }
        Files.writeString(etc.resolve("qemu.conf"), qemu.toString());
        Files.writeString(etc.resolve("virtlogd.conf"), """
                # generated by jvirt (LibvirtDaemon)
                log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
                max_size = 2097152
                max_backups = 3
                """);
    }

    /** A directory with symlinks to the wanted drivers only, or null to load all. */
    private Path linkDrivers() throws IOException {
        if (settings.drivers() == null) {
            return null;
        }
        Path dir = base.resolve("drivers");
        Files.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Files.delete(p);
            }
        }
        for (String d : settings.drivers()) {
            Path so = settings.driverDir().resolve("libvirt_driver_" + d + ".so");
            if (!Files.exists(so)) {
                throw new HypervisorException("libvirt driver " + d + " not installed (" + so + ")");
            }
            Files.createSymbolicLink(dir.resolve(so.getFileName()), so);
        }
        return dir;
    }

    /** Writes passwd/group copies with the {@code libvirt-qemu} user/group if the host lacks them. */
    private boolean writeUserOverlay() throws IOException {
        List<String> passwd = Files.readAllLines(Path.of("/etc/passwd"));
        List<String> group = Files.readAllLines(Path.of("/etc/group"));
        boolean hasUser = passwd.stream().anyMatch(l -> l.startsWith("libvirt-qemu:"));
        boolean hasGroup = group.stream().anyMatch(l -> l.startsWith("libvirt-qemu:"));
        if (hasUser && hasGroup) {
            return false;
        }
        Path dir = base.resolve("users");
        Files.createDirectories(dir);
        List<String> p2 = new ArrayList<>(passwd);
        List<String> g2 = new ArrayList<>(group);
        if (!hasGroup) {
            g2.add("libvirt-qemu:x:64055:");
        }
        if (!hasUser) {
            p2.add("libvirt-qemu:x:64055:64055:Libvirt Qemu (jvirt namespace only):/var/lib/libvirt:"
                    + "/usr/sbin/nologin");
        }
        Files.write(dir.resolve("passwd"), p2);
        Files.write(dir.resolve("group"), g2);
        return true;
    }

    private String startScript(Path driverLinks, boolean overlayUsers) {
        StringBuilder sb = new StringBuilder();
        sb.append("#!/bin/sh\n# generated by jvirt (LibvirtDaemon): runs inside a private mount namespace\n");
        sb.append("set -e\n");
        sb.append("echo $$ > ").append(q(base.resolve("launcher.pid"))).append('\n');
        sb.append("echo \"$(date -u +%FT%TZ) starting jvirt libvirtd in ").append(base).append("\"\n");
        for (String[] b : BINDS) {
            sb.append("mkdir -p ").append(b[1]).append('\n');
            sb.append("mount --bind ").append(q(base.resolve(b[0]))).append(' ').append(b[1]).append('\n');
        }
        if (overlayUsers) {
            sb.append("mount --bind ").append(q(base.resolve("users/passwd"))).append(" /etc/passwd\n");
            sb.append("mount --bind ").append(q(base.resolve("users/group"))).append(" /etc/group\n");
        }
        sb.append("if ! ").append(settings.virtlogd()).append(" --daemon --config /etc/libvirt/virtlogd.conf")
                .append(" --pid-file /var/run/libvirt/virtlogd.pid; then\n")
                .append("  echo 'virtlogd did not start (already running from an earlier start?)'\nfi\n");
        if (driverLinks != null) {
            sb.append("export LIBVIRT_DRIVER_DIR=").append(q(driverLinks)).append('\n');
        }
        sb.append("exec ").append(settings.libvirtd())
                .append(" --config /etc/libvirt/libvirtd.conf --pid-file /var/run/libvirt/libvirtd.pid\n");
        return sb.toString();
    }

    private static String q(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private String diagnostics() {
        return "daemon.out: " + tail(logDir().resolve("daemon.out")) + " | libvirtd.log: "
                + tail(logDir().resolve("libvirtd.log"));
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join(" / ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "(" + file + " unreadable)";
        }
    }

    private static void terminate(long pid, String what, Duration timeout) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive(pid, null) && System.nanoTime() < deadline) {
            sleep(50);
        }
        if (alive(pid, null)) {
            LOG.warn("{} {} did not exit on SIGTERM within {}; killing", what, pid, timeout);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            long killDeadline = System.nanoTime() + 5_000_000_000L;
            while (alive(pid, null) && System.nanoTime() < killDeadline) {
                sleep(50);
            }
        }
    }

    /** Pid from a pid file if that process is alive (not a zombie) and its comm starts with {@code comm}. */
    static OptionalLong livePid(Path pidFile, String comm) {
        try {
            String s = Files.readString(pidFile).trim();
            if (s.isEmpty()) {
                return OptionalLong.empty();
            }
            long pid = Long.parseLong(s);
            return alive(pid, comm) ? OptionalLong.of(pid) : OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Whether {@code pid} exists and is not a zombie; with {@code comm}, also that its command name matches. */
    static boolean alive(long pid, String comm) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            if (open < 0 || close < open || close + 2 >= stat.length()) {
                return false;
            }
            char state = stat.charAt(close + 2);
            if (state == 'Z' || state == 'X') {
                return false;
            }
            return comm == null || stat.substring(open + 1, close).startsWith(comm);
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted");
        }
    }
}
