package io.jvirt.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.jvirt.bench.ApiBenchOptions.WARM_LISTS;
import static io.jvirt.bench.ApiBenchOptions.WARM_WRITES;

/**
 * The Markdown report of the API server bench: one table of jvirt against its baselines and targets, the baselines
 * explained, then a table of facts (docs/benchmarks.md quotes it: keep its wording).
 */
final class ApiServerReport {
    private final List<String[]> rows = new ArrayList<>();

    private ApiServerReport() {
    }

    /**
     * @param facts     facts found during the run, in order; the CPU figures of the creates follow them
     * @param serverLog the server's log, as shown
     */
    static String render(ApiBenchOptions o, ApiResults r, Map<String, String> facts, String serverLog) {
        ApiServerReport report = new ApiServerReport();
        report.creates(o, r);
        report.listsAndWatch(o, r);
        report.memory(o, r);
        Map<String, String> all = new LinkedHashMap<>(facts);
        CreateRun c1 = r.creates().one();
        CreateRun cN = r.creates().many();
        CreateRun rN = r.raw().many();
        int threads = o.threads();
        all.put("server CPU per create, 1 client", String.format(Locale.ROOT, "%.2f ms", c1.serverCpuPerOp()));
        all.put("driver (fabric8) CPU per create, 1 client", String.format(Locale.ROOT, "%.2f ms",
                c1.clientCpuPerOp()));
        all.put("server CPU per create, " + threads + " raw clients", String.format(Locale.ROOT, "%.2f ms",
                rN.serverCpuPerOp()));
        all.put("driver (raw) CPU per create, " + threads + " raw clients", String.format(Locale.ROOT, "%.2f ms",
                rN.clientCpuPerOp()));
        all.put("CPU during the " + threads + "-raw-client creates", rN.cpu().split());
        all.put("server CPU per create, " + threads + " clients", String.format(Locale.ROOT, "%.2f ms",
                cN.serverCpuPerOp()));
        all.put("driver (fabric8) CPU per create, " + threads + " clients", String.format(Locale.ROOT,
                "%.2f ms", cN.clientCpuPerOp()));
        all.put("CPU during the 1-client creates", c1.cpu().split());
        all.put("CPU during the " + threads + "-client creates", cN.cpu().split());
        all.put("mean commits/s implied by fsync p50", fmt0(1000 / r.fsync().p50()) + "/s");
        all.put("TCP connections from the " + threads + "-thread fabric8 client",
                Integer.toString(r.creates().connections()));
        WatchMeasure wm = r.watch();
        all.put("watch events missed (fabric8 / raw / baseline)", wm.missed(0) + " / " + wm.missed(1) + " / "
                + r.transport().watch().missed(0));
        all.put("server log", serverLog);
        return report.text(o, all);
    }

    private void creates(ApiBenchOptions o, ApiResults r) {
        int threads = o.threads();
        CreateRun c1 = r.creates().one();
        CreateRun cN = r.creates().many();
        CreateRun r1 = r.raw().one();
        CreateRun rN = r.raw().many();
        Baselines.SqliteResult sq1 = r.sqlite1();
        Baselines.SqliteResult sqN = r.sqliteN();
        row("creates/s, 1 client (" + o.creates1() + " sequential creates)", fmt0(c1.perSec()) + "/s",
                fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(c1.perSec(), sq1.rowsPerSec()), "—");
        row("creates/s, " + threads + " clients (" + o.creates32() + " creates, " + threads
                        + " threads sharing one fabric8 client)", fmt0(cN.perSec()) + "/s",
                fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(cN.perSec(), sq1.rowsPerSec()),
                "≥ 1 000/s: " + met(cN.perSec() >= 1000));
        row("  (same, against " + threads + " rows per transaction)", fmt0(cN.perSec()) + "/s",
                fmt0(sqN.rowsPerSec()) + "/s", "B", ratio(cN.perSec(), sqN.rowsPerSec()), "—");
        row("creates/s, 1 raw java.net.http client (" + o.rawCreates1() + " creates, after the above)",
                fmt0(r1.perSec()) + "/s", fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(r1.perSec(), sq1.rowsPerSec()),
                "—");
        row("creates/s, " + threads + " threads sharing one raw java.net.http client (" + o.rawCreates32()
                        + " creates)", fmt0(rN.perSec()) + "/s", fmt0(sq1.rowsPerSec()) + "/s", "A",
                ratio(rN.perSec(), sq1.rowsPerSec()), "(≥ 1 000/s: " + met(rN.perSec() >= 1000) + ")");
        latencyRow("create latency, 1 client", c1, sq1, "A");
        latencyRow("create latency, " + threads + " clients", cN, sqN, "B");
        latencyRow("create latency, 1 raw client", r1, sq1, "A");
        latencyRow("create latency, " + threads + " raw clients", rN, sqN, "B");
    }

