package io.jvirt.bench;

import java.nio.file.Files;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The VM start benchmark (not a test): start latency of a VM through jvirt next to {@code virsh create} of the very
 * same domain XML and a direct {@code qemu-system-x86_64} start of the same guest, then the host memory that 20
 * running guests cost besides their RAM. Runs the real platform ({@code jvirt up}, a snapshot of
 * {@code cli/target/jvirt.jar}) as a separate process with the product's JVM flags, drives it with fabric8 (create,
 * watch) and jvirt's console client (websocket console subresource, scrollback included); prints a Markdown report.
 * See {@code bench/run-vm.sh} and {@code docs/benchmarks.md}.
 *
 * <pre>
 * VmStartBench --repo DIR --guest-dir DIR [--runs 10] [--density 20] [--density-memory 128Mi] [--out FILE]
 *              [--work DIR] [--login-timeout 180] [--density-timeout 600] [--density-stall 120]
 *              [--qemu-tb-size MIB]   (TCG translation cache of the direct QEMU baseline; default: QEMU's)
 *              [--keep]
 * </pre>
 *
 * The phases: {@link VmPlatform} (setup), {@link LatencyPhase}, {@link DensityPhase}; {@link VmStartReport} writes
 * what they found. Every process it starts (platform JVM, the platform's libvirtd/virtlogd and their guests,
 * baseline QEMUs) is stopped by PID at the end, also on failure or Ctrl+C.
 */
public final class VmStartBench {
    private static final Log LOG = Log.VM;

    private final VmBenchOptions o;
    private final VmStartResults results = new VmStartResults();
    private final VmPlatform platform;
    private final LatencyPhase latency;
    private boolean cleanedUp;

    VmStartBench(VmBenchOptions o) {
        this.o = o;
        this.platform = new VmPlatform(o);
        this.latency = new LatencyPhase(o, platform, results);
    }

    public static void main(String[] args) throws Exception {
        VmBenchOptions o = VmBenchOptions.parse(args);
        if (o == null) {
            System.err.println(VmBenchOptions.USAGE);
            System.exit(2);
        }
        VmStartBench b = new VmStartBench(o);
        Thread hook = new Thread(b::cleanup, "vmbench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        String report;
        try {
            report = b.run();
        } finally {
            b.cleanup();
        }
        System.out.print(report);
        if (o.out() != null) {
            Files.writeString(o.out(), report);
        }
        System.exit(0);
    }

    String run() throws Exception {
        Files.createDirectories(o.work());
        LOG.info("work directory %s", o.work());
        platform.prepare();
        hostFacts();
        long started = platform.start();
        results.facts.put("accelerator", platform.accelerator());
        results.facts.put("platform start (jvirt up → serving)", Stats.ms(started / 1e6) + " ms");
        platform.waitNodeReady();
        latency.run();
        if (o.density() > 0) {
            new DensityPhase(o, platform, results).run();
        }
        results.facts.put("load after the latency runs", ProcFs.loadavg());
        return VmStartReport.render(o, results);
    }

    private void hostFacts() {
        var facts = results.facts;
        facts.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", ""));
        facts.put("cpus", Runtime.getRuntime().availableProcessors() + " (" + ProcFs.cpuModel() + ")");
        var memKiB = ProcFs.memTotalKiB();
        facts.put("memory", (memKiB.isPresent() ? memKiB.getAsLong() / 1024 : -1) + " MiB");
        facts.put("kernel", firstLine(Processes.runQuietly(List.of("uname", "-r"))));
        facts.put("QEMU", firstLine(Processes.runQuietly(List.of("qemu-system-x86_64", "--version"))));
        facts.put("libvirt", "libvirtd " + firstLine(Processes.runQuietly(List.of("/usr/sbin/libvirtd", "--version")))
                .replaceAll(".*\\s", ""));
        facts.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        facts.put("platform JVM flags", String.join(" ", platform.jvmFlags()));
        facts.put("guest", "jvirt test guest (" + o.guestDir() + "/disk.qcow2 imported as " + VmPlatform.IMAGE
                + "), examples/vm-cirros.yaml with runStrategy Always");
        if (o.qemuTbSize() != null) {
            facts.put("direct QEMU baseline", "-accel tcg,tb-size=" + o.qemuTbSize() + " (translation cache capped)");
        }
        facts.put("load before start", ProcFs.loadavg());
    }

    private static String firstLine(String s) {
        String t = s == null ? "" : s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    /**
     * Stops everything this bench started, each by its PID: baseline QEMUs, the platform JVM (SIGTERM: it closes
     * cleanly, guests stay with libvirt), then the platform's libvirtd with its guests and virtlogd. Idempotent.
     */
    synchronized void cleanup() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        latency.stopBaselines();
        platform.stop();
    }
}
