package io.jvirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGKILL of {@code jvirt up} in the middle of a burst of concurrent writes: after a restart on the same data dir,
 * every write that was acknowledged is there with exactly its data, nothing half-written is, and resourceVersions
 * continue upwards.
 */
class CrashSafetyIT {
    private static final int WRITERS = 16;
    private static final int ACKS_BEFORE_KILL = 300;
    private static final String NS = "crash";

    @TempDir
    Path tmp;
    private final List<UpProcess> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        for (UpProcess p : started) {
            p.stop();
        }
        UpProcess.stopLibvirt(tmp.resolve("d"));
    }

    private UpProcess up(Path dir, int port, Path log) {
        UpProcess p = UpProcess.start(dir, port, log);
        started.add(p);
        return p;
    }

    @Test
    void acknowledgedWritesSurviveSigkill() throws Exception {
        Path dir = tmp.resolve("d");
        Path log = tmp.resolve("up.log");
        int port = UpProcess.freePort();
        UpProcess first = up(dir, port, log);
        UpProcess.Api api = first.awaitReady();
        assertThat(api.send("POST", "/api/v1/namespaces",
                "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + NS + "\"}}")
                .statusCode()).isEqualTo(201);

        Map<String, String> attempted = new ConcurrentHashMap<>();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicLong maxRvSeen = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        List<Future<Integer>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(pool.submit(() -> {
                int failures = 0;
                for (int i = 0; !stop.get(); i++) {
                    String name = "cm-" + writer + "-" + i;
                    String value = UUID.randomUUID() + "-" + "x".repeat(writer * 64);
                    attempted.put(name, value);
                    ObjectNode cm = UpProcess.JSON.createObjectNode();
                    cm.put("apiVersion", "v1").put("kind", "ConfigMap");
                    cm.putObject("metadata").put("name", name);
                    cm.putObject("data").put("value", value);
                    try {
                        HttpResponse<String> r = api.send("POST", "/api/v1/namespaces/" + NS + "/configmaps",
                                cm.toString());
                        if (r.statusCode() == 201) {
                            JsonNode created = UpProcess.JSON.readTree(r.body());
                            assertThat(created.path("data").path("value").asText()).isEqualTo(value);
                            maxRvSeen.accumulateAndGet(Long.parseLong(created.path("metadata")
                                    .path("resourceVersion").asText()), Math::max);
                            acknowledged.put(name, value);
                        }
                    } catch (IOException e) {
                        // the server died under us: this write may or may not have been committed
                        if (++failures > 3) {
                            return i;
                        }
                    }
                }
                return -1;
            }));
        }
        // kill once writes are well under way, while every writer still has requests in flight
        await().atMost(Duration.ofSeconds(120)).until(() -> acknowledged.size() >= ACKS_BEFORE_KILL);
        first.process.destroyForcibly();
        assertThat(first.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        stop.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        for (Future<Integer> f : writers) {
            f.get(); // surfaces assertion failures of the writers
        }
        Map<String, String> acked = new HashMap<>(acknowledged);
        long rvBefore = maxRvSeen.get();
        assertThat(acked).hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
        assertThat(Files.exists(dir.resolve("apiserver.lock")))
                .as("a killed server leaves its lock file; the next start must cope").isTrue();

        UpProcess second = up(dir, port, log);
        UpProcess.Api again = second.awaitReady();
        Map<String, JsonNode> present = new HashMap<>();
        JsonNode list = again.getJson("/api/v1/namespaces/" + NS + "/configmaps");
        for (JsonNode item : list.path("items")) {
            present.put(item.path("metadata").path("name").asText(), item);
        }
        System.out.printf("crash safety: %d creates attempted, %d acknowledged before SIGKILL, %d present after "
                + "restart%n", attempted.size(), acked.size(), present.size());
        for (Map.Entry<String, String> e : acked.entrySet()) {
            assertThat(present).as("acknowledged %s survives", e.getKey()).containsKey(e.getKey());
            assertThat(present.get(e.getKey()).path("data").path("value").asText())
                    .as("data of %s", e.getKey()).isEqualTo(e.getValue());
        }
        for (Map.Entry<String, JsonNode> e : present.entrySet()) {
            JsonNode obj = e.getValue();
            assertThat(attempted).as("%s was written by the test", e.getKey()).containsKey(e.getKey());
            assertThat(obj.path("data").path("value").asText()).as("complete data of %s", e.getKey())
                    .isEqualTo(attempted.get(e.getKey()));
            assertThat(obj.path("metadata").path("uid").asText()).isNotEmpty();
            assertThat(Long.parseLong(obj.path("metadata").path("resourceVersion").asText()))
                    .isLessThanOrEqualTo(Long.parseLong(list.path("metadata").path("resourceVersion").asText()));
        }
        assertThat(Long.parseLong(list.path("metadata").path("resourceVersion").asText()))
                .isGreaterThanOrEqualTo(rvBefore);

        // revisions continue above everything handed out before the crash
        HttpResponse<String> after = again.send("POST", "/api/v1/namespaces/" + NS + "/configmaps",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"after-restart\"},"
                        + "\"data\":{\"value\":\"1\"}}");
        assertThat(after.statusCode()).as(after.body()).isEqualTo(201);
        long rvAfter = Long.parseLong(UpProcess.JSON.readTree(after.body()).path("metadata").path("resourceVersion")
                .asText());
        assertThat(rvAfter).isGreaterThan(rvBefore);
        // an update of a pre-crash object gets a higher revision too
        String someAcked = acked.keySet().iterator().next();
        ObjectNode obj = (ObjectNode) again.getJson("/api/v1/namespaces/" + NS + "/configmaps/" + someAcked);
        ((ObjectNode) obj.get("data")).put("value", "updated");
        HttpResponse<String> updated = again.send("PUT", "/api/v1/namespaces/" + NS + "/configmaps/" + someAcked,
                obj.toString());
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(Long.parseLong(UpProcess.JSON.readTree(updated.body()).path("metadata").path("resourceVersion")
                .asText())).isGreaterThan(rvAfter);
        assertThat(again.readyz()).isEqualTo(200);
    }
}