    private void latencyRow(String metric, CreateRun run, Baselines.SqliteResult baseline, String which) {
        row(metric, run.latency().p50p99(), baseline.txnLatency().p50p99(), which,
                ratio(run.latency().p50(), baseline.txnLatency().p50()), "—");
    }

    private void listsAndWatch(ApiBenchOptions o, ApiResults r) {
        int total = o.listed();
        ApiResults.Lists l = r.lists();
        Stats staticList = r.transport().staticList();
        row("list " + total + " VMs, fabric8 `.list()` (incl. deserialization)", l.fabric8().p50p99(),
                staticList.p50p99(), "C", ratio(l.fabric8().p50(), staticList.p50()),
                "≤ 300 ms: " + met(l.fabric8().p99() <= 300));
        row("list " + total + " VMs, raw GET HTTP/1.1 (bytes only)", l.rawHttp1().p50p99(), staticList.p50p99(), "C",
                ratio(l.rawHttp1().p50(), staticList.p50()), "≤ 300 ms: " + met(l.rawHttp1().p99() <= 300));
        row("list " + total + " VMs, raw GET HTTP/2 (bytes only)", l.rawHttp2().p50p99(), staticList.p50p99(), "C",
                ratio(l.rawHttp2().p50(), staticList.p50()), "—");
        row("  fabric8 deserialization of that list alone (client CPU)", l.parse().p50p99(), "—", "", "—", "—");
        WatchMeasure wm = r.watch();
        WatchMeasure bw = r.transport().watch();
        for (int w = 0; w < 2; w++) {
            String who = w == 0 ? "fabric8 watch" : "raw HTTP/1.1 watch";
            row("watch, write sent → event received (" + who + ")", wm.sendToEvent(w).p50p99(),
                    bw.sendToEvent(0).p50p99(), "D", ratio(wm.sendToEvent(w).p50(), bw.sendToEvent(0).p50()),
                    "p99 ≤ 20 ms: " + met(wm.sendToEvent(w).p99() <= 20));
            row("watch, write acknowledged → event received (" + who + ")", wm.ackToEvent(w).p50p99(),
                    bw.ackToEvent(0).p50p99(), "D", "—",
                    "p99 ≤ 20 ms: " + met(wm.ackToEvent(w).p99() <= 20));
        }
        row("  update latency (PATCH sent → response) during the watch run", wm.writeLatency().p50p99(),
                bw.writeLatency().p50p99(), "D", ratio(wm.writeLatency().p50(), bw.writeLatency().p50()), "—");
    }

    private void memory(ApiBenchOptions o, ApiResults r) {
        int total = o.listed();
        ApiResults.Memory m = r.memory();
        long[] rssIdle = r.rssIdle();
        long[] heapIdle = r.heapIdle();
        row("server RSS holding " + total + " VMs (end of run)", mib(m.rssEnd()[0]), mib(rssIdle[0])
                + " (idle, empty)", "E", ratio(m.rssEnd()[0], rssIdle[0]),
                "≤ 512 MiB: " + met(m.rssEnd()[0] <= 512 * 1024));
        row("  server RSS after `jcmd GC.run`", m.gcOk() ? mib(m.rssGc()[0]) : "n/a", mib(rssIdle[0]), "E",
                m.gcOk() ? ratio(m.rssGc()[0], rssIdle[0]) : "—", "—");
        row("  server peak RSS (VmHWM)", mib(m.rssEnd()[1]), "—", "", "—", "—");
        row("  server heap used / committed (end)", usedCommitted(m.heapEnd()), usedCommitted(heapIdle) + " (idle)",
                "E", ratio(m.heapEnd()[0], heapIdle[0]), "—");
        row("  server heap used / committed (after GC.run)", usedCommitted(m.heapGc()), "—", "", "—", "—");
        row("  server RSS after the creates / after the lists / after the watch", mib(r.creates().rssAfter()[0])
                + " / " + mib(r.lists().rssAfter()[0]) + " / " + mib(m.rssAfterWatch()[0]), "—", "", "—", "—");
        row("  server heap used / committed right after the lists", usedCommitted(r.lists().heapAfter()), "—", "",
                "—", "—");
        ApiResults.ConcurrentLists c = r.concurrent();
        row("list " + total + " VMs, " + o.concurrentListers() + " raw HTTP/1.1 clients at once ("
                + o.listsPerLister() + " lists each)", c.latency().p50p99(), "—", "", "—", "—");
        row("  server RSS after those concurrent lists (store then holds "
                        + (total + o.rawCreates1() + o.rawCreates32()) + " VMs)", mib(c.rss()[0]), mib(rssIdle[0]),
                "E", ratio(c.rss()[0], rssIdle[0]), "(≤ 512 MiB: " + met(c.rss()[0] <= 512 * 1024) + ")");
        row("  server heap used / committed after those concurrent lists", usedCommitted(c.heap()), "—", "", "—",
                "—");
        row("disk: fdatasync of a 4 KiB append (p50 / p99)", "—", r.fsync().p50p99(), "F", "—", "—");
    }

