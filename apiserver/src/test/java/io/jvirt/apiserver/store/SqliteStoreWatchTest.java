package io.jvirt.apiserver.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
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

class SqliteStoreWatchTest {
    @TempDir
    Path dir;

    private final List<SqliteStore> opened = new ArrayList<>();

    private SqliteStore open(int window) {
        SqliteStore s = new SqliteStore(dir.resolve("store.db"), INDEXER, window);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(SqliteStore::close);
    }

    /** Collects events; the listener runs on the writer thread, the test reads from its own. */
    static final class Recorder implements Store.WatchListener {
        final List<WatchEvent> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onEvent(WatchEvent event) {
            events.add(event);
        }

        List<Long> revisions() {
            synchronized (events) {
                return events.stream().map(WatchEvent::resourceVersion).toList();
            }
        }

        long last() {
            synchronized (events) {
                return events.isEmpty() ? -1 : events.getLast().resourceVersion();
            }
        }
    }

    private static List<Long> range(long fromExclusive, long toInclusive) {
        return LongStream.rangeClosed(fromExclusive + 1, toInclusive).boxed().toList();
    }

    @Test
    void replayJoinsLiveDeliveryWithoutGapOrDuplicateWhileWritersRun() throws Exception {
        SqliteStore store = open(100_000);
        Recorder fromStart = new Recorder();
        store.watch(null, null, 0, fromStart);
        Recorder onlyNs1 = new Recorder();
        store.watch(VMS, "ns1", 0, onlyNs1);

        int writers = 8;
        int perWriter = 150;
        AtomicInteger done = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Recorder> late = new ArrayList<>();
        List<Long> lateFrom = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perWriter; i++) {
                        ObjectKey k = vm("ns" + (id % 3), "w" + id + "-" + (i / 3));
                        if (i % 3 == 0) {
                            store.create(k, doc(k));
                        } else if (i % 3 == 1) {
                            store.update(k, doc(k, "i", Integer.toString(i)), 0);
                        } else {
                            store.delete(k, 0);
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            // Start watches at staggered points of the burst, each from a revision some way back.
            for (int n = 1; n <= 6; n++) {
                int threshold = n * writers * perWriter / 8;
                await().atMost(Duration.ofSeconds(30)).until(() -> done.get() >= threshold);
                long from = Math.max(0, store.currentResourceVersion() - 25 * n);
                Recorder r = new Recorder();
                store.watch(null, null, from, r);
                late.add(r);
                lateFrom.add(from);
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        long end = store.currentResourceVersion();
        assertThat(end).isEqualTo((long) writers * perWriter);
        await().atMost(Duration.ofSeconds(10)).until(() -> fromStart.last() == end);
        assertThat(fromStart.revisions()).isEqualTo(range(0, end));
        for (int i = 0; i < late.size(); i++) {
            Recorder r = late.get(i);
            await().atMost(Duration.ofSeconds(10)).until(() -> r.last() == end);
            assertThat(r.revisions()).isEqualTo(range(lateFrom.get(i), end));
        }
        List<Long> expectedNs1 = fromStart.events.stream()
                .filter(e -> e.object().key().namespace().equals("ns1")).map(WatchEvent::resourceVersion).toList();
        assertThat(onlyNs1.revisions()).isEqualTo(expectedNs1).isNotEmpty();
        // Every event carries its revision inside the document too.
        for (WatchEvent e : fromStart.events) {
            assertThat(jsonRv(e.object())).isEqualTo(Long.toString(e.resourceVersion()));
        }
        assertThat(store.list(VMS, null, null, null, 0).items()).isEmpty(); // every object was deleted again
    }

    @Test
    void tooOldResourceVersionIsGoneOnceTheWindowRollsOver() {
        SqliteStore store = open(10);
        assertThat(store.oldestWatchableResourceVersion()).isZero();
        for (int i = 0; i < 30; i++) {
            ObjectKey k = vm("ns", "o" + i);
            store.create(k, doc(k));
        }
        assertThat(store.oldestWatchableResourceVersion()).isEqualTo(20);
        assertThatThrownBy(() -> store.watch(null, null, 19, e -> { }))
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.reason()).isEqualTo(StoreException.Reason.GONE);
                    assertThat(e.getMessage()).isEqualTo("too old resource version: 19 (20)");
                });
        Recorder r = new Recorder();
        store.watch(null, null, 20, r);
        assertThat(r.revisions()).isEqualTo(range(20, 30));
        Recorder fromNewest = new Recorder();
        store.watch(VMS, null, 30, fromNewest);
        assertThat(fromNewest.revisions()).isEmpty();
    }

    @Test
    void afterReopenTheWindowStartsAtTheCurrentRevision() {
        SqliteStore store = open(100);
        for (int i = 0; i < 5; i++) {
            ObjectKey k = vm("ns", "o" + i);
            store.create(k, doc(k));
        }
        store.close();

        SqliteStore again = open(100);
        assertThat(again.currentResourceVersion()).isEqualTo(5);
        assertThat(again.oldestWatchableResourceVersion()).isEqualTo(5);
        assertThatThrownBy(() -> again.watch(VMS, null, 4, e -> { }))
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.reason()).isEqualTo(StoreException.Reason.GONE);
                    assertThat(e.getMessage()).isEqualTo("too old resource version: 4 (5)");
                });
        Recorder r = new Recorder();
        again.watch(VMS, null, 5, r);
        assertThat(r.revisions()).isEmpty();
        again.create(vm("ns", "new"), doc(vm("ns", "new")));
        assertThat(r.revisions()).containsExactly(6L);
        assertThat(again.oldestWatchableResourceVersion()).isEqualTo(5);
    }

    @Test
    void deletedEventCarriesTheFinalStateAtTheDeleteRevision() {
        SqliteStore store = open(100);
        ObjectKey k = vm("ns", "a");
        store.create(k, doc(k, "app", "web"));
        StoredObject updated = store.update(k, doc(k, "app", "db"), 1);
        Recorder r = new Recorder();
        store.watch(VMS, "ns", 2, r);

        StoredObject deleted = store.delete(k, 2);
        assertThat(r.events).hasSize(1);
        WatchEvent e = r.events.getFirst();
        assertThat(e.type()).isEqualTo(WatchEvent.Type.DELETED);
        assertThat(e.resourceVersion()).isEqualTo(3);
        assertThat(e.object().key()).isEqualTo(k);
        assertThat(jsonRv(e.object())).isEqualTo("3");
        assertThat(e.object().labels()).containsEntry("app", "db");
        assertThat(e.object().fields()).containsEntry("metadata.name", "a");
        assertThat(e.previous()).isSameAs(updated);
        assertThat(jsonRv(e.previous())).isEqualTo("2");
        assertThat(deleted.json()).isEqualTo(e.object().json());
        assertThat(deleted.resourceVersion()).isEqualTo(3);
    }

    @Test
    void eventTypesAndPreviousStates() {
        SqliteStore store = open(100);
        ObjectKey k = vm("ns", "a");
        Recorder r = new Recorder();
        store.watch(VMS, null, 0, r);
        StoredObject created = store.create(k, doc(k));
        StoredObject updated = store.update(k, doc(k, "x", "y"), 0);
        store.delete(k, 0);
        assertThat(r.events).extracting(WatchEvent::type)
                .containsExactly(WatchEvent.Type.ADDED, WatchEvent.Type.MODIFIED, WatchEvent.Type.DELETED);
        assertThat(r.events.get(0).previous()).isNull();
        assertThat(r.events.get(0).object()).isSameAs(created);
        assertThat(r.events.get(1).previous()).isSameAs(created);
        assertThat(r.events.get(2).previous()).isSameAs(updated);
    }

    @Test
    void watchesAreRestrictedByResourceAndNamespace() {
        SqliteStore store = open(100);
        Recorder vmsInA = new Recorder();
        Recorder allVms = new Recorder();
        Recorder nodes = new Recorder();
        Recorder everything = new Recorder();
        store.watch(VMS, "a", 0, vmsInA);
        store.watch(VMS, null, 0, allVms);
        store.watch(NODES, null, 0, nodes);
        store.create(vm("a", "1"), doc(vm("a", "1")));
        store.create(vm("b", "1"), doc(vm("b", "1")));
        store.create(new ObjectKey(NODES, "", "n"), doc(new ObjectKey(NODES, "", "n")));
        store.create(vm("a", "2"), doc(vm("a", "2")));
        store.watch(null, "a", 0, everything); // replay with a namespace filter across resources
        assertThat(vmsInA.revisions()).containsExactly(1L, 4L);
        assertThat(allVms.revisions()).containsExactly(1L, 2L, 4L);
        assertThat(nodes.revisions()).containsExactly(3L);
        assertThat(everything.revisions()).containsExactly(1L, 4L);
    }

    @Test
    void aThrowingListenerLosesOnlyItsOwnWatch() {
        SqliteStore store = open(100);
        AtomicInteger calls = new AtomicInteger();
        store.watch(null, null, 0, e -> {
            calls.incrementAndGet();
            throw new IllegalStateException("listener bug (expected by the test)");
        });
        Recorder good = new Recorder();
        store.watch(null, null, 0, good);
        for (int i = 0; i < 5; i++) {
            ObjectKey k = vm("ns", "o" + i);
            assertThat(store.create(k, doc(k)).resourceVersion()).isEqualTo(i + 1);
        }
        assertThat(calls.get()).isEqualTo(1);
        assertThat(good.revisions()).isEqualTo(range(0, 5));

        // also during replay: the watch is dropped, the store and later watches are fine
        AtomicInteger replayCalls = new AtomicInteger();
        store.watch(null, null, 0, e -> {
            replayCalls.incrementAndGet();
            throw new IllegalStateException("replay listener bug (expected by the test)");
        });
        store.create(vm("ns", "after"), doc(vm("ns", "after")));
        assertThat(replayCalls.get()).isEqualTo(1);
        assertThat(good.last()).isEqualTo(6);
    }

    @Test
    void closingAWatchStopsDeliveryAndListenersCannotWrite() {
        SqliteStore store = open(100);
        Recorder r = new Recorder();
        Store.Watch w = store.watch(null, null, 0, r);
        store.create(vm("ns", "a"), doc(vm("ns", "a")));
        w.close();
        w.close();
        store.create(vm("ns", "b"), doc(vm("ns", "b")));
        assertThat(r.revisions()).containsExactly(1L);

        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        store.watch(null, null, 2, e -> {
            try {
                store.create(vm("ns", "from-listener"), doc(vm("ns", "from-listener")));
            } catch (IllegalStateException ex) {
                errors.add(ex);
            }
        });
        store.create(vm("ns", "c"), doc(vm("ns", "c")));
        assertThat(errors).hasSize(1);
        assertThat(store.get(vm("ns", "from-listener"))).isNull();
    }

    @Test
    void listRevisionPlusWatchGivesAConsistentView() {
        SqliteStore store = open(1000);
        for (int i = 0; i < 20; i++) {
            ObjectKey k = vm("ns", "o" + i);
            store.create(k, doc(k));
        }
        Store.ListResult list = store.list(VMS, null, null, null, 0);
        Recorder r = new Recorder();
        store.watch(VMS, null, list.resourceVersion(), r);
        store.delete(vm("ns", "o0"), 0);
        assertThat(list.items()).hasSize(20);
        assertThat(r.revisions()).containsExactly(list.resourceVersion() + 1);
    }
}
