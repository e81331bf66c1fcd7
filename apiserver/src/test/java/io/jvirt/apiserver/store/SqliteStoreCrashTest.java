package io.jvirt.apiserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.jvirt.apiserver.store.StoreFixtures.INDEXER;
import static io.jvirt.apiserver.store.StoreFixtures.VMS;
import static io.jvirt.apiserver.store.StoreFixtures.tree;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a writing process with SIGKILL in the middle of a burst and checks that every write it acknowledged is
 * on disk and that everything on disk is whole.
 */
class SqliteStoreCrashTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
        Path file = dir.resolve("store.db");
        List<String> acknowledged = new ArrayList<>();
        // Several short rounds: each kill is one chance to catch an acknowledged-but-uncommitted write, and every
        // round after the first starts from a file left behind by a SIGKILL.
        int rounds = 4;
        for (int round = 0; round < rounds; round++) {
            acknowledged.addAll(runAndKill(file, 200, "r" + round + "-", dir.resolve("child-" + round + ".err")));
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(rounds * 200);

        try (SqliteStore store = new SqliteStore(file, INDEXER, 1000)) {
            List<StoredObject> all = store.list(VMS, null, null, null, 0).items();
            Set<String> present = new HashSet<>();
            Set<Long> revisions = new HashSet<>();
            for (StoredObject o : all) {
                present.add(o.key().sortKey());
                JsonNode doc = tree(o.json()); // a torn document would not parse
                assertThat(doc.path("metadata").path("name").asText()).isEqualTo(o.key().name());
                assertThat(doc.path("metadata").path("resourceVersion").asText()).isEqualTo(Long.toString(o.resourceVersion()));
                assertThat(doc.path("spec").path("padding").asText()).hasSize(2000);
                assertThat(revisions.add(o.resourceVersion())).isTrue();
            }
            assertThat(present).containsAll(acknowledged);
            assertThat(store.currentResourceVersion()).isGreaterThanOrEqualTo(all.size());
            // the revision counter survived as well: new writes continue above everything present
            ObjectKey k = StoreFixtures.vm("ns0", "after-crash");
            long max = revisions.stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(store.create(k, StoreFixtures.doc(k)).resourceVersion()).isGreaterThan(max);
        }
    }

    /** Starts a writer child, waits for {@code atLeast} acknowledged keys, SIGKILLs it, returns all it printed. */
    private static List<String> runAndKill(Path file, int atLeast, String prefix, Path stderr) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                CrashWriterMain.class.getName(), file.toString(), "32", prefix)
                // Not inherited: stray bytes on the surefire fork's own streams upset its channel.
                .redirectError(stderr.toFile())
                .start();
        List<String> lines = new ArrayList<>();
        CountDownLatch enough = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> readLines(child.getInputStream(), lines, atLeast, enough));
        try {
            boolean reached = enough.await(60, TimeUnit.SECONDS);
            assertThat(reached).as("child acknowledged %d writes; its stderr: %s", atLeast, stderrOf(stderr)).isTrue();
        } finally {
            child.destroyForcibly(); // SIGKILL on Unix: no shutdown hooks, no close()
            child.waitFor();
        }
        reader.join(); // drains what the child printed before it died
        synchronized (lines) {
            assertThat(lines).as("child output; its stderr: %s", stderrOf(stderr)).isNotEmpty();
            assertThat(lines.getFirst()).isEqualTo("READY");
            assertThat(lines.size() - 1).as("acknowledged writes before the kill; child stderr: %s", stderrOf(stderr))
                    .isGreaterThanOrEqualTo(atLeast);
            return new ArrayList<>(lines.subList(1, lines.size()));
        }
    }

    private static String stderrOf(Path stderr) {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Collects complete lines only: a line cut by the kill has no newline and was never acknowledged. */
    private static void readLines(InputStream in, List<String> lines, int atLeast, CountDownLatch enough) {
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        synchronized (lines) {
                            lines.add(current.toString(StandardCharsets.UTF_8).strip());
                            if (lines.size() > atLeast) {
                                enough.countDown();
                            }
                        }
                        current.reset();
                    } else {
                        current.write(buf[i]);
                    }
                }
            }
        } catch (IOException e) {
            // the pipe breaks when the child dies: everything complete has been read
        } finally {
            enough.countDown();
        }
    }
}
