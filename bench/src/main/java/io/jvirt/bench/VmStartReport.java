package io.jvirt.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

import static io.jvirt.bench.Markdown.header;
import static io.jvirt.bench.Markdown.row;

/** The Markdown report of the VM start bench (docs/benchmarks.md quotes it: keep its wording). */
final class VmStartReport {
    private VmStartReport() {
    }

    static String render(VmBenchOptions o, VmStartResults r) {
        StringBuilder sb = new StringBuilder();
        sb.append("## VM start latency and density (bench/run-vm.sh)\n\n");
        bullets(sb, r.facts);
        sb.append("- runs: ").append(o.runs()).append(" per path after one warm-up start each, interleaved (jvirt, "
                + "virsh, qemu in rotating order)\n\n");
        latency(sb, r);
        cpuAndMemory(sb, r);
        if (o.density() > 0) {
            sb.append("### Density: ").append(o.density()).append(" guests of ").append(o.densityMemory())
                    .append("\n\n");
            bullets(sb, r.densityFacts);
            if (!r.densityRows.isEmpty()) {
                sb.append('\n');
                header(sb, "component", "RSS MiB", "PSS MiB", "PSS per guest MiB");
                for (String[] row : r.densityRows) {
                    row(sb, row);
                }
            }
            sb.append('\n');
        }
        if (!r.notes.isEmpty()) {
            sb.append("Notes:\n\n");
            r.notes.forEach(n -> sb.append("- ").append(n).append('\n'));
            sb.append('\n');
        }
        sb.append("Logs and the captured domain XML: ").append(o.work()).append('\n');
        return sb.toString();
    }

    private static void latency(StringBuilder sb, VmStartResults r) {
        sb.append("### Start latency\n\n");
        header(sb, "path", "measure", "n", "p50 ms", "p95 ms", "min ms", "max ms");
        latRow(sb, "jvirt", "VM create → VMI Running (watch event)", r.jvRunning);
        latRow(sb, "jvirt", "VM create → login prompt (console subresource)", r.jvLogin);
        latRow(sb, "virsh", "`virsh create` → domain running (virsh returns)", r.virshRunning);
        latRow(sb, "virsh", "`virsh create` → login prompt (serial socket)", r.virshLogin);
        latRow(sb, "qemu", "`qemu-system-x86_64` spawn → login prompt (stdio)", r.qemuLogin);
        sb.append('\n');
        header(sb, "overhead of jvirt's control plane", "p50 ms", "p95 ms");
        medianRow(sb, "→ running: p50(jvirt) − p50(virsh)", diff(r.jvRunning, r.virshRunning));
        stepRow(sb, "→ running: paired per iteration, jvirt − virsh", r.pairedRunning);
        medianRow(sb, "→ login: p50(jvirt) − p50(virsh)", diff(r.jvLogin, r.virshLogin));
        stepRow(sb, "→ login: paired per iteration, jvirt − virsh", r.pairedLogin);
        medianRow(sb, "→ login: p50(virsh) − p50(qemu) (libvirt's own cost)", diff(r.virshLogin, r.qemuLogin));
        sb.append('\n');
        sb.append("Where jvirt's time to Running goes (VMI `status.phaseTransitionTimestamps`, ms since the create "
                + "call; same host clock):\n\n");
        header(sb, "step", "p50 ms", "p95 ms");
        stepRow(sb, "create call returns (API server ack)", r.jvCreateAck);
        stepRow(sb, "→ VMI Scheduling (VM controller made the VMI, VMI controller the launcher pod)",
                r.jvToScheduling);
        stepRow(sb, "→ VMI Scheduled (pod runner marked the pod Running, VMI controller bound the VMI)",
                r.jvToScheduled);
        stepRow(sb, "→ VMI Running written by the node agent (disks, seed ISO, define, start, status)",
                r.jvToRunningTs);
        stepRow(sb, "Running written → watch event at the client", r.jvRunningEvent);
        stepRow(sb, "Running event → console websocket open", r.jvRunningToConsole);
        stepRow(sb, "VM delete → VM and VMI gone (guest destroyed, grace period 0)", r.jvDelete);
        sb.append('\n');
    }

    private static void cpuAndMemory(StringBuilder sb, VmStartResults r) {
        sb.append("CPU used from the start until the login prompt (p50 over the runs, ms of CPU; the platform JVM and "
                + "libvirtd idle along during the baselines):\n\n");
        header(sb, "path", "the guest's QEMU", "platform JVM", "libvirtd", "bench driver");
        for (var e : r.cpuToLogin.entrySet()) {
            List<CpuToLogin> l = e.getValue();
            if (!l.isEmpty()) {
                row(sb, e.getKey(), Long.toString(med(l, CpuToLogin::qemuMs)),
                        Long.toString(med(l, CpuToLogin::platformMs)), Long.toString(med(l, CpuToLogin::libvirtdMs)),
                        Long.toString(med(l, CpuToLogin::driverMs)));
            }
        }
        sb.append('\n');
        sb.append("QEMU process memory at the login prompt (p50 over the runs, MiB):\n\n");
        header(sb, "path", "RSS", "guest RAM resident", "TCG cache resident", "RSS − guest RAM",
                "RSS − guest RAM − TCG cache");
        for (var e : r.qemuAtLogin.entrySet()) {
            List<QemuMemory> l = e.getValue();
            if (!l.isEmpty()) {
                row(sb, e.getKey(), mib(med(l, QemuMemory::rssKiB)), mib(med(l, QemuMemory::guestRamKiB)),
                        mib(med(l, QemuMemory::tcgKiB)), mib(med(l, m -> m.rssKiB() - m.guestRamKiB())),
                        mib(med(l, m -> m.rssKiB() - m.guestRamKiB() - m.tcgKiB())));
            }
        }
        sb.append('\n');
    }

    /** KiB as MiB with one decimal. */
    static String mib(long kib) {
        return String.format(Locale.ROOT, "%.1f", kib / 1024.0);
    }

    private static void bullets(StringBuilder sb, Map<String, String> facts) {
        for (var e : facts.entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
    }

    /** The lower median. */
    private static <T> long med(List<T> l, ToLongFunction<T> f) {
        long[] v = l.stream().mapToLong(f).sorted().toArray();
        return v[(v.length - 1) / 2];
    }

    private static void latRow(StringBuilder sb, String path, String what, List<Long> v) {
        Stats s = Stats.of(v);
        row(sb, path, what, Integer.toString(s.count()), Stats.ms(s.p50()), Stats.ms(s.pMs(95)),
                Stats.ms(s.pMs(0.001)), Stats.ms(s.maxMs()));
    }

    /** A row with p50 and p95. */
    private static void stepRow(StringBuilder sb, String what, List<Long> v) {
        Stats s = Stats.of(v);
        row(sb, what, Stats.ms(s.p50()), Stats.ms(s.pMs(95)));
    }

    /** A row with a p50 only: the p95 cell stays empty. */
    private static void medianRow(StringBuilder sb, String what, String p50) {
        sb.append("| ").append(what).append(" | ").append(p50).append(" | |\n");
    }

    private static String diff(List<Long> a, List<Long> b) {
        return Stats.ms(Stats.of(a).p50() - Stats.of(b).p50());
    }
}
