package io.jvirt.apiserver.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.LongStream;

import static io.jvirt.apiserver.store.StoreFixtures.INDEXER;
import static io.jvirt.apiserver.store.StoreFixtures.NODES;
import static io.jvirt.apiserver.store.StoreFixtures.VMS;
import static io.jvirt.apiserver.store.StoreFixtures.doc;
import static io.jvirt.apiserver.store.StoreFixtures.jsonRv;
import static io.jvirt.apiserver.store.StoreFixtures.vm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class SqliteStoreTest {
    @TempDir
    Path dir;

    private final List<SqliteStore> opened = new ArrayList<>();

    private SqliteStore open() {
        SqliteStore s = new SqliteStore(dir.resolve("store.db"), INDEXER, 1000);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(SqliteStore::close);
    }

    private static StoreException.Reason reasonOf(Runnable r) {
        try {
            r.run();
        } catch (StoreException e) {
            return e.reason();
        }
        throw new AssertionError("expected a StoreException");
    }

    @Test
    void crudAndPreconditions() {
        SqliteStore store = open();
        ObjectKey a = vm("ns", "a");
        assertThat(store.currentResourceVersion()).isZero();

        StoredObject created = store.create(a, doc(a, "app", "web"));
        assertThat(created.resourceVersion()).isEqualTo(1);
        assertThat(jsonRv(created)).isEqualTo("1");
        assertThat(created.labels()).isEqualTo(Map.of("app", "web"));
        assertThat(created.fields()).containsEntry("metadata.name", "a").containsEntry("metadata.namespace", "ns");
        assertThat(store.get(a).json()).isEqualTo(created.json());
        assertThat(store.get(vm("ns", "missing"))).isNull();
        assertThat(store.currentResourceVersion()).isEqualTo(1);

        assertThat(reasonOf(() -> store.create(a, doc(a)))).isEqualTo(StoreException.Reason.ALREADY_EXISTS);
        assertThat(reasonOf(() -> store.update(a, doc(a), 99))).isEqualTo(StoreException.Reason.CONFLICT);
        assertThat(reasonOf(() -> store.update(vm("ns", "b"), doc(vm("ns", "b")), 0)))
                .isEqualTo(StoreException.Reason.NOT_FOUND);

        ObjectNode changed = doc(a, "app", "db");
        StoredObject updated = store.update(a, changed, 1);
        assertThat(updated.resourceVersion()).isEqualTo(2);
        assertThat(updated.labels()).isEqualTo(Map.of("app", "db"));
        // The caller's node is documented to receive the new resourceVersion.
        assertThat(changed.path("metadata").path("resourceVersion").asText()).isEqualTo("2");
        assertThat(store.update(a, doc(a), 0).resourceVersion()).isEqualTo(3); // unconditional

        assertThat(reasonOf(() -> store.delete(a, 2))).isEqualTo(StoreException.Reason.CONFLICT);
        assertThat(reasonOf(() -> store.delete(vm("ns", "b"), 0))).isEqualTo(StoreException.Reason.NOT_FOUND);
        StoredObject deleted = store.delete(a, 3);
        assertThat(deleted.resourceVersion()).isEqualTo(4);
        assertThat(jsonRv(deleted)).isEqualTo("4");
        assertThat(store.get(a)).isNull();
        assertThat(store.currentResourceVersion()).isEqualTo(4);
        // failed ops consumed no revision
        assertThat(store.create(a, doc(a)).resourceVersion()).isEqualTo(5);

        StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, () -> store.create(a, doc(a)));
        assertThat(e.key()).isEqualTo(a);
    }

    @Test
    void resourceVersionIsMonotonicAcrossReopenEvenAfterDeletingTheNewest() {
        SqliteStore store = open();
        store.create(vm("ns", "a"), doc(vm("ns", "a")));
        store.create(vm("ns", "b"), doc(vm("ns", "b")));
        store.delete(vm("ns", "b"), 0); // rv 3: the newest object is gone, only the counter remembers
        store.close();

        SqliteStore again = open();
        assertThat(again.currentResourceVersion()).isEqualTo(3);
        assertThat(again.create(vm("ns", "c"), doc(vm("ns", "c"))).resourceVersion()).isEqualTo(4);
        again.delete(vm("ns", "a"), 0);
        again.delete(vm("ns", "c"), 0);
        again.close();

        SqliteStore third = open();
        assertThat(third.currentResourceVersion()).isEqualTo(6);
        assertThat(third.list(VMS, null, null, null, 0).items()).isEmpty();
    }

    @Test
    void documentsSurviveReopenByteForByte() throws Exception {
        SqliteStore store = open();
        ObjectKey key = vm("ns", "x");
        String raw = "{\"apiVersion\":\"kubevirt.io/v1\",\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"x\","
                + "\"namespace\":\"ns\",\"labels\":{\"tier\":\"gold\"},\"unknownMeta\":[1,2,3]},"
                + "\"spec\":{\"nodeName\":\"n1\",\"ratio\":1.10,\"big\":12345678901234567890,\"text\":\"ünïcødé ✓\"},"
                + "\"x-unknown\":{\"nested\":{\"deep\":true,\"nil\":null}}}";
        // Parsed with BigDecimal floats, as the REST layer should, so that 1.10 stays 1.10.
        StoredObject created = store.create(key, (ObjectNode) Documents.MAPPER.readTree(raw));
        ObjectKey node = new ObjectKey(NODES, "", "n1");
        store.create(node, doc(node));
        store.close();

        SqliteStore again = open();
        StoredObject loaded = again.get(key);
        assertThat(loaded.json()).isEqualTo(created.json());
        assertThat(loaded.resourceVersion()).isEqualTo(1);
        assertThat(loaded.labels()).isEqualTo(Map.of("tier", "gold"));
        assertThat(loaded.fields()).containsEntry("spec.nodeName", "n1");
        String text = new String(loaded.json(), StandardCharsets.UTF_8);
        assertThat(text).contains("\"x-unknown\":{\"nested\":{\"deep\":true,\"nil\":null}}", "\"unknownMeta\":[1,2,3]",
                "12345678901234567890", "ünïcødé ✓", "\"resourceVersion\":\"1\"");
        assertThat(again.get(node).key()).isEqualTo(node);

        // The final state of a delete is re-serialized: only its resourceVersion may change.
        String deleted = new String(again.delete(key, 0).json(), StandardCharsets.UTF_8);
        assertThat(deleted).isEqualTo(text.replace("\"resourceVersion\":\"1\"", "\"resourceVersion\":\"3\""));
        assertThat(deleted).contains("\"ratio\":1.10");
    }

    @Test
    void createsDatabaseFilesOwnerOnly() throws Exception {
        SqliteStore store = SqliteStore.open(dir.resolve("data"), INDEXER);
        opened.add(store);
        store.create(vm("ns", "a"), doc(vm("ns", "a")));
        Path db = dir.resolve("data").resolve(SqliteStore.FILE_NAME);
        assertThat(store.file()).isEqualTo(db);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(db))).isEqualTo("rw-------");
        Path wal = db.resolveSibling(db.getFileName() + "-wal");
        if (Files.exists(wal)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(wal))).isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data")))).isEqualTo("rwx------");
    }

    @Test
    void listOrdersRestrictsFiltersAndPaginates() {
        SqliteStore store = open();
        // Namespaces chosen to sit next to "a" in string order: "a-b" < "a/" < "a0" < "ab".
        for (String ns : List.of("ab", "a", "a-b", "b")) {
            for (String name : List.of("z", "m", "c")) {
                ObjectKey k = vm(ns, name);
                store.create(k, doc(k, "pick", name.equals("m") ? "no" : "yes"));
            }
        }
        store.create(new ObjectKey(NODES, "", "n2"), doc(new ObjectKey(NODES, "", "n2")));
        store.create(new ObjectKey(NODES, "", "n1"), doc(new ObjectKey(NODES, "", "n1")));

        Store.ListResult all = store.list(VMS, null, null, null, 0);
        assertThat(all.items()).extracting(o -> o.key().sortKey()).containsExactly(
                "a-b/c", "a-b/m", "a-b/z", "a/c", "a/m", "a/z", "ab/c", "ab/m", "ab/z", "b/c", "b/m", "b/z");
        assertThat(all.resourceVersion()).isEqualTo(14);
        assertThat(all.more()).isFalse();

        assertThat(store.list(VMS, "a", null, null, 0).items()).extracting(o -> o.key().sortKey())
                .containsExactly("a/c", "a/m", "a/z");
        assertThat(store.list(NODES, "", null, null, 0).items()).extracting(o -> o.key().name())
                .containsExactly("n1", "n2");
        assertThat(store.list(VMS, "nope", null, null, 0).items()).isEmpty();
        assertThat(store.list("unknown/resource", null, null, null, 0).items()).isEmpty();

        // filter + pagination: walk pages of 2 over the "pick=yes" objects
        List<String> walked = new ArrayList<>();
        String after = null;
        int pages = 0;
        while (true) {
            Store.ListResult page = store.list(VMS, null, o -> "yes".equals(o.labels().get("pick")), after, 2);
            pages++;
            page.items().forEach(o -> walked.add(o.key().sortKey()));
            if (!page.more()) {
                break;
            }
            assertThat(page.items()).hasSize(2);
            after = page.items().getLast().key().sortKey();
        }
        assertThat(walked).containsExactly("a-b/c", "a-b/z", "a/c", "a/z", "ab/c", "ab/z", "b/c", "b/z");
        assertThat(pages).isEqualTo(4);

        // `more` counts only matching objects: b/m follows b/c but does not match.
        Store.ListResult tail = store.list(VMS, "b", o -> !o.key().name().equals("z"), null, 1);
        assertThat(tail.items()).extracting(o -> o.key().name()).containsExactly("c");
        assertThat(tail.more()).isTrue();
        Store.ListResult last = store.list(VMS, "b", o -> o.key().name().equals("c"), null, 1);
        assertThat(last.more()).isFalse();

        // afterSortKey inside, before and after the namespace range
        assertThat(store.list(VMS, "a", null, "a/c", 0).items()).extracting(o -> o.key().name()).containsExactly("m", "z");
        assertThat(store.list(VMS, "a", null, "0", 0).items()).hasSize(3);
        assertThat(store.list(VMS, "a", null, "zzz", 0).items()).isEmpty();
        assertThat(store.list(VMS, null, null, "ab/z", 0).items()).extracting(o -> o.key().sortKey())
                .containsExactly("b/c", "b/m", "b/z");
        assertThat(store.list(VMS, "a", null, null, 3).more()).isFalse();
    }

    @Test
    void concurrentWritersAllLandWithUniqueConsecutiveVersions() throws Exception {
        SqliteStore store = open();
        int threads = 32;
        int perThread = 40;
        Map<Long, ObjectKey> byRv = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        ObjectKey k = vm("ns" + (id % 4), "vm-" + id + "-" + i);
                        StoredObject o = store.create(k, doc(k));
                        assertThat(byRv.putIfAbsent(o.resourceVersion(), k)).isNull();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        }
        int total = threads * perThread;
        assertThat(new TreeSet<>(byRv.keySet())).containsExactlyElementsOf(
                LongStream.rangeClosed(1, total).boxed().toList());
        assertThat(store.currentResourceVersion()).isEqualTo(total);
        assertThat(store.list(VMS, null, null, null, 0).items()).hasSize(total);
        byRv.forEach((rv, k) -> assertThat(store.get(k).resourceVersion()).isEqualTo(rv));
        store.close();
        assertThat(open().list(VMS, null, null, null, 0).items()).hasSize(total);
    }

    /** Queues ops one after another into a held writer so they form one batch in a known order. */
    private static List<CompletableFuture<StoredObject>> oneBatch(SqliteStore store, List<Supplier<StoredObject>> ops) {
        store.holdWriter();
        List<CompletableFuture<StoredObject>> results = new ArrayList<>();
        for (Supplier<StoredObject> op : ops) {
            int before = store.queuedWrites();
            CompletableFuture<StoredObject> f = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    f.complete(op.get());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> store.queuedWrites() == before + 1);
            results.add(f);
        }
        store.releaseWriter();
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).exceptionally(t -> null).join();
        return results;
    }

    private static StoreException.Reason failure(CompletableFuture<StoredObject> f) {
        assertThat(f).isCompletedExceptionally();
        return f.handle((v, t) -> ((StoreException) t).reason()).join();
    }

    @Test
    void oneFailingOpDoesNotFailItsBatchAndLaterOpsSeeEarlierOnes() {
        SqliteStore store = open();
        ObjectKey a = vm("ns", "a");
        ObjectKey b = vm("ns", "b");
        ObjectKey d = vm("ns", "d");
        long bRv = store.create(b, doc(b)).resourceVersion(); // 1
        List<WatchEvent> events = new ArrayList<>();
        store.watch(null, null, store.currentResourceVersion(), events::add);

        List<CompletableFuture<StoredObject>> r = oneBatch(store, List.of(
                () -> store.create(a, doc(a)),                  // ok, rv 2
                () -> store.create(a, doc(a)),                  // ALREADY_EXISTS through the op before it
                () -> store.update(b, doc(b, "v", "x"), 99),    // CONFLICT
                () -> store.update(b, doc(b, "v", "y"), bRv),   // ok, rv 3
                () -> store.delete(vm("ns", "c"), 0),           // NOT_FOUND
                () -> store.create(d, doc(d)),                  // ok, rv 4
                () -> store.update(d, doc(d), 4),               // ok, rv 5: precondition against the batch's own rv 4
                () -> store.delete(d, 5)));                     // ok, rv 6

        assertThat(r.get(0).join().resourceVersion()).isEqualTo(2);
        assertThat(failure(r.get(1))).isEqualTo(StoreException.Reason.ALREADY_EXISTS);
        assertThat(failure(r.get(2))).isEqualTo(StoreException.Reason.CONFLICT);
        assertThat(r.get(3).join().resourceVersion()).isEqualTo(3);
        assertThat(failure(r.get(4))).isEqualTo(StoreException.Reason.NOT_FOUND);
        assertThat(r.get(5).join().resourceVersion()).isEqualTo(4);
        assertThat(r.get(6).join().resourceVersion()).isEqualTo(5);
        assertThat(r.get(7).join().resourceVersion()).isEqualTo(6);
        assertThat(events).extracting(e -> e.type() + " " + e.object().key().name() + " " + e.resourceVersion())
                .containsExactly("ADDED a 2", "MODIFIED b 3", "ADDED d 4", "MODIFIED d 5", "DELETED d 6");
        assertThat(store.currentResourceVersion()).isEqualTo(6);
        store.close();

        SqliteStore again = open();
        assertThat(again.currentResourceVersion()).isEqualTo(6);
        assertThat(again.get(a).resourceVersion()).isEqualTo(2);
        assertThat(again.get(b).labels()).isEqualTo(Map.of("v", "y"));
        assertThat(again.get(d)).isNull();
    }

    @Test
    void failedCommitFailsTheWholeBatchWithUnavailableAndPublishesNothing() {
        SqliteStore store = open();
        ObjectKey a = vm("ns", "a");
        ObjectKey b = vm("ns", "b");
        store.create(a, doc(a));
        List<WatchEvent> events = new ArrayList<>();
        store.watch(null, null, 1, events::add);

        store.failNextCommit();
        List<CompletableFuture<StoredObject>> r = oneBatch(store, List.of(
                () -> store.create(b, doc(b)),
                () -> store.update(a, doc(a), 0),
                () -> store.create(a, doc(a))));  // would have failed alone; still UNAVAILABLE
        assertThat(r).allSatisfy(f -> assertThat(failure(f)).isEqualTo(StoreException.Reason.UNAVAILABLE));
        assertThat(store.currentResourceVersion()).isEqualTo(1);
        assertThat(store.get(b)).isNull();
        assertThat(store.get(a).resourceVersion()).isEqualTo(1);
        assertThat(events).isEmpty();

        // The store keeps working, and the revision sequence has no hole.
        assertThat(store.create(b, doc(b)).resourceVersion()).isEqualTo(2);
        assertThat(events).extracting(WatchEvent::resourceVersion).containsExactly(2L);
        store.close();
        SqliteStore again = open();
        assertThat(again.currentResourceVersion()).isEqualTo(2);
        assertThat(again.get(a).resourceVersion()).isEqualTo(1);
    }

    @Test
    void closeFinishesQueuedWritesThenRefusesNewOnes() throws Exception {
        SqliteStore store = open();
        store.holdWriter();
        List<CompletableFuture<StoredObject>> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ObjectKey k = vm("ns", "q" + i);
            CompletableFuture<StoredObject> f = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> f.complete(store.create(k, doc(k))));
            queued.add(f);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> store.queuedWrites() == 3);
        Thread closer = Thread.ofVirtual().start(store::close);
        await().atMost(Duration.ofSeconds(10)).until(() -> store.queuedWrites() == 4); // + the close marker
        assertThat(reasonOf(() -> store.create(vm("ns", "late"), doc(vm("ns", "late")))))
                .isEqualTo(StoreException.Reason.UNAVAILABLE);
        store.releaseWriter();
        closer.join();
        for (CompletableFuture<StoredObject> f : queued) {
            assertThat(f.join().resourceVersion()).isBetween(1L, 3L);
        }
        assertThat(reasonOf(() -> store.update(vm("ns", "q0"), doc(vm("ns", "q0")), 0)))
                .isEqualTo(StoreException.Reason.UNAVAILABLE);
        assertThat(reasonOf(() -> store.delete(vm("ns", "q0"), 0))).isEqualTo(StoreException.Reason.UNAVAILABLE);
        store.close(); // idempotent

        assertThat(open().list(VMS, "ns", null, null, 0).items()).hasSize(3);
    }

    @Test
    void aSecondStoreCannotOpenAFileInUse() {
        SqliteStore store = open();
        store.create(vm("ns", "a"), doc(vm("ns", "a")));
        assertThatThrownBy(this::open).isInstanceOf(StoreException.class)
                .extracting(e -> ((StoreException) e).reason()).isEqualTo(StoreException.Reason.UNAVAILABLE);
        store.close();
        assertThat(open().get(vm("ns", "a"))).isNotNull();
    }

    @Test
    void keysAreIndependentAcrossResources() {
        SqliteStore store = open();
        ObjectKey vm = vm("", "same");
        ObjectKey node = new ObjectKey(NODES, "", "same");
        store.create(vm, doc(vm));
        store.create(node, doc(node));
        store.delete(vm, 0);
        assertThat(store.get(node)).isNotNull();
        assertThat(Set.copyOf(store.list(NODES, null, null, null, 0).items().stream().map(StoredObject::key).toList()))
                .containsExactly(node);
    }
}
