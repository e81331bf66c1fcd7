package io.jvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jvirt.bench.VmPlatform.NS;

/**
 * The start latency phase: one warm-up start per path, then {@code --runs} starts per path, interleaved in rotating
 * order so that drift in the host's load does not favour one path. The paths: a VM through jvirt, {@code virsh
 * create} of the very same domain XML against the platform's libvirtd, and a direct {@code qemu-system-x86_64}.
 */
final class LatencyPhase {
    static final String LAT_VM = "bench-vm";
    static final String VIRSH_DOMAIN = "jvbench-virsh";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Log LOG = Log.VM;

    private final VmBenchOptions o;
    private final VmPlatform platform;
    private final VmStartResults r;
    private final List<Process> baselineQemus = new ArrayList<>();
    private CapturedDomain captured;

    LatencyPhase(VmBenchOptions o, VmPlatform platform, VmStartResults results) {
        this.o = o;
        this.platform = platform;
        this.r = results;
    }

    void run() throws Exception {
        LOG.info("warm-up (not counted): one start of each kind");
        long[] warm = jvirtRun(LAT_VM, true);
        if (warm == null) {
            throw new IllegalStateException("the warm-up VM did not reach its login prompt; see " + o.work());
        }
        long[] warmVirsh = virshRun(false);
        long[] warmQemu = qemuRun(false);
        r.facts.put("first start after `jvirt up` (warm-up, not in the statistics)", "jvirt → Running "
                + ms(warm[0]) + " ms, → login " + ms(warm[1]) + " ms; virsh → running "
                + (warmVirsh == null ? "n/a" : ms(warmVirsh[0])) + " ms, → login "
                + (warmVirsh == null ? "n/a" : ms(warmVirsh[1])) + " ms; qemu → login "
                + (warmQemu == null ? "n/a" : ms(warmQemu[1])) + " ms");

        for (int i = 0; i < o.runs(); i++) {
            long[] jv = null;
            long[] vs = null;
            for (int k = 0; k < 3; k++) {
                switch ((i + k) % 3) {
                    case 0 -> jv = jvirtRun(LAT_VM, false);
                    case 1 -> vs = virshRun(true);
                    default -> qemuRun(true);
                }
            }
            if (jv != null && vs != null) {
                r.pairedRunning.add(jv[0] - vs[0]);
                r.pairedLogin.add(jv[1] - vs[1]);
            }
            LOG.info("iteration %d/%d: jvirt %s / %s ms, virsh %s / %s ms, qemu %s ms (→ running / → login)", i + 1,
                    o.runs(), ms(last(r.jvRunning)), ms(last(r.jvLogin)), ms(last(r.virshRunning)),
                    ms(last(r.virshLogin)), ms(last(r.qemuLogin)));
        }
    }

    /** Stops the direct QEMU baseline that runs, if one does (clean-up on failure or Ctrl+C). */
    void stopBaselines() {
        List<Process> qs;
        synchronized (baselineQemus) {
            qs = new ArrayList<>(baselineQemus);
        }
        qs.forEach(Processes::stop);
    }

    private static Long last(List<Long> l) {
        return l.isEmpty() ? null : l.getLast();
    }

    private static String ms(Long ns) {
        return ns == null ? "n/a" : Stats.ms(ns / 1e6);
    }

