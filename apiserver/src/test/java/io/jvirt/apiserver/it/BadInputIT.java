package io.jvirt.apiserver.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Whatever a client sends, the answer is a proper Status and the server keeps serving. */
class BadInputIT {
    private static final ObjectMapper M = new ObjectMapper();
    private static final String VMS = "/apis/kubevirt.io/v1/namespaces/default/virtualmachines";
    private static final String CMS = "/api/v1/namespaces/default/configmaps";

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

    /** After every bad request: the server still answers an ordinary GET. */
    @AfterEach
    void stillServes() {
        HttpResponse<String> r = server.get("/api/v1/namespaces/default");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("metadata").path("name").asText()).isEqualTo("default");
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return M.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (HTTP " + r.statusCode() + "): " + r.body(), e);
        }
    }

    /** Asserts a Status with the code and reason; returns its message. */
    static String status(int code, String reason, HttpResponse<String> r) {
        assertThat(r.statusCode()).as("HTTP status: %s", r.body()).isEqualTo(code);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct)
                .startsWith("application/json"));
        JsonNode s = json(r);
        assertThat(s.path("kind").asText()).isEqualTo("Status");
        assertThat(s.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(s.path("status").asText()).isEqualTo("Failure");
        assertThat(s.path("code").asInt()).isEqualTo(code);
        assertThat(s.path("reason").asText()).isEqualTo(reason);
        return s.path("message").asText();
    }

    static String vm(String name) {
        return """
                {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"%s"},
                 "spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"devices":{}}}}}}
                """.formatted(name);
    }

    static HttpResponse<String> post(String path, String contentType, String body) {
        return server.send("POST", path, contentType, body);
    }

    @Test
    void malformedJson() {
        String msg = status(400, "BadRequest", post(VMS, "application/json",
                "{\"apiVersion\":\"kubevirt.io/v1\",\n\"kind\": \"VirtualMachine\",,}"));
        assertThat(msg).contains("JSON").contains("line 2");
        status(400, "BadRequest", post(VMS, "application/json", "{\"apiVersion\":"));
        status(400, "BadRequest", post(VMS, "application/json", "[1,2,3]"));
        status(400, "BadRequest", post(VMS, "application/json", ""));
    }

    @Test
    void malformedYaml() {
        String yaml = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: [unclosed\n";
        String msg = status(400, "BadRequest", post(VMS, "application/yaml", yaml));
        assertThat(msg).contains("YAML").containsPattern("line \\d+");
        // well-formed YAML is accepted
        String ok = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: from-yaml\n"
                + "spec:\n  runStrategy: Halted\n  template:\n    spec:\n      domain:\n        devices: {}\n";
        HttpResponse<String> created = post(VMS, "application/yaml", ok);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    @Test
    void wrongApiVersionAndKind() {
        String msg = status(400, "BadRequest", post(VMS, "application/json",
                vm("x").replace("kubevirt.io/v1", "kubevirt.io/v1alpha3")));
        assertThat(msg).contains("kubevirt.io/v1alpha3").contains("kubevirt.io/v1");
        msg = status(400, "BadRequest", post(VMS, "application/json",
                vm("x").replace("\"VirtualMachine\"", "\"VirtualMachineInstance\"")));
        assertThat(msg).contains("VirtualMachineInstance").contains("(VirtualMachine)");
    }

    @Test
    void bodyTooLarge() {
        byte[] big = new byte[10 * 1024 * 1024];
        Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[big.length - 1] = '}';
        String msg = status(413, "RequestEntityTooLarge", server.send("POST", CMS, "application/json", big,
                server.server().adminToken()));
        assertThat(msg).contains("too large");
    }

    @Test
    void invalidNames() {
        HttpResponse<String> r = post(VMS, "application/json", vm("Bad_Name"));
        status(422, "Invalid", r);
        assertThat(json(r).path("details").path("causes").get(0).path("field").asText()).isEqualTo("metadata.name");
        HttpResponse<String> longName = post(VMS, "application/json", vm("a".repeat(300)));
        String msg = status(422, "Invalid", longName);
        assertThat(msg).contains("metadata.name");
        assertThat(json(longName).path("details").path("causes").get(0).path("field").asText())
                .isEqualTo("metadata.name");
    }

    @Test
    void namespaceThatDoesNotExist() {
        String msg = status(404, "NotFound", post("/apis/kubevirt.io/v1/namespaces/nope/virtualmachines",
                "application/json", vm("x")));
        assertThat(msg).isEqualTo("namespaces \"nope\" not found");
    }

    @Test
    void staleResourceVersionOnPut() {
        HttpResponse<String> created = post(CMS, "application/json",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"stale\"},\"data\":{\"a\":\"1\"}}");
        assertThat(created.statusCode()).isEqualTo(201);
        ObjectNode first = (ObjectNode) json(created);
        ObjectNode second = first.deepCopy();
        ((ObjectNode) second.get("data")).put("a", "2");
        assertThat(server.send("PUT", CMS + "/stale", "application/json", second.toString()).statusCode())
                .isEqualTo(200);
        ((ObjectNode) first.get("data")).put("a", "3");
        String msg = status(409, "Conflict", server.send("PUT", CMS + "/stale", "application/json", first.toString()));
        assertThat(msg).contains("the object has been modified");
        assertThat(json(server.get(CMS + "/stale")).path("data").path("a").asText()).isEqualTo("2");
    }

    @Test
    void unknownPaths() {
        status(404, "NotFound", server.get("/apis/kubevirt.io/v1/namespaces/default/nosuchthings"));
        status(404, "NotFound", server.get("/apis/nosuch.group/v1/things"));
        status(404, "NotFound", server.get("/nothing/here"));
        status(404, "NotFound", server.get(VMS + "/missing"));
    }

    @Test
    void strategicMergePatchOnAVirtualMachineIsUnsupported() {
        HttpResponse<String> created = post(VMS, "application/json", vm("smp"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String msg = status(415, "UnsupportedMediaType", server.send("PATCH", VMS + "/smp",
                "application/strategic-merge-patch+json", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}"));
        assertThat(msg).contains("application/merge-patch+json");
        status(415, "UnsupportedMediaType", server.send("PATCH", VMS + "/smp", "text/plain", "hello"));
        // a malformed merge patch is a 400, and the object is untouched
        status(400, "BadRequest", server.send("PATCH", VMS + "/smp", "application/merge-patch+json", "{oops"));
        assertThat(json(server.get(VMS + "/smp")).path("metadata").path("labels").has("a")).isFalse();
    }

    @Test
    void garbageBytes() {
        byte[] garbage = new byte[4096];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) (i * 31 + 7);
        }
        HttpResponse<String> r = server.send("POST", CMS, "application/json", garbage, server.server().adminToken());
        status(400, "BadRequest", r);
        r = server.send("POST", CMS, "application/yaml", garbage, server.server().adminToken());
        status(400, "BadRequest", r);
        String nul = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"n\\u0000x\"}}";
        status(422, "Invalid", server.send("POST", CMS, "application/json", nul.getBytes(StandardCharsets.UTF_8),
                server.server().adminToken()));
    }
}
