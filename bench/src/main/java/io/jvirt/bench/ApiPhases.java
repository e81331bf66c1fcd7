package io.jvirt.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import static io.jvirt.bench.ApiBenchOptions.WARM_LISTS;
import static io.jvirt.bench.ApiBenchOptions.WARM_WRITES;

/**
 * The measured phases of the API server bench, in the order {@link ApiServerBench} runs them, against one server
 * with one shared fabric8 client and one shared raw java.net.http client. Each returns what it measured; facts
 * that need no table row go to {@code facts} as they are found.
 */
final class ApiPhases {
    static final String NS = "bench";
    static final String NS_WARM = "bench-warm";
    static final String NS_WATCH = "bench-watch";
    static final String NS_RAW = "bench-raw";
    private static final Log LOG = Log.API;

    private final ApiBenchOptions o;
    private final ServerProcess server;
    private final Config cfg;
    private final KubernetesSerialization ser;
    private final MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> vms;
    private final HttpClient raw;
    private final String token;
    private final ObjectNode manifest;
    private final Map<String, String> facts;

    /**
     * @param raw   the shared raw client (trusting the server's CA, see {@link RawHttp#client})
     * @param token the bearer token of the kubeconfig, for the raw requests
     */
    ApiPhases(ApiBenchOptions o, ServerProcess server, Config cfg, KubernetesClient client, HttpClient raw,
              String token, ObjectNode manifest, Map<String, String> facts) {
        this.o = o;
        this.server = server;
        this.cfg = cfg;
        this.ser = client.getKubernetesSerialization();
        this.vms = client.genericKubernetesResources(VmResources.VM);
        this.raw = raw;
        this.token = token;
        this.manifest = manifest;
        this.facts = facts;
    }

