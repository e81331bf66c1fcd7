package io.jvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.stream.Stream;

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
 */
public final class ApiServerBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ResourceDefinitionContext VM = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachine").withPlural("virtualmachines")
            .withNamespaced(true).build();
    private static final String NS = "bench";
    private static final String NS_WARM = "bench-warm";
    private static final String NS_WATCH = "bench-watch";
    private static final String NS_RAW = "bench-raw";

    private final Map<String, String> opts;
    private final Path repo;
    private final Path work;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();

    private ApiServerBench(Map<String, String> opts) {
        this.opts = opts;
        this.repo = Path.of(opts.getOrDefault("repo", ".")).toAbsolutePath().normalize();
        this.work = repo.resolve("bench/target/bench-work");
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        new ApiServerBench(o).run();
        System.exit(0);
    }

    private int intOpt(String k, int def) {
        return Integer.parseInt(opts.getOrDefault(k, Integer.toString(def)));
    }

    private static void log(String fmt, Object... a) {
        System.err.printf(Locale.ROOT, "[bench %s] " + fmt + "%n",
                Stream.concat(Stream.of(java.time.LocalTime.now().withNano(0)), Stream.of(a)).toArray());
    }

    // ------------------------------------------------------------------------------------------------------ run

    private void run() throws Exception {
        int creates1 = intOpt("creates1", 2000);
        int creates32 = intOpt("creates32", 8000);
        int threads = intOpt("threads", 32);
        int lists = intOpt("lists", 20);
        int watchWrites = intOpt("watch-writes", 1000);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(ZonedDateTime.now());
        Path runDir = work.resolve(stamp);
        Files.createDirectories(runDir);
        Path serverLog = repo.resolve("bench/target/bench-server-" + stamp + ".log");

        environment(runDir);

        // ---- the manifest and the bytes the store keeps for it (for the SQLite baseline)
        ObjectNode manifest = (ObjectNode) new YAMLMapper().readTree(repo.resolve("examples/vm-cirros.yaml").toFile());
        byte[] storedLike = storedForm(vmJson(manifest, NS, "vm-baseline-000000"));
        byte[] request = JSON.writeValueAsBytes(vmJson(manifest, NS, "vm-1c-00000"));
        facts.put("VM request body (kubectl-apply shape of examples/vm-cirros.yaml)", request.length + " bytes");

        // ---- baselines that need no server
        log("fsync probe");
        Stats fsync = Baselines.fsyncProbe(runDir, 1000);
        log("SQLite baseline: 1 row per transaction");
        Baselines.SqliteResult sq1 = Baselines.sqliteInserts(runDir, "1", storedLike, creates1, 1);
        log("SQLite baseline: %d rows per transaction", threads);
        Baselines.SqliteResult sqN = Baselines.sqliteInserts(runDir, "n", storedLike, creates32, threads);

        // ---- the server
        List<String> flags = new ArrayList<>(ServerProcess.productJvmFlags(repo));
        String extra = opts.get("server-flags");
        if (extra != null && !extra.isBlank()) {
            flags.addAll(List.of(extra.trim().split("\\s+")));
        }
        facts.put("server JVM flags", String.join(" ", flags));
        log("starting the server (%s)", String.join(" ", flags));
        Path dataDir = runDir.resolve("data");
        try (ServerProcess server = ServerProcess.start(dataDir, flags, serverLog)) {
            facts.put("server start to serving", server.startupMs + " ms");
            Thread.sleep(2000);
            long[] rssIdle = server.rssKiB();
            long[] heapIdle = server.heapKiB();

            Config cfg = Config.fromKubeconfig(Files.readString(server.kubeconfig));
            cfg.setOnlyHttpWatches(true); // jvirt serves watches over HTTP streams, not websockets
            cfg.setRequestTimeout(60_000);
            cfg.setMaxConcurrentRequests(256);
            cfg.setMaxConcurrentRequestsPerHost(256);
            HttpClient raw = rawClient(cfg);
            String token = cfg.getAutoOAuthToken();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cfg).build()) {
                KubernetesSerialization ser = client.getKubernetesSerialization();
                MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> vms =
                        client.genericKubernetesResources(VM);
                for (String ns : List.of(NS, NS_WARM, NS_WATCH, NS_RAW)) {
                    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata()
                            .build()).create();
                }

                // ---- warm-up (JIT of both JVMs, connection pools): creates, lists, gets, then delete them again
                log("warm-up");
                List<GenericKubernetesResource> warm = build(ser, manifest, NS_WARM, "vm-warm-%05d", 600);
                createRun(vms, NS_WARM, warm, 8, server);
                for (int i = 0; i < 5; i++) {
                    vms.inNamespace(NS_WARM).list();
                    rawGet(raw, server.url + "/apis/kubevirt.io/v1/namespaces/" + NS_WARM + "/virtualmachines", token,
                            HttpClient.Version.HTTP_1_1);
                }
                vms.inNamespace(NS_WARM).delete();
                waitEmpty(vms, NS_WARM);

                // ---- 1. creates
                log("creates: 1 client x %d", creates1);
                List<GenericKubernetesResource> objs1 = build(ser, manifest, NS, "vm-1c-%05d", creates1);
                CreateRun c1 = createRun(vms, NS, objs1, 1, server);
                log("  %.0f creates/s", c1.perSec);
                log("creates: %d threads x %d (one shared fabric8 client)", threads, creates32);
                List<GenericKubernetesResource> objsN = build(ser, manifest, NS, "vm-32c-%05d", creates32);
                CreateRun cN = createRun(vms, NS, objsN, threads, server);
                int conns = establishedTo(URI.create(server.url).getPort());
                log("  %.0f creates/s (%d connections to the server)", cN.perSec, conns);
                long[] rssAfterCreates = server.rssKiB();
                byte[] oneStored = rawGet(raw, server.url + "/apis/kubevirt.io/v1/namespaces/" + NS
                        + "/virtualmachines/vm-1c-00000", token, HttpClient.Version.HTTP_1_1);
                facts.put("VM as stored by the server (one object, JSON)", oneStored.length + " bytes");
                facts.put("SQLite baseline payload", storedLike.length + " bytes");

                // ---- 2. list
                int total = creates1 + creates32;
                String listUrl = server.url + "/apis/kubevirt.io/v1/namespaces/" + NS + "/virtualmachines";
                log("list of %d: raw HTTP/1.1, raw HTTP/2, fabric8, client parse", total);
                AtomicReference<byte[]> listBody = new AtomicReference<>();
                long cpu0 = server.cpuMs();
                PhaseCpu listCpu = new PhaseCpu(server);
                Stats rawH1 = timed(lists, 3, i -> {
                    byte[] b = rawGet(raw, listUrl, token, HttpClient.Version.HTTP_1_1);
                    listBody.set(b);
                    return null;
                });
                long serverCpuPerList = (server.cpuMs() - cpu0) / (lists + 3);
                facts.put("CPU during the raw HTTP/1.1 lists", listCpu.split());
                Stats rawH2 = timed(lists, 3, i -> rawGet(raw, listUrl, token, HttpClient.Version.HTTP_2));
                Stats f8List = timed(lists, 3, i -> {
                    int n = vms.inNamespace(NS).list().getItems().size();
                    if (n != total) {
                        throw new IllegalStateException("listed " + n + " VMs, expected " + total);
                    }
                    return null;
                });
                byte[] body = listBody.get();
                facts.put("list response (" + total + " VMs)", String.format(Locale.ROOT, "%.1f MB", body.length / 1e6));
                facts.put("server CPU per list (raw HTTP/1.1)", serverCpuPerList + " ms");
                long[] rssAfterLists = server.rssKiB();
                long[] heapAfterLists = server.heapKiB();
                Stats parse = timed(lists, 3, i -> ser.unmarshal(new ByteArrayInputStream(body),
                        GenericKubernetesResourceList.class));

                // ---- 3. watch
                log("watch: %d updates of one VM, fabric8 watcher + raw HTTP/1.1 watcher", watchWrites);
                ObjectNode watchedVm = vmJson(manifest, NS_WATCH, "watched");
                vms.inNamespace(NS_WATCH).resource(ser.unmarshal(JSON.writeValueAsString(watchedVm),
                        GenericKubernetesResource.class)).create();
                String vmUrl = server.url + "/apis/kubevirt.io/v1/namespaces/" + NS_WATCH + "/virtualmachines/watched";
                String watchUrl = server.url + "/apis/kubevirt.io/v1/namespaces/" + NS_WATCH
                        + "/virtualmachines?watch=1&fieldSelector=metadata.name%3Dwatched";
                WatchMeasure wm = new WatchMeasure(2);
                Watch f8Watch = vms.inNamespace(NS_WATCH).withName("watched").watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource r) {
                        long t = System.nanoTime();
                        if (action == Action.MODIFIED) {
                            wm.received(0, r.getMetadata().getResourceVersion(), t);
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                });
                HttpClient watchClient = rawClient(cfg);
                RawWatcher rw = RawWatcher.start(watchClient, watchUrl, token, wm, 1);
                Thread.sleep(500);
                HttpClient writeClient = rawClient(cfg);
                long wcpu0 = server.cpuMs();
                PhaseCpu watchCpu = new PhaseCpu(server);
                wm.run(100, watchWrites, i -> patch(writeClient, vmUrl, token, i));
                facts.put("CPU during the watch run", watchCpu.split());
                facts.put("server CPU per watched update", String.format(Locale.ROOT, "%.2f ms",
                        (server.cpuMs() - wcpu0) / (double) (100 + watchWrites)));
                f8Watch.close();
                rw.close();
                watchClient.shutdownNow();
                writeClient.shutdownNow();

                // ---- 4. memory
                log("memory");
                long[] rssAfterWatch = server.rssKiB();
                long[] rssEnd = server.rssKiB();
                long[] heapEnd = server.heapKiB();
                boolean gcOk = server.jcmd("GC.run") != null;
                long[] rssGc = server.rssKiB();
                long[] heapGc = server.heapKiB();

                // ---- 5. creates with a raw client (no fabric8 on the client side), after the memory snapshot
                int raw1 = intOpt("raw-creates1", 1000);
                int rawN = intOpt("raw-creates32", 4000);
                log("creates, raw java.net.http HTTP/1.1: 1 client x %d, %d threads x %d", raw1, threads, rawN);
                String createUrl = server.url + "/apis/kubevirt.io/v1/namespaces/" + NS_RAW + "/virtualmachines";
                CreateRun r1 = createRunRaw(raw, createUrl, token, bodies(manifest, NS_RAW, "vm-r1-%05d", raw1), 1, server);
                CreateRun rN = createRunRaw(raw, createUrl, token, bodies(manifest, NS_RAW, "vm-r32-%05d", rawN), threads,
                        server);
                log("  %.0f/s and %.0f/s", r1.perSec, rN.perSec);

                // ---- 6. several informers relisting at once: lists in parallel, then memory again
                int listers = intOpt("concurrent-listers", 4);
                int listsEach = intOpt("lists-per-lister", 5);
                log("%d concurrent listers x %d lists of %d VMs", listers, listsEach, total);
                long[] concLat = new long[listers * listsEach];
                List<Thread> lt = new ArrayList<>();
                AtomicReference<Throwable> listFailure = new AtomicReference<>();
                for (int t = 0; t < listers; t++) {
                    int base = t * listsEach;
                    lt.add(Thread.ofPlatform().name("lister-" + t).start(() -> {
                        try {
                            for (int k = 0; k < listsEach; k++) {
                                long l0 = System.nanoTime();
                                rawGet(raw, listUrl, token, HttpClient.Version.HTTP_1_1);
                                concLat[base + k] = System.nanoTime() - l0;
                            }
                        } catch (Throwable e) {
                            listFailure.compareAndSet(null, e);
                        }
                    }));
                }
                for (Thread t : lt) {
                    t.join();
                }
                if (listFailure.get() != null) {
                    throw new IllegalStateException("concurrent list failed", listFailure.get());
                }
                Stats concLists = new Stats(concLat);
                facts.put("measured after the memory snapshot", raw1 + " + " + rawN + " raw creates (namespace " + NS_RAW
                        + "), then " + listers + " concurrent listers × " + listsEach + " lists of namespace " + NS);
                long[] rssConc = server.rssKiB();
                long[] heapConc = server.heapKiB();
                raw.shutdownNow();

                // ---- transport baselines (server idle)
                log("static HTTP baselines");
                Stats staticList;
                WatchMeasure bw = new WatchMeasure(1);
                try (Baselines.StaticHttp sh = new Baselines.StaticHttp(body, oneStored.length);
                     HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                    staticList = timed(lists, 3, i -> rawGet(plain, sh.url() + "/list", null, HttpClient.Version.HTTP_1_1));
                    HttpClient bwClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                    RawWatcher brw = RawWatcher.start(bwClient, sh.url() + "/watch", null, bw, 0);
                    Thread.sleep(300);
                    bw.run(100, watchWrites, i -> patch(plain, sh.url() + "/write", null, i));
                    brw.close();
                    bwClient.shutdownNow();
                }

                // ---- report
                double fs50 = fsync.p50();
                row("creates/s, 1 client (" + creates1 + " sequential creates)", fmt0(c1.perSec) + "/s",
                        fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(c1.perSec, sq1.rowsPerSec()), "—");
                row("creates/s, " + threads + " clients (" + creates32 + " creates, " + threads
                                + " threads sharing one fabric8 client)", fmt0(cN.perSec) + "/s",
                        fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(cN.perSec, sq1.rowsPerSec()),
                        "≥ 1 000/s: " + met(cN.perSec >= 1000));
                row("  (same, against " + threads + " rows per transaction)", fmt0(cN.perSec) + "/s",
                        fmt0(sqN.rowsPerSec()) + "/s", "B", ratio(cN.perSec, sqN.rowsPerSec()), "—");
                row("creates/s, 1 raw java.net.http client (" + raw1 + " creates, after the above)",
                        fmt0(r1.perSec) + "/s", fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(r1.perSec, sq1.rowsPerSec()), "—");
                row("creates/s, " + threads + " threads sharing one raw java.net.http client (" + rawN + " creates)",
                        fmt0(rN.perSec) + "/s", fmt0(sq1.rowsPerSec()) + "/s", "A", ratio(rN.perSec, sq1.rowsPerSec()),
                        "(≥ 1 000/s: " + met(rN.perSec >= 1000) + ")");
                row("create latency, 1 client", c1.latency.p50p99(), sq1.txnLatency().p50p99(), "A",
                        ratio(c1.latency.p50(), sq1.txnLatency().p50()), "—");
                row("create latency, " + threads + " clients", cN.latency.p50p99(), sqN.txnLatency().p50p99(), "B",
                        ratio(cN.latency.p50(), sqN.txnLatency().p50()), "—");
                row("create latency, 1 raw client", r1.latency.p50p99(), sq1.txnLatency().p50p99(), "A",
                        ratio(r1.latency.p50(), sq1.txnLatency().p50()), "—");
                row("create latency, " + threads + " raw clients", rN.latency.p50p99(), sqN.txnLatency().p50p99(), "B",
                        ratio(rN.latency.p50(), sqN.txnLatency().p50()), "—");
                row("list " + total + " VMs, fabric8 `.list()` (incl. deserialization)", f8List.p50p99(),
                        staticList.p50p99(), "C", ratio(f8List.p50(), staticList.p50()),
                        "≤ 300 ms: " + met(f8List.p99() <= 300));
                row("list " + total + " VMs, raw GET HTTP/1.1 (bytes only)", rawH1.p50p99(), staticList.p50p99(), "C",
                        ratio(rawH1.p50(), staticList.p50()), "≤ 300 ms: " + met(rawH1.p99() <= 300));
                row("list " + total + " VMs, raw GET HTTP/2 (bytes only)", rawH2.p50p99(), staticList.p50p99(), "C",
                        ratio(rawH2.p50(), staticList.p50()), "—");
                row("  fabric8 deserialization of that list alone (client CPU)", parse.p50p99(), "—", "", "—", "—");
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
                row("server RSS holding " + total + " VMs (end of run)", mib(rssEnd[0]), mib(rssIdle[0]) + " (idle, empty)",
                        "E", ratio(rssEnd[0], rssIdle[0]), "≤ 512 MiB: " + met(rssEnd[0] <= 512 * 1024));
                row("  server RSS after `jcmd GC.run`", gcOk ? mib(rssGc[0]) : "n/a", mib(rssIdle[0]), "E",
                        gcOk ? ratio(rssGc[0], rssIdle[0]) : "—", "—");
                row("  server peak RSS (VmHWM)", mib(rssEnd[1]), "—", "", "—", "—");
                row("  server heap used / committed (end)", mib(heapEnd[0]) + " / " + mib(heapEnd[1]), mib(heapIdle[0])
                        + " / " + mib(heapIdle[1]) + " (idle)", "E", ratio(heapEnd[0], heapIdle[0]), "—");
                row("  server heap used / committed (after GC.run)", mib(heapGc[0]) + " / " + mib(heapGc[1]), "—", "", "—",
                        "—");
                row("  server RSS after the creates / after the lists / after the watch", mib(rssAfterCreates[0]) + " / "
                        + mib(rssAfterLists[0]) + " / " + mib(rssAfterWatch[0]), "—", "", "—", "—");
                row("  server heap used / committed right after the lists", mib(heapAfterLists[0]) + " / "
                        + mib(heapAfterLists[1]), "—", "", "—", "—");
                row("list " + total + " VMs, " + listers + " raw HTTP/1.1 clients at once (" + listsEach + " lists each)",
                        concLists.p50p99(), "—", "", "—", "—");
                row("  server RSS after those concurrent lists (store then holds " + (total + raw1 + rawN) + " VMs)",
                        mib(rssConc[0]), mib(rssIdle[0]), "E", ratio(rssConc[0], rssIdle[0]),
                        "(≤ 512 MiB: " + met(rssConc[0] <= 512 * 1024) + ")");
                row("  server heap used / committed after those concurrent lists", mib(heapConc[0]) + " / "
                        + mib(heapConc[1]), "—", "", "—", "—");
                row("disk: fdatasync of a 4 KiB append (p50 / p99)", "—", fsync.p50p99(), "F", "—", "—");

                facts.put("server CPU per create, 1 client", String.format(Locale.ROOT, "%.2f ms", c1.serverCpuPerOp));
                facts.put("driver (fabric8) CPU per create, 1 client", String.format(Locale.ROOT, "%.2f ms",
                        c1.clientCpuPerOp));
                facts.put("server CPU per create, " + threads + " raw clients", String.format(Locale.ROOT, "%.2f ms",
                        rN.serverCpuPerOp));
                facts.put("driver (raw) CPU per create, " + threads + " raw clients", String.format(Locale.ROOT, "%.2f ms",
                        rN.clientCpuPerOp));
                facts.put("CPU during the " + threads + "-raw-client creates", rN.cpuSplit());
                facts.put("server CPU per create, " + threads + " clients", String.format(Locale.ROOT, "%.2f ms",
                        cN.serverCpuPerOp));
                facts.put("driver (fabric8) CPU per create, " + threads + " clients", String.format(Locale.ROOT,
                        "%.2f ms", cN.clientCpuPerOp));
                facts.put("CPU during the 1-client creates", c1.cpuSplit());
                facts.put("CPU during the " + threads + "-client creates", cN.cpuSplit());
                facts.put("mean commits/s implied by fsync p50", fmt0(1000 / fs50) + "/s");
                facts.put("TCP connections from the " + threads + "-thread fabric8 client", Integer.toString(conns));
                facts.put("watch events missed (fabric8 / raw / baseline)", wm.missed(0) + " / " + wm.missed(1) + " / "
                        + bw.missed(0));
                facts.put("server log", repo.relativize(serverLog).toString());
            }
        } finally {
            deleteTree(runDir);
        }
        String report = report(creates1, creates32, threads, lists, watchWrites);
        System.out.println(report);
        String out = opts.get("out");
        if (out != null) {
            Files.writeString(Path.of(out), report);
        }
    }

    // ------------------------------------------------------------------------------------------------- creates

    private record CreateRun(double perSec, Stats latency, double wallMs, long serverCpuMs, long clientCpuMs,
                             double serverCpuPerOp, double clientCpuPerOp, double machineBusyPct) {
        /** "server a % + driver b % + rest c % of 2 cores" over the run's wall time. */
        String cpuSplit() {
            int cores = Runtime.getRuntime().availableProcessors();
            double sp = 100 * serverCpuMs / (cores * wallMs);
            double cp = 100 * clientCpuMs / (cores * wallMs);
            return String.format(Locale.ROOT, "machine %.0f %% busy: server %.0f %%, driver %.0f %%, other processes %.0f %%",
                    machineBusyPct, sp, cp, Math.max(0, machineBusyPct - sp - cp));
        }
    }

    /** CPU use of a phase: machine-wide, the server's, this driver's, and the rest (other processes). */
    private static final class PhaseCpu {
        private final ServerProcess server;
        private final long server0;
        private final long self0;
        private final long[] machine0;
        private final long t0;

        PhaseCpu(ServerProcess server) {
            this.server = server;
            this.server0 = server.cpuMs();
            this.self0 = selfCpuMs();
            this.machine0 = machineCpu();
            this.t0 = System.nanoTime();
        }

        String split() {
            double wallMs = (System.nanoTime() - t0) / 1e6;
            return new CreateRun(0, new Stats(new long[0]), wallMs, server.cpuMs() - server0, selfCpuMs() - self0, 0, 0,
                    busyPct(machine0, machineCpu())).cpuSplit();
        }
    }

    /** Machine-wide {busy, total} CPU jiffies from /proc/stat (busy excludes idle and iowait). */
    private static long[] machineCpu() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[]{total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[]{0, 0};
        }
    }

    private static double busyPct(long[] before, long[] after) {
        long total = after[1] - before[1];
        return total <= 0 ? Double.NaN : 100.0 * (after[0] - before[0]) / total;
    }

    private static CreateRun createRun(MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> vms, String ns, List<GenericKubernetesResource> objs, int threads,
                                       ServerProcess server) throws InterruptedException {
        long[] lat = new long[objs.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().name("creator-" + t).start(() -> {
                try {
                    start.await();
                    int i;
                    while ((i = next.getAndIncrement()) < objs.size() && failure.get() == null) {
                        long t0 = System.nanoTime();
                        vms.inNamespace(ns).resource(objs.get(i)).create();
                        lat[i] = System.nanoTime() - t0;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long sCpu0 = server.cpuMs();
        long cCpu0 = selfCpuMs();
        long[] m0 = machineCpu();
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        double wallMs = (System.nanoTime() - t0) / 1e6;
        long sCpu = server.cpuMs() - sCpu0;
        long cCpu = selfCpuMs() - cCpu0;
        double busy = busyPct(m0, machineCpu());
        if (failure.get() != null) {
            throw new IllegalStateException("create failed", failure.get());
        }
        return new CreateRun(objs.size() / (wallMs / 1000), new Stats(lat), wallMs, sCpu, cCpu,
                sCpu / (double) objs.size(), cCpu / (double) objs.size(), busy);
    }

    private static CreateRun createRunRaw(HttpClient c, String url, String token, List<byte[]> bodies, int threads,
                                          ServerProcess server) throws InterruptedException {
        long[] lat = new long[bodies.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().name("raw-creator-" + t).start(() -> {
                try {
                    start.await();
                    int i;
                    while ((i = next.getAndIncrement()) < bodies.size() && failure.get() == null) {
                        long t0 = System.nanoTime();
                        HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(URI.create(url))
                                .version(HttpClient.Version.HTTP_1_1)
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i))).build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        lat[i] = System.nanoTime() - t0;
                        if (r.statusCode() != 201) {
                            throw new IllegalStateException("POST " + url + ": " + r.statusCode() + " "
                                    + new String(r.body(), StandardCharsets.UTF_8));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long sCpu0 = server.cpuMs();
        long cCpu0 = selfCpuMs();
        long[] m0 = machineCpu();
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        double wallMs = (System.nanoTime() - t0) / 1e6;
        long sCpu = server.cpuMs() - sCpu0;
        long cCpu = selfCpuMs() - cCpu0;
        double busy = busyPct(m0, machineCpu());
        if (failure.get() != null) {
            throw new IllegalStateException("create failed", failure.get());
        }
        return new CreateRun(bodies.size() / (wallMs / 1000), new Stats(lat), wallMs, sCpu, cCpu,
                sCpu / (double) bodies.size(), cCpu / (double) bodies.size(), busy);
    }

    private static List<byte[]> bodies(ObjectNode manifest, String ns, String nameFormat, int n) throws IOException {
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(JSON.writeValueAsBytes(vmJson(manifest, ns, String.format(nameFormat, i))));
        }
        return out;
    }

    private static long selfCpuMs() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
    }

    private static void waitEmpty(MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> vms, String ns) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!vms.inNamespace(ns).list().getItems().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("warm-up VMs were not deleted within 60 s");
            }
            Thread.sleep(100);
        }
    }

    // ------------------------------------------------------------------------------------------------- objects

    /**
     * The VM as {@code kubectl apply -f examples/vm-cirros.yaml} sends it: the manifest plus the
     * {@code kubectl.kubernetes.io/last-applied-configuration} annotation holding the manifest's JSON.
     */
    static ObjectNode vmJson(ObjectNode manifest, String ns, String name) {
        ObjectNode vm = manifest.deepCopy();
        ObjectNode meta = (ObjectNode) vm.get("metadata");
        meta.put("name", name);
        meta.put("namespace", ns);
        vm.withObject("/metadata/labels").put("kubevirt.io/vm", name);
        vm.withObject("/spec/template/metadata/labels").put("kubevirt.io/vm", name);
        String applied;
        try {
            applied = JSON.writeValueAsString(vm) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        meta.putObject("annotations").put("kubectl.kubernetes.io/last-applied-configuration", applied);
        return vm;
    }

    /** Approximately what the store keeps: the request plus the server-set metadata. */
    private static byte[] storedForm(ObjectNode vm) throws IOException {
        ObjectNode s = vm.deepCopy();
        ObjectNode meta = (ObjectNode) s.get("metadata");
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", "2025-01-01T00:00:00Z");
        meta.put("generation", 1);
        meta.put("resourceVersion", "123456");
        return JSON.writeValueAsBytes(s);
    }

    private static List<GenericKubernetesResource> build(KubernetesSerialization ser, ObjectNode manifest, String ns,
                                                         String nameFormat, int n) throws IOException {
        List<GenericKubernetesResource> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(ser.unmarshal(JSON.writeValueAsString(vmJson(manifest, ns, String.format(nameFormat, i))),
                    GenericKubernetesResource.class));
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- raw HTTP

    /** java.net.http client trusting the kubeconfig's CA. */
    private static HttpClient rawClient(Config cfg) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(Base64.getDecoder()
                .decode(cfg.getCaCertData())))) {
            ks.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static byte[] rawGet(HttpClient c, String url, String token, HttpClient.Version v) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).version(v).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<byte[]> r = c.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + ": " + r.statusCode() + " "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A merge patch setting one annotation; returns the resourceVersion of the answer. */
    private static String patch(HttpClient c, String url, String token, int i) {
        String body = "{\"metadata\":{\"annotations\":{\"bench.jvirt.io/seq\":\"" + i + "\"}}}";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).version(HttpClient.Version.HTTP_1_1)
                .header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<byte[]> r = c.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("PATCH " + url + ": " + r.statusCode() + " "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            return JSON.readTree(r.body()).path("metadata").path("resourceVersion").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code op} warm + n times; returns the timings of the last n. */
    private static Stats timed(int n, int warm, IntFunction<Object> op) {
        long[] t = new long[n];
        for (int i = 0; i < warm + n; i++) {
            long t0 = System.nanoTime();
            op.apply(i);
            if (i >= warm) {
                t[i - warm] = System.nanoTime() - t0;
            }
        }
        return new Stats(t);
    }

    /** Server-side established TCP connections on {@code port} (from /proc/net/tcp{,6}). */
    private static int establishedTo(int port) {
        String hex = String.format(":%04X", port);
        int n = 0;
        for (String f : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String l : Files.readAllLines(Path.of(f))) {
                    String[] c = l.trim().split("\\s+");
                    if (c.length > 3 && c[1].endsWith(hex) && c[3].equals("01")) {
                        n++;
                    }
                }
            } catch (IOException e) {
                // not Linux
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------------- watch

    /** Write → event latencies for several receivers observing the same sequential writes. */
    static final class WatchMeasure {
        private final int receivers;
        private final List<Map<String, Long>> recv = new ArrayList<>();
        private final Object lock = new Object();
        private long[][] sendTo;
        private long[][] ackTo;
        private long[] writeLat;
        private final int[] missed;

        WatchMeasure(int receivers) {
            this.receivers = receivers;
            this.missed = new int[receivers];
            for (int i = 0; i < receivers; i++) {
                recv.add(new ConcurrentHashMap<>());
            }
        }

        void received(int receiver, String rv, long nanos) {
            recv.get(receiver).putIfAbsent(rv, nanos);
            synchronized (lock) {
                lock.notifyAll();
            }
        }

        interface Writer {
            String write(int i);
        }

        /** Sequential writes; each waits (≤ 5 s) until every receiver saw its event before the next is sent. */
        void run(int warm, int n, Writer writer) throws InterruptedException {
            sendTo = new long[receivers][n];
            ackTo = new long[receivers][n];
            writeLat = new long[n];
            int[] got = new int[receivers];
            for (int i = 0; i < warm + n; i++) {
                long t0 = System.nanoTime();
                String rv = writer.write(i);
                long t1 = System.nanoTime();
                long deadline = t1 + Duration.ofSeconds(5).toNanos();
                synchronized (lock) {
                    while (!allHave(rv) && System.nanoTime() < deadline) {
                        lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    }
                }
                if (i < warm) {
                    continue;
                }
                int k = i - warm;
                writeLat[k] = t1 - t0;
                for (int r = 0; r < receivers; r++) {
                    Long t = recv.get(r).get(rv);
                    if (t == null) {
                        missed[r]++;
                        continue;
                    }
                    sendTo[r][got[r]] = t - t0;
                    ackTo[r][got[r]] = t - t1;
                    got[r]++;
                }
            }
            for (int r = 0; r < receivers; r++) {
                sendTo[r] = java.util.Arrays.copyOf(sendTo[r], got[r]);
                ackTo[r] = java.util.Arrays.copyOf(ackTo[r], got[r]);
            }
        }

        private boolean allHave(String rv) {
            for (Map<String, Long> m : recv) {
                if (!m.containsKey(rv)) {
                    return false;
                }
            }
            return true;
        }

        Stats sendToEvent(int r) {
            return new Stats(sendTo[r]);
        }

        Stats ackToEvent(int r) {
            return new Stats(ackTo[r]);
        }

        Stats writeLatency() {
            return new Stats(writeLat);
        }

        int missed(int r) {
            return missed[r];
        }
    }

    /** A watch stream read line by line with java.net.http; the receipt time is taken before parsing. */
    static final class RawWatcher implements AutoCloseable {
        private final Thread thread;
        private volatile Stream<String> stream;

        private RawWatcher(Thread thread) {
            this.thread = thread;
        }

        static RawWatcher start(HttpClient c, String url, String token, WatchMeasure m, int receiver) {
            AtomicReference<RawWatcher> self = new AtomicReference<>();
            CountDownLatch open = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().daemon().name("raw-watch-" + receiver).unstarted(() -> {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).version(HttpClient.Version.HTTP_1_1).GET();
                if (token != null) {
                    b.header("Authorization", "Bearer " + token);
                }
                try {
                    HttpResponse<Stream<String>> r = c.send(b.build(), HttpResponse.BodyHandlers.ofLines());
                    self.get().stream = r.body();
                    open.countDown();
                    r.body().forEach(line -> {
                        long now = System.nanoTime();
                        try {
                            JsonNode ev = JSON.readTree(line);
                            if ("MODIFIED".equals(ev.path("type").asText())) {
                                m.received(receiver, ev.path("object").path("metadata").path("resourceVersion").asText(),
                                        now);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                } catch (IOException | UncheckedIOException e) {
                    // stream closed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    open.countDown();
                }
            });
            RawWatcher w = new RawWatcher(t);
            self.set(w);
            t.start();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return w;
        }

        @Override
        public void close() {
            Stream<String> s = stream;
            if (s != null) {
                Thread closer = new Thread(s::close);
                closer.setDaemon(true);
                closer.start();
            }
            thread.interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------- report

    private void row(String metric, String jvirt, String baseline, String which, String ratio, String target) {
        rows.add(new String[]{metric, jvirt, baseline, which, ratio, target});
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

    private void environment(Path runDir) throws IOException {
        facts.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        String cpu = "?";
        try (Stream<String> l = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = l.filter(s -> s.startsWith("model name")).findFirst().map(s -> s.replaceFirst(".*:\\s*", "")).orElse("?");
        } catch (IOException e) {
            // not Linux
        }
        facts.put("CPU", Runtime.getRuntime().availableProcessors() + " × " + cpu);
        try (Stream<String> l = Files.lines(Path.of("/proc/meminfo"))) {
            l.filter(s -> s.startsWith("MemTotal")).findFirst().ifPresent(s -> facts.put("memory",
                    String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(s.replaceAll("\\D+", "")) / 1048576.0)));
        } catch (IOException e) {
            // not Linux
        }
        facts.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        facts.put("JDK", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version")
                + " (" + ServerProcess.javaBinary() + ")");
        facts.put("data directory filesystem", filesystemOf(runDir));
        try {
            facts.put("load average at start (1/5/15 min)", Files.readString(Path.of("/proc/loadavg")).trim()
                    .replaceFirst("^(\\S+ \\S+ \\S+).*", "$1"));
        } catch (IOException e) {
            // not Linux
        }
    }

    private static String filesystemOf(Path p) {
        try {
            String abs = p.toRealPath().toString();
            String best = "";
            String found = "?";
            for (String l : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = l.split(" ");
                if (f.length > 2 && (abs.equals(f[1]) || abs.startsWith(f[1].endsWith("/") ? f[1] : f[1] + "/"))
                        && f[1].length() > best.length()) {
                    best = f[1];
                    found = f[0] + " (" + f[2] + ", mounted on " + f[1] + ")";
                }
            }
            return found;
        } catch (IOException e) {
            return "?";
        }
    }

    private String report(int creates1, int creates32, int threads, int lists, int watchWrites) {
        StringBuilder sb = new StringBuilder();
        sb.append("| metric | jvirt | baseline | which baseline | jvirt ÷ baseline | target |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (String[] r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
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
        sb.append("\nRun parameters: " + creates1 + " + " + creates32 + " creates, " + lists + " lists (+3 warm-up) "
                + "per client kind, " + watchWrites + " watched updates (+100 warm-up); warm-up before measuring: 600 "
                + "creates with 8 threads, 5 lists, delete of those VMs.\n\n");
        sb.append("| fact | value |\n|---|---|\n");
        facts.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        return sb.toString();
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
