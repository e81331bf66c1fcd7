package io.jvirt.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.jvirt.launcher.libvirt.LibvirtDaemon;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jvirt.bench.VmPlatform.NS;
import static io.jvirt.bench.VmStartReport.mib;

/**
 * The density phase: {@code --density} guests of {@code --density-memory} started at once, each to its login
 * prompt; then, with the guests idle, the CPU and the host memory they cost besides their RAM (platform JVM,
 * libvirtd, virtlogd, QEMU less guest RAM and TCG translation cache).
 */
final class DensityPhase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Log LOG = Log.VM;

    private final VmBenchOptions o;
    private final VmPlatform platform;
    private final VmStartResults r;

    DensityPhase(VmBenchOptions o, VmPlatform platform, VmStartResults results) {
        this.o = o;
        this.platform = platform;
        this.r = results;
    }

    void run() throws Exception {
        int density = o.density();
        LOG.info("density: starting %d guests of %s", density, o.densityMemory());
        LibvirtDaemon daemon = platform.libvirt();
        long jvmPid = platform.pid();
        // a full GC first, so that the JVM's growth below is what the guests cost, not garbage of the latency runs
        Processes.jcmd(platform.javaBin(), jvmPid, "GC.run");
        sleepQuietly(2000);
        long[] jvmIdle = ProcFs.rssPss(jvmPid);
        long[] heapIdle = heapKiB(jvmPid);
        r.densityFacts.put("platform JVM threads: idle", Long.toString(threads(jvmPid)));
        long[] libvirtdIdle = ProcFs.rssPss(daemon.pid().orElse(-1));
        long[] virtlogdIdle = ProcFs.rssPss(daemon.virtlogdPid().orElse(-1));

        List<String> names = new ArrayList<>();
        for (int i = 1; i <= density; i++) {
            names.add(String.format(Locale.ROOT, "dense-%02d", i));
        }
        Map<String, Long> runningAt = new ConcurrentHashMap<>();
        Map<String, Long> loginAt = new ConcurrentHashMap<>();
        Map<String, String> failures = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        long deadline = t0 + o.densityTimeout().toNanos();
        Watch watch = platform.client().genericKubernetesResources(VmResources.VMI).inNamespace(NS)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource res) {
                        String n = res.getMetadata().getName();
                        if (!names.contains(n)) {
                            return;
                        }
                        String phase = JSON.valueToTree(res).path("status").path("phase").asText("");
                        if (phase.equals("Running") && runningAt.putIfAbsent(n, System.nanoTime()) == null) {
                            Thread.ofVirtual().start(() -> {
                                try {
                                    loginAt.put(n, ConsoleLogin.await(platform.console(), n, deadline).foundAt);
                                } catch (Exception e) {
                                    failures.put(n, e.getMessage());
                                }
                            });
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                });
        try {
            for (String n : names) {
                platform.createVm(n, o.densityMemory());
            }
            long tCreated = System.nanoTime();
            LOG.info("density: %d VMs created in %s ms", density, Stats.ms((tCreated - t0) / 1e6));
            awaitPrompts(names, runningAt, loginAt, failures, deadline);
            LOG.info("density: %d running, %d at the login prompt, %d failed", runningAt.size(), loginAt.size(),
                    failures.size());
            failures.forEach((n, f) -> r.notes.add("density guest " + n + ": " + f));
            r.densityFacts.put("guests created", Integer.toString(density));
            r.densityFacts.put("guests Running", Integer.toString(runningAt.size()));
            r.densityFacts.put("guests at the login prompt", Integer.toString(loginAt.size()));
            if (!runningAt.isEmpty()) {
                r.densityFacts.put("create → all Running", Stats.ms((runningAt.values().stream().max(Long::compare)
                        .orElseThrow() - t0) / 1e9 * 1000) + " ms");
            }
            if (!loginAt.isEmpty()) {
                r.densityFacts.put("create → all at the login prompt", String.format(Locale.ROOT, "%.1f s",
                        (loginAt.values().stream().max(Long::compare).orElseThrow() - t0) / 1e9));
            }
            // let the guests settle (idle after boot), then sample CPU over 20 s and memory
            sleepQuietly(10_000);
            measureCpu(daemon, jvmPid);
            measureMemory(daemon, jvmPid, jvmIdle, libvirtdIdle, virtlogdIdle);
            long[] heapBusy = heapKiB(jvmPid);
            Processes.jcmd(platform.javaBin(), jvmPid, "GC.run");
            long[] heapBusyGc = heapKiB(jvmPid);
            r.densityFacts.put("platform JVM threads: with the guests", Long.toString(threads(jvmPid)));
            r.densityFacts.put("platform JVM heap used / committed: idle after GC → with the guests → after GC",
                    mib(heapIdle[0]) + " / " + mib(heapIdle[1]) + " → " + mib(heapBusy[0]) + " / " + mib(heapBusy[1])
                            + " → " + mib(heapBusyGc[0]) + " / " + mib(heapBusyGc[1]) + " MiB (live heap per guest "
                            + mibSigned((heapBusyGc[0] - heapIdle[0]) / Math.max(1, runningAt.size())) + " MiB)");
        } finally {
            watch.close();
            LOG.info("density: deleting %d VMs", density);
            long d0 = System.nanoTime();
            platform.deleteVmsAndWait(names, Duration.ofSeconds(300));
            r.densityFacts.put("delete all → gone", String.format(Locale.ROOT, "%.1f s",
                    (System.nanoTime() - d0) / 1e9));
        }
    }

    /**
     * Waits until every guest reached its prompt or failed, or the deadline passed. Stops waiting when no guest
     * has reached its prompt for {@code --density-stall} (a guest can hang in early boot under heavy CPU
     * contention, e.g. the kernel's IO-APIC timer check panics); the guests still waiting then count as failed.
     */
    private void awaitPrompts(List<String> names, Map<String, Long> runningAt, Map<String, Long> loginAt,
                              Map<String, String> failures, long deadline) throws InterruptedException {
        long stall = o.densityStall().toNanos();
        int lastCount = -1;
        long lastChange = System.nanoTime();
        long lastReport = 0;
        while (System.nanoTime() < deadline && loginAt.size() + failures.size() < o.density()) {
            int count = loginAt.size() + runningAt.size();
            long now = System.nanoTime();
            if (count != lastCount) {
                lastCount = count;
                lastChange = now;
            }
            if (now - lastReport > TimeUnit.SECONDS.toNanos(15)) {
                lastReport = now;
                LOG.info("density: %d running, %d at the login prompt", runningAt.size(), loginAt.size());
            }
            if (runningAt.size() == o.density() && !loginAt.isEmpty() && now - lastChange > stall) {
                for (String n : names) {
                    if (!loginAt.containsKey(n) && !failures.containsKey(n)) {
                        failures.put(n, "no login prompt " + o.densityStall().toSeconds() + " s after the last other "
                                + "guest reached its prompt; console tail: "
                                + ConsoleLogin.tail(platform.console(), n));
                    }
                }
                break;
            }
            Thread.sleep(500);
        }
    }

    /** CPU used over 20 s with the guests idle at their prompt: platform JVM, libvirtd, QEMU (per guest). */
    private void measureCpu(LibvirtDaemon daemon, long jvmPid) {
        List<Long> qemus = daemon.qemuPids();
        long lv = daemon.pid().orElse(-1);
        long w0 = System.nanoTime();
        long j0 = VmPlatform.cpuMs(jvmPid);
        long l0 = VmPlatform.cpuMs(lv);
        long q0 = qemus.stream().mapToLong(VmPlatform::cpuMs).sum();
        sleepQuietly(20_000);
        double wall = (System.nanoTime() - w0) / 1e6;
        long j1 = VmPlatform.cpuMs(jvmPid);
        long l1 = VmPlatform.cpuMs(lv);
        long q1 = qemus.stream().mapToLong(VmPlatform::cpuMs).sum();
        r.densityFacts.put("CPU with the guests idle at their prompt (20 s window, % of one core)", String.format(
                Locale.ROOT, "platform JVM %.1f %%, libvirtd %.1f %%, QEMU %.1f %% per guest (%d guests)",
                100.0 * (j1 - j0) / wall, 100.0 * (l1 - l0) / wall,
                qemus.isEmpty() ? 0.0 : 100.0 * (q1 - q0) / wall / qemus.size(), qemus.size()));
    }

    private void measureMemory(LibvirtDaemon daemon, long jvmPid, long[] jvmIdle, long[] libvirtdIdle,
                               long[] virtlogdIdle) {
        String memory = o.densityMemory();
        long guestKiB = parseQuantityKiB(memory);
        List<Long> qemus = daemon.qemuPids();
        int n = qemus.size();
        long[] jvm = ProcFs.rssPss(jvmPid);
        long[] libvirtd = ProcFs.rssPss(daemon.pid().orElse(-1));
        long[] virtlogd = ProcFs.rssPss(daemon.virtlogdPid().orElse(-1));
        long qRss = 0;
        long qPss = 0;
        long qRam = 0;
        long qTcg = 0;
        for (long pid : qemus) {
            QemuMemory m = QemuMemory.read(pid, guestKiB);
            if (m == null) {
                continue;
            }
            qRss += m.rssKiB();
            qRam += m.guestRamKiB();
            qTcg += m.tcgKiB();
            qPss += m.pssKiB();
        }
        r.densityFacts.put("QEMU processes measured", Integer.toString(n));
        r.densityFacts.put("load (1/5/15 min)", ProcFs.loadavg());
        if (n == 0) {
            return;
        }
        List<String[]> rows = r.densityRows;
        rows.add(row("platform JVM (API server, controllers, node agent)", jvm[0], jvm[1], n));
        rows.add(row("libvirtd", libvirtd[0], libvirtd[1], n));
        rows.add(row("virtlogd", virtlogd[0], virtlogd[1], n));
        rows.add(row("QEMU × " + n + " (total)", qRss, qPss, n));
        rows.add(row("  of which guest RAM resident (" + memory + " each)", qRam, qRam, n));
        rows.add(row("  of which TCG translation cache resident", qTcg, qTcg, n));
        long qOverheadPss = qPss - qRam;
        long qOverheadRss = qRss - qRam;
        rows.add(row("  QEMU overhead = QEMU − guest RAM", qOverheadRss, qOverheadPss, n));
        rows.add(row("  QEMU overhead without the TCG cache", qOverheadRss - qTcg, qOverheadPss - qTcg, n));
        long fixedPss = jvm[1] + libvirtd[1] + virtlogd[1];
        long fixedRss = jvm[0] + libvirtd[0] + virtlogd[0];
        rows.add(row("**everything but guest RAM**", fixedRss + qOverheadRss, fixedPss + qOverheadPss, n));
        rows.add(row("**everything but guest RAM and the TCG cache**", fixedRss + qOverheadRss - qTcg,
                fixedPss + qOverheadPss - qTcg, n));
        r.densityFacts.put("per guest: everything but guest RAM (PSS)", mib((fixedPss + qOverheadPss) / n) + " MiB");
        r.densityFacts.put("per guest: same without the TCG cache (PSS)",
                mib((fixedPss + qOverheadPss - qTcg) / n) + " MiB");
        r.densityFacts.put("per guest: RSS upper bound (RSS sums, shared pages counted in each process)",
                mib((fixedRss + qOverheadRss) / n) + " MiB");
        r.densityFacts.put("platform JVM RSS: idle (0 guests) → " + n + " guests",
                mib(jvmIdle[0]) + " → " + mib(jvm[0]) + " MiB (" + mibSigned((jvm[0] - jvmIdle[0]) / n)
                        + " MiB per guest)");
        r.densityFacts.put("libvirtd RSS: idle → " + n + " guests", mib(libvirtdIdle[0]) + " → " + mib(libvirtd[0])
                + " MiB; virtlogd " + mib(virtlogdIdle[0]) + " → " + mib(virtlogd[0]) + " MiB");
        r.densityFacts.put("guest RAM resident per guest", mib(qRam / n) + " MiB of " + memory);
    }

    /** Table row: component, RSS MiB, PSS MiB, PSS per guest MiB. */
    private static String[] row(String what, long rssKiB, long pssKiB, int n) {
        return new String[] {what, mib(rssKiB), mib(pssKiB), mib(pssKiB / n)};
    }

    private static String mibSigned(long kib) {
        return String.format(Locale.ROOT, "%+.1f", kib / 1024.0);
    }

    /** Heap {used, committed} KiB of the platform JVM, or {0, 0} when jcmd cannot tell. */
    private long[] heapKiB(long pid) {
        long[] h = Processes.heapKiB(platform.javaBin(), pid);
        return h == null ? new long[] {0, 0} : h;
    }

    private static long threads(long pid) {
        try {
            return ProcFs.status(pid, "Threads:")[0];
        } catch (IOException e) {
            return -1;
        }
    }

    /** A Kubernetes memory quantity (plain bytes, Ki, Mi or Gi) in KiB. */
    static long parseQuantityKiB(String q) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(q);
        if (!m.matches()) {
            throw new IllegalArgumentException("memory quantity " + q);
        }
        long v = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> v;
            case "Mi" -> v * 1024;
            case "Gi" -> v * 1024 * 1024;
            default -> v / 1024;
        };
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