    /** The namespaces the phases use. */
    static void createNamespaces(KubernetesClient client) {
        for (String ns : List.of(NS, NS_WARM, NS_WATCH, NS_RAW)) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata()
                    .build()).create();
        }
    }

    private String vmsUrl(String ns) {
        return server.url + "/apis/kubevirt.io/v1/namespaces/" + ns + "/virtualmachines";
    }

    /** JIT of both JVMs, connection pools: creates, lists, gets, then delete them again. */
    void warmUp() throws Exception {
        LOG.info("warm-up");
        List<GenericKubernetesResource> warm = VmResources.appliedVms(ser, manifest, NS_WARM, "vm-warm-%05d", 600);
        fabric8Creates(NS_WARM, warm, 8);
        for (int i = 0; i < 5; i++) {
            vms.inNamespace(NS_WARM).list();
            RawHttp.get(raw, vmsUrl(NS_WARM), token, HttpClient.Version.HTTP_1_1);
        }
        vms.inNamespace(NS_WARM).delete();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!vms.inNamespace(NS_WARM).list().getItems().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("warm-up VMs were not deleted within 60 s");
            }
            Thread.sleep(100);
        }
    }

    /** 1. creates through fabric8: one client, then --threads threads sharing it. */
    ApiResults.Creates creates() throws Exception {
        LOG.info("creates: 1 client x %d", o.creates1());
        List<GenericKubernetesResource> objs1 = VmResources.appliedVms(ser, manifest, NS, "vm-1c-%05d", o.creates1());
        CreateRun c1 = fabric8Creates(NS, objs1, 1);
        LOG.info("  %.0f creates/s", c1.perSec());
        LOG.info("creates: %d threads x %d (one shared fabric8 client)", o.threads(), o.creates32());
        List<GenericKubernetesResource> objsN = VmResources.appliedVms(ser, manifest, NS, "vm-32c-%05d",
                o.creates32());
        CreateRun cN = fabric8Creates(NS, objsN, o.threads());
        int conns = ProcFs.establishedTo(URI.create(server.url).getPort());
        LOG.info("  %.0f creates/s (%d connections to the server)", cN.perSec(), conns);
        long[] rssAfterCreates = server.rssKiB();
        byte[] oneStored = RawHttp.get(raw, vmsUrl(NS) + "/vm-1c-00000", token, HttpClient.Version.HTTP_1_1);
        return new ApiResults.Creates(c1, cN, conns, rssAfterCreates, oneStored.length);
    }

    private CreateRun fabric8Creates(String ns, List<GenericKubernetesResource> objs, int threads)
            throws InterruptedException {
        return CreateRun.measure(objs.size(), threads, "creator", server,
                i -> vms.inNamespace(ns).resource(objs.get(i)).create());
    }

    /** 2. lists of all VMs: raw HTTP/1.1, raw HTTP/2, fabric8, and fabric8's parsing alone. */
    ApiResults.Lists lists() throws IOException {
        int total = o.listed();
        String listUrl = vmsUrl(NS);
        LOG.info("list of %d: raw HTTP/1.1, raw HTTP/2, fabric8, client parse", total);
        AtomicReference<byte[]> listBody = new AtomicReference<>();
        long cpu0 = server.cpuMs();
        CpuUse.Meter listCpu = CpuUse.start(server);
        Stats rawH1 = timed(o.lists(), i -> {
            byte[] b = RawHttp.get(raw, listUrl, token, HttpClient.Version.HTTP_1_1);
            listBody.set(b);
            return null;
        });
        long serverCpuPerList = (server.cpuMs() - cpu0) / (o.lists() + WARM_LISTS);
        facts.put("CPU during the raw HTTP/1.1 lists", listCpu.stop().split());
        Stats rawH2 = timed(o.lists(), i -> RawHttp.get(raw, listUrl, token, HttpClient.Version.HTTP_2));
        Stats f8List = timed(o.lists(), i -> {
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
        Stats parse = timed(o.lists(), i -> ser.unmarshal(new ByteArrayInputStream(body),
                GenericKubernetesResourceList.class));
        return new ApiResults.Lists(rawH1, rawH2, f8List, parse, body, rssAfterLists, heapAfterLists);
    }

    /** 3. sequential updates of one VM, watched by a fabric8 watcher and a raw HTTP/1.1 watcher. */
    WatchMeasure watch() throws Exception {
        LOG.info("watch: %d updates of one VM, fabric8 watcher + raw HTTP/1.1 watcher", o.watchWrites());
        vms.inNamespace(NS_WATCH).resource(VmResources.toResource(ser, VmResources.appliedVm(manifest, NS_WATCH,
                "watched"))).create();
        String vmUrl = vmsUrl(NS_WATCH) + "/watched";
        String watchUrl = vmsUrl(NS_WATCH) + "?watch=1&fieldSelector=metadata.name%3Dwatched";
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
        HttpClient watchClient = RawHttp.client(cfg);
        RawWatcher rw = RawWatcher.start(watchClient, watchUrl, token, wm, 1);
        Thread.sleep(500);
        HttpClient writeClient = RawHttp.client(cfg);
        long wcpu0 = server.cpuMs();
        CpuUse.Meter watchCpu = CpuUse.start(server);
        wm.run(WARM_WRITES, o.watchWrites(), i -> RawHttp.patch(writeClient, vmUrl, token, i));
        facts.put("CPU during the watch run", watchCpu.stop().split());
        facts.put("server CPU per watched update", String.format(Locale.ROOT, "%.2f ms",
                (server.cpuMs() - wcpu0) / (double) (WARM_WRITES + o.watchWrites())));
        f8Watch.close();
        rw.close();
        watchClient.shutdownNow();
        writeClient.shutdownNow();
        return wm;
    }

    /** 4. the server's memory after the above, then after a full GC. */
    ApiResults.Memory memory() throws IOException {
        LOG.info("memory");
        long[] rssAfterWatch = server.rssKiB();
        long[] rssEnd = server.rssKiB();
        long[] heapEnd = server.heapKiB();
        boolean gcOk = server.jcmd("GC.run") != null;
        long[] rssGc = server.rssKiB();
        long[] heapGc = server.heapKiB();
        return new ApiResults.Memory(rssAfterWatch, rssEnd, heapEnd, gcOk, rssGc, heapGc);
    }

    /** 5. creates with the raw client (no fabric8 on the client side), after the memory snapshot. */
    ApiResults.RawCreates rawCreates() throws Exception {
        int raw1 = o.rawCreates1();
        int rawN = o.rawCreates32();
        LOG.info("creates, raw java.net.http HTTP/1.1: 1 client x %d, %d threads x %d", raw1, o.threads(), rawN);
        CreateRun r1 = rawCreates(VmResources.appliedVmBodies(manifest, NS_RAW, "vm-r1-%05d", raw1), 1);
        CreateRun rN = rawCreates(VmResources.appliedVmBodies(manifest, NS_RAW, "vm-r32-%05d", rawN), o.threads());
        LOG.info("  %.0f/s and %.0f/s", r1.perSec(), rN.perSec());
        return new ApiResults.RawCreates(r1, rN);
    }

    private CreateRun rawCreates(List<byte[]> bodies, int threads) throws InterruptedException {
        String createUrl = vmsUrl(NS_RAW);
        return CreateRun.measure(bodies.size(), threads, "raw-creator", server,
                i -> RawHttp.create(raw, createUrl, token, bodies.get(i)));
    }

    /** 6. several informers relisting at once: raw lists in parallel, then memory again. */
    ApiResults.ConcurrentLists concurrentLists() throws Exception {
        int listers = o.concurrentListers();
        int listsEach = o.listsPerLister();
        String listUrl = vmsUrl(NS);
        LOG.info("%d concurrent listers x %d lists of %d VMs", listers, listsEach, o.listed());
        long[] concLat = new long[listers * listsEach];
        List<Thread> lt = new ArrayList<>();
        AtomicReference<Throwable> listFailure = new AtomicReference<>();
        for (int t = 0; t < listers; t++) {
            int base = t * listsEach;
            lt.add(Thread.ofPlatform().name("lister-" + t).start(() -> {
                try {
                    for (int k = 0; k < listsEach; k++) {
                        long l0 = System.nanoTime();
                        RawHttp.get(raw, listUrl, token, HttpClient.Version.HTTP_1_1);
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
        facts.put("measured after the memory snapshot", o.rawCreates1() + " + " + o.rawCreates32()
                + " raw creates (namespace " + NS_RAW + "), then " + listers + " concurrent listers × " + listsEach
                + " lists of namespace " + NS);
        long[] rssConc = server.rssKiB();
        long[] heapConc = server.heapKiB();
        return new ApiResults.ConcurrentLists(concLists, rssConc, heapConc);
    }

    /**
     * Transport baselines C and D, with the server idle: the list's bytes and the write/watch loop over plain
     * HTTP/1.1 from the JDK's HTTP server.
     */
    static ApiResults.Transport transportBaselines(ApiBenchOptions o, byte[] listBody, int eventBytes)
            throws Exception {
        LOG.info("static HTTP baselines");
        Stats staticList;
        WatchMeasure bw = new WatchMeasure(1);
        try (Baselines.StaticHttp sh = new Baselines.StaticHttp(listBody, eventBytes);
             HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            staticList = timed(o.lists(), i -> RawHttp.get(plain, sh.url() + "/list", null,
                    HttpClient.Version.HTTP_1_1));
            HttpClient bwClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            RawWatcher brw = RawWatcher.start(bwClient, sh.url() + "/watch", null, bw, 0);
            Thread.sleep(300);
            bw.run(WARM_WRITES, o.watchWrites(), i -> RawHttp.patch(plain, sh.url() + "/write", null, i));
            brw.close();
            bwClient.shutdownNow();
        }
        return new ApiResults.Transport(staticList, bw);
    }

    /** Runs {@code op} {@link ApiBenchOptions#WARM_LISTS} + n times; returns the timings of the last n. */
    private static Stats timed(int n, IntFunction<Object> op) {
        long[] t = new long[n];
        for (int i = 0; i < WARM_LISTS + n; i++) {
            long t0 = System.nanoTime();
            op.apply(i);
            if (i >= WARM_LISTS) {
                t[i - WARM_LISTS] = System.nanoTime() - t0;
            }
        }
        return new Stats(t);
    }
}