    /**
     * One start through jvirt: create the VM, watch its VMI to Running, open the console (websocket subresource,
     * scrollback replayed) until the login prompt, then delete the VM and wait until VM and VMI are gone.
     *
     * @param capture the warm-up: keep the domain for the baselines, record nothing
     * @return {create → Running, create → login} in ns, or null when the guest did not get there
     */
    private long[] jvirtRun(String name, boolean capture) throws Exception {
        CompletableFuture<JsonNode> running = new CompletableFuture<>();
        AtomicLong runningAt = new AtomicLong();
        Watch watch = platform.client().genericKubernetesResources(VmResources.VMI).inNamespace(NS).withName(name)
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource res) {
                        long now = System.nanoTime();
                        JsonNode n = JSON.valueToTree(res);
                        String phase = n.path("status").path("phase").asText("");
                        if (phase.equals("Running") && !running.isDone()) {
                            runningAt.set(now);
                            running.complete(n);
                        } else if ((phase.equals("Failed") || phase.equals("Succeeded")) && !running.isDone()) {
                            running.completeExceptionally(new IllegalStateException("VMI " + name + " " + phase
                                    + ": " + n.path("status")));
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                        running.completeExceptionally(new IllegalStateException("watch closed", cause));
                    }
                });
        long[] result = null;
        try {
            Instant wall0 = Instant.now();
            long[] cpu0 = platform.cpuNow();
            long t0 = System.nanoTime();
            platform.createVm(name, null);
            long tAck = System.nanoTime();
            JsonNode vmi = running.get(o.loginTimeout().toSeconds(), TimeUnit.SECONDS);
            long tRun = runningAt.get();
            if (capture) {
                captured = CapturedDomain.capture(platform.data(), o.work(), NS, name);
            }
            long loginDeadline = System.nanoTime() + o.loginTimeout().toNanos();
            ConsoleLogin cl = ConsoleLogin.await(platform.console(), name, loginDeadline);
            long tLogin = cl.foundAt;
            long qemuPid = platform.qemuPid(VmPlatform.domainName(name));
            CpuToLogin cpu = CpuToLogin.between(cpu0, platform.cpuNow(), VmPlatform.cpuMs(qemuPid));
            QemuMemory mem = QemuMemory.read(qemuPid, captured.guestKiB());
            result = new long[] {tRun - t0, tLogin - t0};
            if (!capture) {
                r.jvRunning.add(tRun - t0);
                r.jvLogin.add(tLogin - t0);
                r.jvCreateAck.add(tAck - t0);
                Map<String, Instant> ts = new LinkedHashMap<>();
                for (JsonNode t : vmi.path("status").path("phaseTransitionTimestamps")) {
                    ts.putIfAbsent(t.path("phase").asText(), Instant.parse(t.path("phaseTransitionTimestamp").asText()));
                }
                r.jvToScheduling.add(nanosSince(wall0, ts.get("Scheduling")));
                r.jvToScheduled.add(nanosSince(wall0, ts.get("Scheduled")));
                r.jvToRunningTs.add(nanosSince(wall0, ts.get("Running")));
                Long runTs = nanosSince(wall0, ts.get("Running"));
                r.jvRunningEvent.add(runTs == null ? null : (tRun - t0) - runTs);
                r.jvRunningToConsole.add(cl.connectedAt - tRun);
                record("jvirt", cpu, mem);
            }
        } catch (TimeoutException e) {
            LOG.info("jvirt run: %s did not reach Running/login within %s", name, o.loginTimeout());
            r.notes.add("a jvirt start of " + name + " timed out (" + o.loginTimeout().toSeconds() + " s)");
        } finally {
            watch.close();
            long d0 = System.nanoTime();
            platform.deleteVmsAndWait(List.of(name), Duration.ofSeconds(120));
            if (!capture && result != null) {
                r.jvDelete.add(System.nanoTime() - d0);
            }
        }
        return result;
    }

    private void record(String path, CpuToLogin cpu, QemuMemory mem) {
        if (mem != null) {
            r.qemuAtLogin.get(path).add(mem);
        }
        r.cpuToLogin.get(path).add(cpu);
    }

    private static Long nanosSince(Instant wall0, Instant t) {
        return t == null ? null : Duration.between(wall0, t).toNanos();
    }

    /**
     * {@code virsh create} of the domain XML jvirt generated, changed only where it must be to live next to the
     * platform: another name, no uuid, no jvirt metadata (so the node agent ignores the domain), and its files
     * (overlay, seed ISO, sockets) in a directory of its own. Timed to the end of {@code virsh create} (the domain
     * runs) and to the login prompt on the serial socket.
     */
    private long[] virshRun(boolean record) throws Exception {
        Path dir = o.work().resolve("virsh");
        Dirs.reset(dir);
        Files.createDirectories(dir.resolve("disks"));
        String xml = captured.xml().replace(captured.vmiDir().toString(), dir.toString())
                .replaceFirst("<name>[^<]*</name>", "<name>" + VIRSH_DOMAIN + "</name>")
                .replaceFirst("\\s*<uuid>[^<]*</uuid>", "")
                .replaceFirst("(?s)\\s*<metadata>.*</metadata>", "");
        Matcher iso = CapturedDomain.SEED_ISO.matcher(xml);
        iso.find();
        Path isoPath = Path.of(iso.group(1));
        Files.createDirectories(isoPath.getParent());
        Files.copy(captured.seedIso(), isoPath, StandardCopyOption.REPLACE_EXISTING);
        Matcher overlay = Pattern.compile("<source file='([^']*)'/>\\s*<backingStore type='file'>").matcher(xml);
        overlay.find();
        createOverlay(overlay.group(1));
        Path xmlFile = dir.resolve("domain.xml");
        Files.writeString(xmlFile, xml);
        Matcher serial = Pattern.compile("<serial type='unix'>\\s*<source mode='bind' path='([^']+)'/>").matcher(xml);
        serial.find();
        Path serialSock = Path.of(serial.group(1));

        long[] cpu0 = platform.cpuNow();
        long t0 = System.nanoTime();
        Processes.run(List.of("virsh", "-c", platform.virshUri(), "create", xmlFile.toString()),
                Duration.ofSeconds(120));
        long tRun = System.nanoTime();
        long[] result = null;
        try {
            long tLogin = PromptReader.fromSocket(serialSock, System.nanoTime() + o.loginTimeout().toNanos());
            long qemuPid = platform.qemuPid(VIRSH_DOMAIN);
            CpuToLogin cpu = CpuToLogin.between(cpu0, platform.cpuNow(), VmPlatform.cpuMs(qemuPid));
            QemuMemory mem = QemuMemory.read(qemuPid, captured.guestKiB());
            result = new long[] {tRun - t0, tLogin - t0};
            if (record) {
                r.virshRunning.add(tRun - t0);
                r.virshLogin.add(tLogin - t0);
                record("virsh", cpu, mem);
            }
        } catch (TimeoutException e) {
            timedOut("virsh", "a virsh start", e);
        } finally {
            Processes.runQuietly(List.of("virsh", "-c", platform.virshUri(), "destroy", VIRSH_DOMAIN));
            waitGone(platform.qemuPid(VIRSH_DOMAIN));
            Dirs.reset(dir);
        }
        return result;
    }

    /**
     * A direct {@code qemu-system-x86_64} start of the same guest (see {@link CapturedDomain#qemuCommand}): a fresh
     * overlay on the same base image, the same seed ISO. Timed to the login prompt on stdout.
     */
    private long[] qemuRun(boolean record) throws Exception {
        Path dir = o.work().resolve("qemu");
        Dirs.reset(dir);
        Path overlay = dir.resolve("rootdisk.qcow2");
        createOverlay(overlay.toString());
        Path iso = dir.resolve("seed.iso");
        Files.copy(captured.seedIso(), iso);
        List<String> cmd = captured.qemuCommand(overlay, iso, o.qemuTbSize());
        Files.writeString(dir.resolve("command"), String.join(" ", cmd) + "\n");
        long[] cpu0 = platform.cpuNow();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        synchronized (baselineQemus) {
            baselineQemus.add(p);
        }
        long[] result = null;
        try {
            long tLogin = PromptReader.fromStream("qemu stdio", p.getInputStream(),
                    System.nanoTime() + o.loginTimeout().toNanos());
            CpuToLogin cpu = CpuToLogin.between(cpu0, platform.cpuNow(), VmPlatform.cpuMs(p.pid()));
            QemuMemory mem = QemuMemory.read(p.pid(), captured.guestKiB());
            result = new long[] {-1, tLogin - t0};
            if (record) {
                r.qemuLogin.add(tLogin - t0);
                record("qemu", cpu, mem);
            }
        } catch (TimeoutException e) {
            timedOut("qemu", "a direct QEMU start", e);
        } finally {
            Processes.stop(p);
            synchronized (baselineQemus) {
                baselineQemus.remove(p);
            }
            Dirs.reset(dir);
        }
        return result;
    }

    /** A baseline start that did not reach the login prompt: logged, and noted in the report. */
    private void timedOut(String path, String what, TimeoutException e) {
        LOG.info("%s run: %s", path, e.getMessage());
        r.notes.add(what + " timed out: " + e.getMessage());
    }

    /** A fresh qcow2 overlay on the captured domain's base image. */
    private void createOverlay(String file) throws Exception {
        Processes.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", captured.baseFormat(), "-b",
                captured.baseImage(), file), Duration.ofSeconds(60));
    }

    /** Waits (at most 20 s) until a process is gone, so that the next start does not overlap with it. */
    private static void waitGone(long pid) {
        if (pid <= 0) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline
                && Files.exists(Path.of("/proc", Long.toString(pid), "smaps"))) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
