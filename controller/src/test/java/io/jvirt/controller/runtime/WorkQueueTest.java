package io.jvirt.controller.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * client-go work queue guarantees: dedup, one key at a time, exponential retry back-off. Order and counts only; the
 * back-off is checked by which of two keys comes back first, never by measuring time.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WorkQueueTest {
    private final WorkQueue<String> q = new WorkQueue<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "workqueue-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void tearDown() {
        q.close();
        pool.shutdownNow();
    }

    /** take() on another thread, so a bug that blocks fails the test instead of hanging it. */
    private String take() throws Exception {
        return pool.submit(q::take).get(10, TimeUnit.SECONDS);
    }

    @Test
    void keysComeOutInOrder() throws Exception {
        q.add("a");
        q.add("b");
        q.add("c");
        assertThat(List.of(take(), take(), take())).containsExactly("a", "b", "c");
    }

    @Test
    void aQueuedKeyIsQueuedOnce() throws Exception {
        q.add("a");
        q.add("b");
        q.add("a");
        q.add("a");
        q.add("end");
        assertThat(List.of(take(), take(), take())).containsExactly("a", "b", "end");
    }

    @Test
    void aKeyAddedWhileProcessingWaitsUntilDone() throws Exception {
        q.add("a");
        assertThat(take()).isEqualTo("a");
        q.add("a"); // an event for "a" while a worker is still on it
        q.add("a");
        q.add("b");
        // "a" was added before "b" but must not go to a second worker while the first holds it
        assertThat(take()).isEqualTo("b");
        q.done("b");
        q.done("a");
        assertThat(take()).isEqualTo("a");
        q.add("end");
        q.done("a");
        // and only once, however many times it was added meanwhile
        assertThat(take()).isEqualTo("end");
    }

    @Test
    void aKeyNotAddedWhileProcessingIsNotRequeuedByDone() throws Exception {
        q.add("a");
        assertThat(take()).isEqualTo("a");
        q.done("a");
        q.add("end");
        assertThat(take()).isEqualTo("end");
    }

    @Test
    void aSecondWorkerNeverGetsAKeyInProcessing() throws Exception {
        q.add("a");
        assertThat(take()).isEqualTo("a");
        q.add("a");
        Future<String> second = pool.submit(q::take);
        q.add("b");
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("b");
        Future<String> third = pool.submit(q::take);
        q.done("a");
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo("a");
    }

    @Test
    void manyWorkersProcessEachKeyOneAtATime() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        java.util.Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean overlap = new java.util.concurrent.atomic.AtomicBoolean();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            workers.add(pool.submit(() -> {
                String k;
                while ((k = q.take()) != null) {
                    if (!inFlight.add(k)) {
                        overlap.set(true);
                    }
                    log.add(k);
                    Thread.yield();
                    inFlight.remove(k);
                    q.done(k);
                }
                return null;
            }));
        }
        for (int i = 0; i < 2000; i++) {
            q.add("k" + (i % 5));
        }
        q.add("last");
        await().atMost(Duration.ofSeconds(10)).until(() -> log.contains("last")
                && log.stream().distinct().count() == 6);
        assertThat(overlap).isFalse();
    }

    @Test
    void addAfterAddsLater() throws Exception {
        q.addAfter("later", Duration.ofMillis(100));
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return q.take();
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        }, pool);
        await().atMost(Duration.ofSeconds(5)).until(got::isDone);
        assertThat(got.get()).isEqualTo("later");
    }

    @Test
    void addAfterWithoutDelayAddsNow() throws Exception {
        q.addAfter("now", Duration.ZERO);
        q.addAfter("neg", Duration.ofSeconds(-1));
        q.add("end");
        assertThat(List.of(take(), take(), take())).containsExactly("now", "neg", "end");
    }

    @Test
    void aDelayedAddIsDedupedWithAQueuedKey() throws Exception {
        q.add("a");
        q.addAfter("a", Duration.ofMillis(20));
        await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> true);
        q.add("end");
        assertThat(List.of(take(), take())).containsExactly("a", "end");
    }

    @Test
    void aRetriedKeyComesBack() throws Exception {
        q.add("a");
        assertThat(take()).isEqualTo("a");
        q.retry("a");
        q.done("a");
        assertThat(take()).isEqualTo("a");
    }

    /** Fails {@code keys} together {@code times} times, as a worker would: take, retry, done. */
    private void failTogether(int times, String... keys) throws Exception {
        for (String k : keys) {
            q.add(k);
        }
        for (int i = 0; i < times; i++) {
            List<String> got = new ArrayList<>();
            for (String ignored : keys) {
                got.add(take());
            }
            assertThat(got).containsExactlyInAnyOrder(keys);
            for (String k : keys) {
                q.retry(k);
                q.done(k);
            }
        }
        List<String> got = new ArrayList<>();
        for (String ignored : keys) {
            got.add(take());
        }
        assertThat(got).containsExactlyInAnyOrder(keys);
    }

    @Test
    void theBackOffGrowsWithEachFailure() throws Exception {
        failTogether(4, "often");
        // "often" failed 4 times, "fresh" never: retried at the same moment, the fresh key comes back first
        q.add("fresh");
        assertThat(take()).isEqualTo("fresh");
        q.retry("often");
        q.retry("fresh");
        q.done("often");
        q.done("fresh");
        assertThat(List.of(take(), take())).containsExactly("fresh", "often");
    }

    @Test
    void forgetStartsTheBackOffOver() throws Exception {
        failTogether(4, "forgotten", "remembered");
        q.forget("forgotten");
        // retried first, but with the longer back-off
        q.retry("remembered");
        q.retry("forgotten");
        q.done("remembered");
        q.done("forgotten");
        assertThat(List.of(take(), take())).containsExactly("forgotten", "remembered");
    }

    @Test
    void backOffIsPerKey() throws Exception {
        failTogether(4, "bad");
        q.add("other");
        assertThat(take()).isEqualTo("other");
        q.retry("other"); // first failure of "other": the short delay, not "bad"'s
        q.retry("bad");
        q.done("other");
        q.done("bad");
        assertThat(List.of(take(), take())).containsExactly("other", "bad");
    }

    @Test
    void closeReleasesWaitingWorkersWithNull() throws Exception {
        Future<String> waiting = pool.submit(q::take);
        // whether the worker is already waiting or only about to, it gets null
        q.close();
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void afterCloseNothingIsHandedOut() throws Exception {
        q.add("a");
        q.close();
        assertThat(take()).isNull();
        q.add("b");
        assertThat(take()).isNull();
    }
}
