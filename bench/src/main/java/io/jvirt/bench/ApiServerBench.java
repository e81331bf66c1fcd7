package io.jvirt.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API server benchmark (not a test). Spawns {@link ServerMain} as a separate JVM with the product's flags and
 * drives it with fabric8 and raw java.net.http clients; measures baselines in the same run; prints a Markdown
 * report. See {@code bench/run.sh} and {@code docs/benchmarks.md}.
 *
 * <pre>
 * ApiServerBench --repo DIR [--out FILE] [--creates1 2000] [--creates32 8000] [--threads 32] [--lists 20]
 *                [--watch-writes 1000] [--raw-creates1 1000] [--raw-creates32 4000] [--concurrent-listers 4]
 *                [--lists-per-lister 5] [--server-flags "..."]   (extra JVM flags for the server, e.g. JFR)
 * </pre>
 *
 * The phases are {@link ApiPhases}; {@link ApiServerReport} writes what they found. The server is stopped by its
 * PID at the end ({@link ServerProcess#close()}), and it stops by itself when this driver dies.
 */
public final class ApiServerBench {
    private static final Log LOG = Log.API;

    private final ApiBenchOptions o;
    private final Path work;
    private final Map<String, String> facts = new LinkedHashMap<>();

    private ApiServerBench(ApiBenchOptions o) {
        this.o = o;
        this.work = o.repo().resolve("bench/target/bench-work");
    }

    public static void main(String[] args) throws Exception {
        new ApiServerBench(ApiBenchOptions.parse(args)).run();
        System.exit(0);
    }

    private void run() throws Exception {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(ZonedDateTime.now());
        Path runDir = work.resolve(stamp);
        Files.createDirectories(runDir);
        Path serverLog = o.repo().resolve("bench/target/bench-server-" + stamp + ".log");

        environment(runDir);

        // the manifest and the bytes the store keeps for it (for the SQLite baseline)
        ObjectNode manifest = VmResources.manifest(o.repo());
        byte[] storedLike = VmResources.storedForm(VmResources.appliedVm(manifest, ApiPhases.NS, "vm-baseline-000000"));
        byte[] request = VmResources.toBytes(VmResources.appliedVm(manifest, ApiPhases.NS, "vm-1c-00000"));
        facts.put("VM request body (kubectl-apply shape of examples/vm-cirros.yaml)", request.length + " bytes");

        // baselines that need no server
        LOG.info("fsync probe");
        Stats fsync = Baselines.fsyncProbe(runDir, 1000);
        LOG.info("SQLite baseline: 1 row per transaction");
        Baselines.SqliteResult sq1 = Baselines.sqliteInserts(runDir, "1", storedLike, o.creates1(), 1);
        LOG.info("SQLite baseline: %d rows per transaction", o.threads());
        Baselines.SqliteResult sqN = Baselines.sqliteInserts(runDir, "n", storedLike, o.creates32(), o.threads());

        List<String> flags = new ArrayList<>(ServerProcess.productJvmFlags(o.repo()));
        String extra = o.serverFlags();
        if (extra != null && !extra.isBlank()) {
            flags.addAll(List.of(extra.trim().split("\\s+")));
        }
        facts.put("server JVM flags", String.join(" ", flags));
        LOG.info("starting the server (%s)", String.join(" ", flags));
        ApiResults results;
        try (ServerProcess server = ServerProcess.start(runDir.resolve("data"), flags, serverLog)) {
            facts.put("server start to serving", server.startupMs + " ms");
            Thread.sleep(2000);
            long[] rssIdle = server.rssKiB();
            long[] heapIdle = server.heapKiB();

            Config cfg = Config.fromKubeconfig(Files.readString(server.kubeconfig));
            cfg.setOnlyHttpWatches(true); // jvirt serves watches over HTTP streams, not websockets
            cfg.setRequestTimeout(60_000);
            cfg.setMaxConcurrentRequests(256);
            cfg.setMaxConcurrentRequestsPerHost(256);
            HttpClient raw = RawHttp.client(cfg);
            String token = cfg.getAutoOAuthToken();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cfg).build()) {
                ApiPhases.createNamespaces(client);
                ApiPhases phases = new ApiPhases(o, server, cfg, client, raw, token, manifest, facts);
                phases.warmUp();
                ApiResults.Creates creates = phases.creates();
                facts.put("VM as stored by the server (one object, JSON)", creates.storedBytes() + " bytes");
                facts.put("SQLite baseline payload", storedLike.length + " bytes");
                ApiResults.Lists lists = phases.lists();
                WatchMeasure watch = phases.watch();
                ApiResults.Memory memory = phases.memory();
                ApiResults.RawCreates rawCreates = phases.rawCreates();
                ApiResults.ConcurrentLists concurrent = phases.concurrentLists();
                raw.shutdownNow();
                ApiResults.Transport transport = ApiPhases.transportBaselines(o, lists.body(), creates.storedBytes());
                results = new ApiResults(fsync, sq1, sqN, rssIdle, heapIdle, creates, lists, watch, memory,
                        rawCreates, concurrent, transport);
            }
        } finally {
            try {
                Dirs.delete(runDir);
            } catch (IOException e) {
                // best effort
            }
        }
        String report = ApiServerReport.render(o, results, facts, o.repo().relativize(serverLog).toString());
        System.out.println(report);
        if (o.out() != null) {
            Files.writeString(o.out(), report);
        }
    }

    private void environment(Path runDir) {
        facts.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        facts.put("CPU", Runtime.getRuntime().availableProcessors() + " × " + ProcFs.cpuModel());
        ProcFs.memTotalKiB().ifPresent(kib -> facts.put("memory", String.format(Locale.ROOT, "%.1f GiB",
                kib / 1048576.0)));
        facts.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        facts.put("JDK", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version")
                + " (" + ServerProcess.javaBinary() + ")");
        facts.put("data directory filesystem", ProcFs.filesystemOf(runDir));
        String load = ProcFs.loadavg();
        if (!load.isEmpty()) {
            facts.put("load average at start (1/5/15 min)", load.replaceFirst("^(\\S+ \\S+ \\S+).*", "$1"));
        }
    }
}
