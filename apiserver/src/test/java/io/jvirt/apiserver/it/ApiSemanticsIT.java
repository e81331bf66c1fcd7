package io.jvirt.apiserver.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.apiserver.security.ServerCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Kubernetes API semantics over raw HTTPS against the real server. */
class ApiSemanticsIT {
    private static final ObjectMapper M = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String VMS = "/apis/kubevirt.io/v1/namespaces/%s/virtualmachines";
    private static final String VMIS = "/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances";
    private static final String CMS = "/api/v1/namespaces/%s/configmaps";
    private static final String PODS = "/api/v1/namespaces/%s/pods";
    private static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static JsonNode json(HttpResponse<String> r) {
        try {
            return M.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (HTTP " + r.statusCode() + "): " + r.body(), e);
        }
    }

    static ObjectNode parse(String s) {
        try {
            return (ObjectNode) M.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode expect(int code, HttpResponse<String> r) {
        assertThat(r.statusCode()).as("HTTP status of %s %s: %s", r.request().method(), r.request().uri(), r.body())
                .isEqualTo(code);
        return json(r);
    }

    static void expectStatus(int code, String reason, HttpResponse<String> r) {
        JsonNode s = expect(code, r);
        assertThat(s.path("kind").asText()).isEqualTo("Status");
        assertThat(s.path("code").asInt()).isEqualTo(code);
        assertThat(s.path("reason").asText()).isEqualTo(reason);
    }

    static HttpResponse<String> post(String path, Object body) {
        return server.send("POST", path, "application/json", body.toString());
    }

    static HttpResponse<String> put(String path, Object body) {
        return server.send("PUT", path, "application/json", body.toString());
    }

    static HttpResponse<String> mergePatch(String path, String patch) {
        return server.send("PATCH", path, "application/merge-patch+json", patch);
    }

    static HttpResponse<String> get(String path) {
        return server.get(path);
    }

    static HttpResponse<String> delete(String path) {
        return server.send("DELETE", path, null, null);
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String namespace(String name) {
        expect(201, post("/api/v1/namespaces", parse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                + "{\"name\":\"" + name + "\"}}")));
        return name;
    }

    static ObjectNode vm(String name) {
        return parse("""
                {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
                 "metadata":{"name":"%s","labels":{"app":"it"}},
                 "spec":{"runStrategy":"Halted","template":{"spec":{
                   "domain":{"resources":{"requests":{"memory":"128Mi"}},
                             "devices":{"disks":[{"name":"rootdisk","disk":{"bus":"virtio"}}]}},
                   "volumes":[{"name":"rootdisk","containerDisk":{"image":"quay.io/kubevirt/cirros-container-disk-demo"}}]}}}}
                """.formatted(name));
    }

    static ObjectNode vmi(String name) {
        return parse("""
                {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance",
                 "metadata":{"name":"%s"},
                 "spec":{"domain":{"resources":{"requests":{"memory":"128Mi"}},"devices":{}}}}
                """.formatted(name));
    }

    static ObjectNode cm(String name, Map<String, String> labels) {
        ObjectNode o = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name
                + "\"},\"data\":{\"k\":\"v\"}}");
        ObjectNode l = ((ObjectNode) o.get("metadata")).putObject("labels");
        labels.forEach(l::put);
        return o;
    }

    static ObjectNode pod(String name, String nodeName) {
        ObjectNode o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},"
                + "\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.36\"}]}}");
        if (nodeName != null) {
            ((ObjectNode) o.get("spec")).put("nodeName", nodeName);
        }
        return o;
    }

    static ObjectNode ownerRef(JsonNode owner, boolean blockOwnerDeletion) {
        ObjectNode ref = M.createObjectNode();
        ref.put("apiVersion", owner.path("apiVersion").asText());
        ref.put("kind", owner.path("kind").asText());
        ref.put("name", owner.path("metadata").path("name").asText());
        ref.put("uid", owner.path("metadata").path("uid").asText());
        if (blockOwnerDeletion) {
            ref.put("blockOwnerDeletion", true);
        }
        return ref;
    }

    static List<String> names(JsonNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : list.path("items")) {
            out.add(i.path("metadata").path("name").asText());
        }
        return out;
    }

    static List<String> finalizers(JsonNode obj) {
        List<String> out = new ArrayList<>();
        obj.path("metadata").path("finalizers").forEach(f -> out.add(f.asText()));
        return out;
    }

    static HttpClient client(HttpClient.Version version) {
        try {
            return HttpClient.newBuilder()
                    .version(version)
                    .sslContext(ServerCertificates.clientSslContext(server.server().caPem()))
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A watch request read line by line; the server ends it after {@code timeoutSeconds}. Whitespace between events
     * is legal in a JSON stream (the server may send some to push HTTP/1.1 chunk ends out): blank lines are skipped.
     */
    static HttpResponse<Stream<String>> watch(String pathAndQuery) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery))
                .header("Authorization", "Bearer " + server.server().adminToken())
                .GET().build();
        try {
            return client(HttpClient.Version.HTTP_2).send(req, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String resourceVersion(JsonNode obj) {
        return obj.path("metadata").path("resourceVersion").asText();
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void statusSubresourceSplitsSpecAndStatus() {
        String ns = namespace("status-split");
        String path = VMS.formatted(ns);
        ObjectNode body = vm("v");
        body.putObject("status").put("printableStatus", "Running");
        JsonNode created = expect(201, post(path, body));
        assertThat(created.has("status")).as("status dropped on create").isFalse();

        // PUT on the main resource: spec changes, status change ignored
        ObjectNode update = created.deepCopy();
        ((ObjectNode) update.get("spec")).put("runStrategy", "Always");
        update.putObject("status").put("printableStatus", "Running");
        JsonNode afterPut = expect(200, put(path + "/v", update));
        assertThat(afterPut.path("spec").path("runStrategy").asText()).isEqualTo("Always");
        assertThat(afterPut.path("status").path("printableStatus").isMissingNode()).isTrue();

        // PUT on /status: status changes, spec change ignored
        ObjectNode statusUpdate = afterPut.deepCopy();
        ((ObjectNode) statusUpdate.get("spec")).put("runStrategy", "Manual");
        statusUpdate.putObject("status").put("printableStatus", "Stopped");
        JsonNode afterStatus = expect(200, put(path + "/v/status", statusUpdate));
        assertThat(afterStatus.path("status").path("printableStatus").asText()).isEqualTo("Stopped");
        assertThat(afterStatus.path("spec").path("runStrategy").asText()).isEqualTo("Always");

        JsonNode stored = expect(200, get(path + "/v"));
        assertThat(stored.path("status").path("printableStatus").asText()).isEqualTo("Stopped");
        assertThat(stored.path("spec").path("runStrategy").asText()).isEqualTo("Always");
    }

    @Test
    void generationBumpsOnSpecChangesOnly() {
        String ns = namespace("generation");
        String path = VMS.formatted(ns);
        JsonNode created = expect(201, post(path, vm("g")));
        assertThat(created.path("metadata").path("generation").asLong()).isEqualTo(1);

        JsonNode labelled = expect(200, mergePatch(path + "/g", "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}"));
        assertThat(labelled.path("metadata").path("generation").asLong()).isEqualTo(1);
        assertThat(Long.parseLong(resourceVersion(labelled))).isGreaterThan(Long.parseLong(resourceVersion(created)));

        JsonNode status = expect(200, server.send("PATCH", path + "/g/status", "application/merge-patch+json",
                "{\"status\":{\"printableStatus\":\"Stopped\"}}"));
        assertThat(status.path("status").path("printableStatus").asText()).isEqualTo("Stopped");
        assertThat(status.path("metadata").path("generation").asLong()).isEqualTo(1);

        JsonNode spec = expect(200, mergePatch(path + "/g", "{\"spec\":{\"runStrategy\":\"Always\"}}"));
        assertThat(spec.path("metadata").path("generation").asLong()).isEqualTo(2);
        JsonNode annotated = expect(200, mergePatch(path + "/g", "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}"));
        assertThat(annotated.path("metadata").path("generation").asLong()).isEqualTo(2);
    }

    @Test
    void generateNameDryRunAndAlreadyExists() {
        String ns = namespace("create-rules");
        String path = VMS.formatted(ns);
        ObjectNode gen = vm("");
        ((ObjectNode) gen.get("metadata")).remove("name");
        ((ObjectNode) gen.get("metadata")).put("generateName", "gen-");
        JsonNode created = expect(201, post(path, gen));
        String name = created.path("metadata").path("name").asText();
        assertThat(name).startsWith("gen-").hasSize("gen-".length() + 5);
        expect(200, get(path + "/" + name));

        JsonNode dry = expect(201, post(path + "?dryRun=All", vm("dry")));
        assertThat(dry.path("metadata").path("name").asText()).isEqualTo("dry");
        expectStatus(404, "NotFound", get(path + "/dry"));
        assertThat(names(expect(200, get(path)))).containsExactly(name);

        expect(201, post(path, vm("dup")));
        HttpResponse<String> again = post(path, vm("dup"));
        expectStatus(409, "AlreadyExists", again);
        assertThat(json(again).path("details").path("name").asText()).isEqualTo("dup");
    }

    @Test
    void invalidNameIs422OnMetadataName() {
        String ns = namespace("names");
        HttpResponse<String> r = post(VMS.formatted(ns), vm("Bad_Name"));
        expectStatus(422, "Invalid", r);
        assertThat(json(r).path("details").path("causes").get(0).path("field").asText()).isEqualTo("metadata.name");
    }

    @Test
    void finalizerHoldsDeletionUntilRemoved() {
        String ns = namespace("finalizers");
        String path = CMS.formatted(ns);
        ObjectNode body = cm("held", Map.of());
        ((ObjectNode) body.get("metadata")).putArray("finalizers").add("example.com/hold");
        expect(201, post(path, body));

        JsonNode deleting = expect(200, delete(path + "/held"));
        assertThat(deleting.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        JsonNode still = expect(200, get(path + "/held"));
        assertThat(still.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        assertThat(finalizers(still)).containsExactly("example.com/hold");

        expect(200, mergePatch(path + "/held", "{\"metadata\":{\"finalizers\":null}}"));
        await().atMost(WAIT).until(() -> get(path + "/held").statusCode() == 404);
    }

    @Test
    void backgroundCascadingDeletesDependents() {
        String ns = namespace("gc-background");
        String path = CMS.formatted(ns);
        JsonNode owner = expect(201, post(path, cm("owner", Map.of())));
        ObjectNode dep = cm("dependent", Map.of());
        ((ObjectNode) dep.get("metadata")).putArray("ownerReferences").add(ownerRef(owner, false));
        expect(201, post(path, dep));

        expect(200, delete(path + "/owner"));
        await().atMost(WAIT).until(() -> get(path + "/dependent").statusCode() == 404);
        expectStatus(404, "NotFound", get(path + "/owner"));
    }

    @Test
    void foregroundDeletionWaitsForDependents() {
        String ns = namespace("gc-foreground");
        String path = CMS.formatted(ns);
        JsonNode owner = expect(201, post(path, cm("owner", Map.of())));
        ObjectNode dep = cm("dependent", Map.of());
        ((ObjectNode) dep.get("metadata")).putArray("ownerReferences").add(ownerRef(owner, true));
        ((ObjectNode) dep.get("metadata")).putArray("finalizers").add("example.com/hold");
        expect(201, post(path, dep));

        JsonNode deleting = expect(200, delete(path + "/owner?propagationPolicy=Foreground"));
        assertThat(deleting.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        assertThat(finalizers(deleting)).contains("foregroundDeletion");

        // the collector deletes the dependent, which its own finalizer holds; the owner waits for it
        await().atMost(WAIT).until(() -> json(get(path + "/dependent")).path("metadata").has("deletionTimestamp"));
        JsonNode ownerNow = expect(200, get(path + "/owner"));
        assertThat(ownerNow.path("metadata").path("deletionTimestamp").asText()).isNotEmpty();
        assertThat(finalizers(ownerNow)).contains("foregroundDeletion");

        // release the dependent: remove only our finalizer
        JsonNode depNow = expect(200, get(path + "/dependent"));
        ArrayNode kept = M.createArrayNode();
        finalizers(depNow).stream().filter(f -> !f.equals("example.com/hold")).forEach(kept::add);
        ObjectNode patch = M.createObjectNode();
        patch.putObject("metadata").set("finalizers", kept);
        HttpResponse<String> released = mergePatch(path + "/dependent", patch.toString());
        assertThat(released.statusCode()).isIn(200, 404);

        await().atMost(WAIT).until(() -> get(path + "/dependent").statusCode() == 404);
        await().atMost(WAIT).until(() -> get(path + "/owner").statusCode() == 404);
    }

    @Test
    void orphanDeletionKeepsDependentsAndDropsTheirReference() {
        String ns = namespace("gc-orphan");
        String path = CMS.formatted(ns);
        JsonNode owner = expect(201, post(path, cm("owner", Map.of())));
        JsonNode other = expect(201, post(path, cm("other-owner", Map.of())));
        ObjectNode dep = cm("dependent", Map.of());
        ObjectNode depOther = cm("dependent-of-two", Map.of());
        ((ObjectNode) dep.get("metadata")).putArray("ownerReferences").add(ownerRef(owner, false));
        ((ObjectNode) depOther.get("metadata")).putArray("ownerReferences").add(ownerRef(owner, false))
                .add(ownerRef(other, false));
        expect(201, post(path, dep));
        expect(201, post(path, depOther));

        expect(200, delete(path + "/owner?propagationPolicy=Orphan"));
        await().atMost(WAIT).until(() -> get(path + "/owner").statusCode() == 404);
        JsonNode orphan = expect(200, get(path + "/dependent"));
        assertThat(orphan.path("metadata").path("ownerReferences").size()).isZero();
        assertThat(orphan.path("metadata").has("deletionTimestamp")).isFalse();
        JsonNode stillOwned = expect(200, get(path + "/dependent-of-two"));
        assertThat(stillOwned.path("metadata").path("ownerReferences")).hasSize(1);
        assertThat(stillOwned.path("metadata").path("ownerReferences").get(0).path("name").asText())
                .isEqualTo("other-owner");
    }

    @Test
    void namespaceDeletionRemovesContentThenTheNamespace() {
        String ns = namespace("doomed");
        expect(201, post(CMS.formatted(ns), cm("c1", Map.of())));
        ObjectNode held = cm("c2", Map.of());
        ((ObjectNode) held.get("metadata")).putArray("finalizers").add("example.com/hold");
        expect(201, post(CMS.formatted(ns), held));
        expect(201, post(VMS.formatted(ns), vm("v1")));

        JsonNode terminating = expect(200, delete("/api/v1/namespaces/" + ns));
        assertThat(terminating.path("status").path("phase").asText()).isEqualTo("Terminating");
        await().atMost(WAIT).until(() -> get(VMS.formatted(ns) + "/v1").statusCode() == 404
                && get(CMS.formatted(ns) + "/c1").statusCode() == 404);
        // the held object keeps the namespace alive
        await().atMost(WAIT).until(() -> json(get(CMS.formatted(ns) + "/c2")).path("metadata")
                .has("deletionTimestamp"));
        expect(200, get("/api/v1/namespaces/" + ns));
        HttpResponse<String> create = post(CMS.formatted(ns), cm("late", Map.of()));
        expectStatus(403, "Forbidden", create);

        expect(200, mergePatch(CMS.formatted(ns) + "/c2", "{\"metadata\":{\"finalizers\":null}}"));
        await().atMost(WAIT).until(() -> get("/api/v1/namespaces/" + ns).statusCode() == 404);
        assertThat(names(expect(200, get(CMS.formatted(ns))))).isEmpty();

        expectStatus(404, "NotFound", post(CMS.formatted("nope"), cm("x", Map.of())));
    }

    @Test
    void defaultNamespaceCannotBeDeleted() {
        expectStatus(403, "Forbidden", delete("/api/v1/namespaces/default"));
        JsonNode ns = expect(200, get("/api/v1/namespaces/default"));
        assertThat(ns.path("metadata").has("deletionTimestamp")).isFalse();
    }

    @Test
    void labelSelectors() {
        String ns = namespace("labels");
        String path = CMS.formatted(ns);
        expect(201, post(path, cm("a", Map.of("env", "prod", "tier", "web"))));
        expect(201, post(path, cm("b", Map.of("env", "dev", "tier", "web"))));
        expect(201, post(path, cm("c", Map.of("env", "prod"))));
        expect(201, post(path, cm("d", Map.of())));

        Map<String, List<String>> cases = new java.util.LinkedHashMap<>();
        cases.put("env=prod", List.of("a", "c"));
        cases.put("env==prod", List.of("a", "c"));
        cases.put("env!=prod", List.of("b", "d"));
        cases.put("env in (prod,dev)", List.of("a", "b", "c"));
        cases.put("env notin (prod)", List.of("b", "d"));
        cases.put("tier", List.of("a", "b"));
        cases.put("!tier", List.of("c", "d"));
        cases.put("env=prod,tier=web", List.of("a"));
        cases.put("env in (prod),!tier", List.of("c"));
        for (var e : cases.entrySet()) {
            assertThat(names(expect(200, get(path + "?labelSelector=" + q(e.getKey())))))
                    .as("labelSelector %s", e.getKey()).containsExactlyInAnyOrderElementsOf(e.getValue());
        }
        expectStatus(400, "BadRequest", get(path + "?labelSelector=" + q("env in prod")));
    }

    @Test
    void fieldSelectors() {
        String ns = namespace("fields");
        expect(201, post(CMS.formatted(ns), cm("a", Map.of())));
        expect(201, post(CMS.formatted(ns), cm("b", Map.of())));
        assertThat(names(expect(200, get(CMS.formatted(ns) + "?fieldSelector=" + q("metadata.name=a")))))
                .containsExactly("a");
        assertThat(names(expect(200, get(CMS.formatted(ns) + "?fieldSelector=" + q("metadata.name!=a")))))
                .containsExactly("b");

        String pods = PODS.formatted(ns);
        expect(201, post(pods, pod("on-node1", "node1")));
        expect(201, post(pods, pod("on-node2", "node2")));
        JsonNode unscheduled = expect(201, post(pods, pod("unscheduled", null)));
        ObjectNode running = unscheduled.deepCopy();
        ((ObjectNode) running.get("status")).put("phase", "Running");
        expect(200, put(pods + "/unscheduled/status", running));
        assertThat(names(expect(200, get(pods + "?fieldSelector=" + q("spec.nodeName=node1")))))
                .containsExactly("on-node1");
        assertThat(names(expect(200, get(pods + "?fieldSelector=" + q("spec.nodeName=")))))
                .containsExactly("unscheduled");
        assertThat(names(expect(200, get(pods + "?fieldSelector=" + q("status.phase=Running")))))
                .containsExactly("unscheduled");
        assertThat(names(expect(200, get(pods + "?fieldSelector=" + q("status.phase!=Running")))))
                .containsExactlyInAnyOrder("on-node1", "on-node2");
        assertThat(names(expect(200, get(pods + "?fieldSelector=" + q("status.phase=Pending,spec.nodeName=node2")))))
                .containsExactly("on-node2");

        String vmis = VMIS.formatted(ns);
        JsonNode v1 = expect(201, post(vmis, vmi("v1")));
        expect(201, post(vmis, vmi("v2")));
        ObjectNode withNode = v1.deepCopy();
        withNode.putObject("status").put("nodeName", "node1").put("phase", "Running");
        expect(200, put(vmis + "/v1/status", withNode));
        assertThat(names(expect(200, get(vmis + "?fieldSelector=" + q("status.nodeName=node1")))))
                .containsExactly("v1");
        assertThat(names(expect(200, get(vmis + "?fieldSelector=" + q("status.nodeName!=node1")))))
                .containsExactly("v2");

        HttpResponse<String> bad = get(pods + "?fieldSelector=" + q("spec.bogus=x"));
        expectStatus(400, "BadRequest", bad);
        assertThat(json(bad).path("message").asText()).contains("spec.bogus");
    }

    @Test
    void paginationReturnsEveryObjectOnce() {
        String ns = namespace("pages");
        String path = CMS.formatted(ns);
        for (int i = 0; i < 25; i++) {
            expect(201, post(path, cm("cm-" + i, Map.of())));
        }
        List<String> all = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String token = null;
        do {
            JsonNode page = expect(200, get(path + "?limit=10" + (token == null ? "" : "&continue=" + q(token))));
            pageSizes.add(page.path("items").size());
            all.addAll(names(page));
            token = page.path("metadata").path("continue").asText("");
            if (token.isEmpty()) {
                token = null;
            }
        } while (token != null && pageSizes.size() < 10);
        assertThat(pageSizes).containsExactly(10, 10, 5);
        assertThat(all).hasSize(25).doesNotHaveDuplicates();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            expected.add("cm-" + i);
        }
        assertThat(new HashSet<>(all)).isEqualTo(expected);
        expectStatus(400, "BadRequest", get(path + "?limit=10&continue=garbage%21"));
    }

    @Test
    void watchFromAResourceVersionGetsOnlyLaterEvents() {
        String ns = namespace("watch-rv");
        String path = CMS.formatted(ns);
        JsonNode first = expect(201, post(path, cm("first", Map.of())));
        expect(201, post(path, cm("second", Map.of())));
        expect(200, mergePatch(path + "/first", "{\"data\":{\"k\":\"changed\"}}"));

        HttpResponse<Stream<String>> r = watch(path + "?watch=true&timeoutSeconds=3&resourceVersion="
                + resourceVersion(first));
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> events = r.body().filter(l -> !l.isBlank()).map(ApiSemanticsIT::parse).map(JsonNode.class::cast).toList();
        assertThat(events).extracting(e -> e.path("type").asText() + " " + e.path("object").path("metadata")
                .path("name").asText()).containsExactly("ADDED second", "MODIFIED first");
    }

    @Test
    void watchOverWebSocketSendsOneMessagePerEvent() throws Exception {
        String ns = namespace("watch-websocket");
        String path = CMS.formatted(ns);
        expect(201, post(path, cm("before", Map.of())));
        java.util.concurrent.LinkedBlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        java.net.http.WebSocket ws = client(HttpClient.Version.HTTP_1_1).newWebSocketBuilder()
                .header("Authorization", "Bearer " + server.server().adminToken())
                .buildAsync(URI.create(server.url().replaceFirst("^https", "wss") + path + "?watch=true"),
                        new java.net.http.WebSocket.Listener() {
                            private final StringBuilder partial = new StringBuilder();

                            @Override
                            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w,
                                                                                  CharSequence data, boolean last) {
                                partial.append(data);
                                if (last) {
                                    messages.add(partial.toString());
                                    partial.setLength(0);
                                }
                                w.request(1);
                                return null;
                            }

                            @Override
                            public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket w,
                                                                                   int statusCode, String reason) {
                                closed.complete(statusCode);
                                return null;
                            }

                            @Override
                            public void onError(java.net.http.WebSocket w, Throwable error) {
                                closed.completeExceptionally(error);
                            }
                        }).get(30, TimeUnit.SECONDS);
        try {
            JsonNode initial = parse(messages.poll(60, TimeUnit.SECONDS));
            assertThat(initial.path("type").asText()).isEqualTo("ADDED");
            assertThat(initial.path("object").path("metadata").path("name").asText()).isEqualTo("before");
            expect(201, post(path, cm("after", Map.of())));
            JsonNode added = parse(messages.poll(60, TimeUnit.SECONDS));
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("after");
            expect(200, delete(path + "/before"));
            JsonNode deleted = parse(messages.poll(60, TimeUnit.SECONDS));
            assertThat(deleted.path("type").asText()).isEqualTo("DELETED");
            assertThat(deleted.path("object").path("metadata").path("name").asText()).isEqualTo("before");
        } finally {
            ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done");
        }
        // a websocket watch that fails before streaming is an ordinary HTTP error
        CompletableFuture<java.net.http.WebSocket> bad = client(HttpClient.Version.HTTP_1_1).newWebSocketBuilder()
                .buildAsync(URI.create(server.url().replaceFirst("^https", "wss") + path + "?watch=true"),
                        new java.net.http.WebSocket.Listener() {
                        });
        assertThat(bad).failsWithin(Duration.ofSeconds(30)).withThrowableThat().satisfies(e -> {
            Throwable t = e;
            while (t != null && !(t instanceof java.net.http.WebSocketHandshakeException)) {
                t = t.getCause();
            }
            assertThat(t).as("handshake refused: %s", e).isInstanceOf(java.net.http.WebSocketHandshakeException.class);
            assertThat(((java.net.http.WebSocketHandshakeException) t).getResponse().statusCode()).isEqualTo(401);
        });
    }

    @Test
    void idleWatchWithBookmarksGetsABookmark() throws Exception {
        String ns = namespace("watch-bookmark");
        String path = CMS.formatted(ns);
        String rv = resourceVersion(expect(200, get(path)));
        HttpResponse<Stream<String>> r = watch(path + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=120"
                + "&resourceVersion=" + rv);
        assertThat(r.statusCode()).isEqualTo(200);
        Iterator<String> lines = r.body().filter(l -> !l.isBlank()).iterator();
        CompletableFuture<JsonNode> firstEvent = CompletableFuture.supplyAsync(() -> lines.hasNext()
                ? parse(lines.next()) : null);
        JsonNode ev = firstEvent.get(90, TimeUnit.SECONDS);
        assertThat(ev).as("an event before the stream ended").isNotNull();
        assertThat(ev.path("type").asText()).isEqualTo("BOOKMARK");
        assertThat(ev.path("object").path("kind").asText()).isEqualTo("ConfigMap");
        assertThat(Long.parseLong(resourceVersion(ev.path("object")))).isGreaterThanOrEqualTo(Long.parseLong(rv));
        r.body().close();
    }

    @Test
    void watchTimeoutEndsTheStream() throws Exception {
        String ns = namespace("watch-timeout");
        HttpResponse<Stream<String>> r = watch(CMS.formatted(ns) + "?watch=true&timeoutSeconds=1");
        assertThat(r.statusCode()).isEqualTo(200);
        CompletableFuture<Long> count = CompletableFuture.supplyAsync(() -> r.body().filter(l -> !l.isBlank()).count());
        assertThat(count.get(60, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void tooOldResourceVersionAfterRestartIsExpired() {
        String ns = namespace("watch-expired");
        String path = CMS.formatted(ns);
        JsonNode first = expect(201, post(path, cm("one", Map.of())));
        expect(201, post(path, cm("two", Map.of())));
        server.restart();

        HttpResponse<Stream<String>> r = watch(path + "?watch=true&timeoutSeconds=5&resourceVersion="
                + resourceVersion(first));
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> events = r.body().filter(l -> !l.isBlank()).map(ApiSemanticsIT::parse).map(JsonNode.class::cast).toList();
        assertThat(events).isNotEmpty();
        JsonNode err = events.getFirst();
        assertThat(err.path("type").asText()).isEqualTo("ERROR");
        assertThat(err.path("object").path("kind").asText()).isEqualTo("Status");
        assertThat(err.path("object").path("code").asInt()).isEqualTo(410);
        assertThat(err.path("object").path("reason").asText()).isEqualTo("Expired");
        // a list still works and gives a resourceVersion to watch from
        JsonNode list = expect(200, get(path));
        assertThat(names(list)).containsExactlyInAnyOrder("one", "two");
    }

    @Test
    void tableOutputForVirtualMachines() {
        String ns = namespace("table");
        expect(201, post(VMS.formatted(ns), vm("tv")));
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.url() + VMS.formatted(ns)))
                .header("Authorization", "Bearer " + server.server().adminToken())
                .header("Accept", TABLE).GET().build();
        JsonNode table;
        try {
            HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(req, HttpResponse.BodyHandlers.ofString());
            table = expect(200, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertThat(table.path("kind").asText()).isEqualTo("Table");
        assertThat(table.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
        List<String> columns = new ArrayList<>();
        table.path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText()));
        assertThat(columns).containsExactly("Name", "Age", "Status", "Ready");
        assertThat(table.path("rows")).hasSize(1);
        assertThat(table.path("rows").get(0).path("cells").get(0).asText()).isEqualTo("tv");
    }

    @Test
    void authentication() {
        HttpResponse<String> anon = server.send("GET", "/api/v1/namespaces", null, null, null);
        expectStatus(401, "Unauthorized", anon);
        HttpResponse<String> badToken = server.send("GET", "/api/v1/namespaces", null, null, "not-a-token");
        expectStatus(401, "Unauthorized", badToken);

        String viewer = server.server().viewerToken();
        assertThat(server.send("GET", "/api/v1/namespaces", null, null, viewer).statusCode()).isEqualTo(200);
        HttpResponse<String> write = server.send("POST", CMS.formatted("default"), "application/json",
                cm("viewer-write", Map.of()).toString().getBytes(StandardCharsets.UTF_8), viewer);
        expectStatus(403, "Forbidden", write);
        HttpResponse<String> del = server.send("DELETE", "/api/v1/namespaces/kube-public", null, null, viewer);
        expectStatus(403, "Forbidden", del);
        expectStatus(404, "NotFound", get(CMS.formatted("default") + "/viewer-write"));
    }

    @Test
    void unknownFieldGivesAWarningHeader() {
        String ns = namespace("warnings");
        ObjectNode body = vm("w");
        ((ObjectNode) body.get("spec")).put("bogusField", 1);
        HttpResponse<String> r = post(VMS.formatted(ns), body);
        expect(201, r);
        List<String> warnings = r.headers().allValues("Warning");
        assertThat(warnings).anySatisfy(w -> assertThat(w).startsWith("299 ").contains("unknown field")
                .contains("spec.bogusField"));

        ObjectNode strict = vm("w2");
        ((ObjectNode) strict.get("spec")).put("bogusField", 1);
        expectStatus(400, "BadRequest", post(VMS.formatted(ns) + "?fieldValidation=Strict", strict));
        ObjectNode ignored = vm("w3");
        ((ObjectNode) ignored.get("spec")).put("bogusField", 1);
        HttpResponse<String> quiet = post(VMS.formatted(ns) + "?fieldValidation=Ignore", ignored);
        expect(201, quiet);
        assertThat(quiet.headers().allValues("Warning")).isEmpty();
    }

    @Test
    void versionHealthAndOpenApi() {
        JsonNode version = expect(200, server.send("GET", "/version", null, null, null));
        assertThat(version.path("gitVersion").asText()).startsWith("v1.");
        HttpResponse<String> health = server.send("GET", "/healthz", null, null, null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok");
        assertThat(server.send("GET", "/readyz", null, null, null).statusCode()).isEqualTo(200);
        JsonNode openapi = expect(200, get("/openapi/v3"));
        assertThat(openapi.path("paths").has("apis/kubevirt.io/v1")).as("openapi paths: %s", openapi.path("paths"))
                .isTrue();
        String doc = openapi.path("paths").path("apis/kubevirt.io/v1").path("serverRelativeURL").asText();
        JsonNode kubevirt = expect(200, get(doc));
        assertThat(kubevirt.path("components").path("schemas").size()).isPositive();
    }

    @Test
    void http2IsNegotiated() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/namespaces/default"))
                .header("Authorization", "Bearer " + server.server().adminToken()).GET().build();
        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        HttpResponse<String> h1 = client(HttpClient.Version.HTTP_1_1).send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(h1.statusCode()).isEqualTo(200);
        assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }
}
