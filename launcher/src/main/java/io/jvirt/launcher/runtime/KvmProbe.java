package io.jvirt.launcher.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether hardware virtualization (KVM) really works on this node, or guests must use software emulation
 * (TCG, {@code <domain type="qemu">}).
 *
 * <p>An accessible {@code /dev/kvm} is not enough: under nested virtualization KVM may accept a guest and then hang it
 * in early boot. The probe therefore boots a real Linux kernel (from {@code /boot/vmlinuz-*}) with
 * {@code qemu-system-x86_64 -accel kvm -kernel K -append 'console=ttyS0 panic=-1' -no-reboot} and no root file
 * system, and requires the serial console to show the kernel getting past early boot (the "VFS: Unable to mount root
 * fs" panic, or init starting) within {@link #DEFAULT_BOUND}. It runs once with {@code -cpu host} and once with
 * QEMU's default CPU model; both must pass. A TCG boot of the same kernel reaches that point in ~4 s on this
 * kind of machine, KVM in well under 2 s.
 *
 * <p>The answer is cached in {@code DATA/kvm-probe.json}, keyed by kernel release, CPU model and QEMU version; a
 * changed key re-probes. {@code JVIRT_FORCE_EMULATION=1} forces false without probing.
 */
public final class KvmProbe {

    private static final Logger LOG = LoggerFactory.getLogger(KvmProbe.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration DEFAULT_BOUND = Duration.ofSeconds(20);
    private static final List<String> PAST_EARLY_BOOT = List.of("VFS: Unable to mount root", "Kernel panic",
            "Run /init as init process", "Freeing unused kernel image");

    /**
     * @param works    whether KVM guests boot
     * @param reason   why (what was observed)
     * @param key      cache key: kernel release | CPU model | QEMU version
     * @param cached   whether the answer came from the cache file
     */
    public record Result(boolean works, String reason, String key, boolean cached) {
    }

    private final Path cacheFile;
    private final String qemu;
    private final Duration bound;
    private final String accel;

    public KvmProbe(Path dataDir) {
        this(dataDir, "qemu-system-x86_64", DEFAULT_BOUND);
    }

    public KvmProbe(Path dataDir, String qemu, Duration bound) {
        this(dataDir, qemu, bound, "kvm");
    }

    /** With {@code accel = "tcg"} the same boot test runs under emulation (tests check the detection with it). */
    KvmProbe(Path dataDir, String qemu, Duration bound, String accel) {
        this.cacheFile = dataDir.resolve("kvm-probe.json");
        this.qemu = qemu;
        this.bound = bound;
        this.accel = accel;
    }

    /** Whether guests should run with KVM (true) or TCG (false). */
    public boolean works() {
        return probe().works();
    }

    /** The (cached) probe result. */
    public synchronized Result probe() {
        if ("1".equals(System.getenv("JVIRT_FORCE_EMULATION"))) {
            return new Result(false, "JVIRT_FORCE_EMULATION=1", key(), false);
        }
        String key = key();
        Optional<Result> cached = readCache(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        Result r = probeNow(key);
        LOG.info("KVM probe: works={} ({})", r.works(), r.reason());
        writeCache(r);
        return r;
    }

    /** Probes without looking at or writing the cache. */
    public Result probeNow() {
        return probeNow(key());
    }

    private Result probeNow(String key) {
        Path kvm = Path.of("/dev/kvm");
        if (accel.equals("kvm") && !Files.exists(kvm)) {
            return new Result(false, "/dev/kvm does not exist", key, false);
        }
        if (accel.equals("kvm") && (!Files.isReadable(kvm) || !Files.isWritable(kvm))) {
            return new Result(false, "/dev/kvm is not accessible", key, false);
        }
        Optional<Path> kernel = kernel();
        if (kernel.isEmpty()) {
            return new Result(false, "no kernel image in /boot to probe KVM with", key, false);
        }
        for (String cpu : accel.equals("kvm") ? new String[] {"host", null} : new String[] {null}) {
            String label = cpu == null ? "default CPU model" : "-cpu " + cpu;
            Boot b = boot(kernel.get(), cpu);
            if (!b.reached) {
                return new Result(false, "kernel " + kernel.get().getFileName() + " under " + accel + " ("
                        + label + ") " + b.what, key, false);
            }
        }
        return new Result(true, "kernel " + kernel.get().getFileName() + " booted past early boot under "
                + accel, key, false);
    }

    private record Boot(boolean reached, String what) {
    }

    private Boot boot(Path kernel, String cpu) {
        List<String> cmd = new ArrayList<>(List.of(qemu, "-accel", accel, "-m", "256", "-smp", "1",
                "-display", "none", "-nodefaults", "-no-user-config", "-serial", "stdio", "-no-reboot",
                "-kernel", kernel.toString(), "-append", "console=ttyS0 panic=-1 loglevel=7"));
        if (cpu != null) {
            cmd.add("-cpu");
            cmd.add(cpu);
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return new Boot(false, "could not run: " + e.getMessage());
        }
        StringBuilder out = new StringBuilder();
        long deadline = System.nanoTime() + bound.toNanos();
        try (InputStream in = p.getInputStream()) {
            byte[] buf = new byte[8192];
            while (System.nanoTime() < deadline) {
                if (in.available() > 0) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    if (PAST_EARLY_BOOT.stream().anyMatch(m -> out.indexOf(m) >= 0)) {
                        return new Boot(true, "reached");
                    }
                } else if (!p.isAlive()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                    if (PAST_EARLY_BOOT.stream().anyMatch(m -> out.indexOf(m) >= 0)) {
                        return new Boot(true, "reached");
                    }
                    return new Boot(false, "QEMU exited with " + p.exitValue() + ": " + lastLine(out));
                } else {
                    Thread.sleep(50);
                }
            }
            return new Boot(false, "did not get past early boot within " + bound.toSeconds() + " s (last output: "
                    + lastLine(out) + ")");
        } catch (IOException e) {
            return new Boot(false, "could not read QEMU output: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Boot(false, "interrupted");
        } finally {
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String lastLine(StringBuilder out) {
        String s = out.toString().replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", "").strip();
        int nl = s.lastIndexOf('\n');
        String line = nl >= 0 ? s.substring(nl + 1) : s;
        line = line.strip();
        return line.isEmpty() ? "(none)" : line.length() > 160 ? line.substring(0, 160) : line;
    }

    /** /boot/vmlinuz-$(uname -r) if present, else the newest /boot/vmlinuz-*. */
    static Optional<Path> kernel() {
        Path boot = Path.of("/boot");
        Path own = boot.resolve("vmlinuz-" + read("/proc/sys/kernel/osrelease"));
        if (Files.isReadable(own)) {
            return Optional.of(own);
        }
        Path best = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(boot, "vmlinuz-*")) {
            for (Path p : ds) {
                if (Files.isReadable(p) && (best == null || Files.getLastModifiedTime(p)
                        .compareTo(Files.getLastModifiedTime(best)) > 0)) {
                    best = p;
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(best);
    }

    private String key() {
        String cpu = "unknown";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException e) {
            // keep unknown
        }
        return read("/proc/sys/kernel/osrelease") + " | " + cpu + " | " + qemuVersion();
    }

    private String qemuVersion() {
        try {
            Process p = new ProcessBuilder(qemu, "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("?").strip();
        } catch (IOException e) {
            return "qemu unavailable";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private Optional<Result> readCache(String key) {
        try {
            if (!Files.isRegularFile(cacheFile)) {
                return Optional.empty();
            }
            JsonNode n = JSON.readTree(cacheFile.toFile());
            if (!key.equals(n.path("key").asText())) {
                return Optional.empty();
            }
            return Optional.of(new Result(n.path("works").asBoolean(), n.path("reason").asText(), key, true));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void writeCache(Result r) {
        try {
            Files.createDirectories(cacheFile.getParent());
            ObjectNode n = JSON.createObjectNode();
            n.put("key", r.key());
            n.put("works", r.works());
            n.put("reason", r.reason());
            n.put("probedAt", Instant.now().toString());
            Path tmp = cacheFile.resolveSibling(cacheFile.getFileName() + ".tmp");
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
            Files.move(tmp, cacheFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot cache KVM probe result in {}: {}", cacheFile, e.getMessage());
        }
    }
}