    private void row(String metric, String jvirt, String baseline, String which, String ratio, String target) {
        rows.add(new String[] {metric, jvirt, baseline, which, ratio, target});
    }

    private String text(ApiBenchOptions o, Map<String, String> facts) {
        int threads = o.threads();
        StringBuilder sb = new StringBuilder();
        Markdown.header(sb, "metric", "jvirt", "baseline", "which baseline", "jvirt ÷ baseline", "target");
        for (String[] r : rows) {
            Markdown.row(sb, r);
        }
        sb.append("\nBaselines (same run, same machine, same disk):\n\n");
        sb.append("- **A**: raw SQLite through the same sqlite-jdbc as the store, configured as the store (WAL, "
                + "synchronous=FULL, locking_mode=EXCLUSIVE, same table), one INSERT per durable transaction, same "
                + "payload size, one thread. For latencies: one transaction's commit time.\n");
        sb.append("- **B**: as A but " + threads + " rows per transaction (the best group commit can do with "
                + threads + " writers; latency = one such transaction).\n");
        sb.append("- **C**: the exact bytes of jvirt's list response served by the JDK's com.sun.net.httpserver over "
                + "plain HTTP/1.1 on loopback, fetched with the same java.net.http client (transport floor: no TLS, no "
                + "auth, no store).\n");
        sb.append("- **D**: the same sequential write/watch loop against com.sun.net.httpserver over plain HTTP/1.1: "
                + "the write handler queues a line of the VM's size to the open watch stream and answers (transport "
                + "floor: no TLS, no JSON processing, no fsync; add the disk's fsync, F, for a durable floor).\n");
        sb.append("- **E**: the same server process right after start, empty store, same JVM flags.\n");
        sb.append("- **F**: the disk itself: 4 KiB append + fdatasync (FileChannel.force(false)) in the data "
                + "directory.\n");
        sb.append("\nRatios: rates are jvirt ÷ baseline (higher is better); times and memory are jvirt ÷ baseline "
                + "(lower is better). Latency targets are judged on p99; the list target on p99 of 20 lists.\n");
        sb.append("\nRun parameters: " + o.creates1() + " + " + o.creates32() + " creates, " + o.lists() + " lists (+"
                + WARM_LISTS + " warm-up) per client kind, " + o.watchWrites() + " watched updates (+" + WARM_WRITES
                + " warm-up); warm-up before measuring: 600 creates with 8 threads, 5 lists, delete of those VMs.\n\n");
        Markdown.header(sb, "fact", "value");
        facts.forEach((k, v) -> Markdown.row(sb, k, v));
        return sb.toString();
    }

    private static String fmt0(double v) {
        return String.format(Locale.ROOT, "%,.0f", v).replace(',', ' ');
    }

    private static String ratio(double jvirt, double baseline) {
        if (baseline == 0 || Double.isNaN(jvirt) || Double.isNaN(baseline)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.2f×", jvirt / baseline);
    }

    private static String met(boolean ok) {
        return ok ? "**met**" : "**missed**";
    }

    private static String mib(long kib) {
        return kib < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
    }

    /** "used / committed" of a heap {used, committed} KiB. */
    private static String usedCommitted(long[] heapKiB) {
        return mib(heapKiB[0]) + " / " + mib(heapKiB[1]);
    }
}
