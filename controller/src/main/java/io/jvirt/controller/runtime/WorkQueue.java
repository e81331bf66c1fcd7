package io.jvirt.controller.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A controller work queue with client-go's guarantees: a key is queued at most once, one key is processed by at
 * most one worker at a time (a key added while it is being processed is processed again afterwards), and failed
 * keys are retried with exponential backoff.
 */
public final class WorkQueue<K> implements AutoCloseable {
    private static final Duration BASE_DELAY = Duration.ofMillis(50);
    private static final Duration MAX_DELAY = Duration.ofSeconds(30);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();
    private final LinkedHashSet<K> queue = new LinkedHashSet<>();
    private final Set<K> processing = new HashSet<>();
    private final Set<K> dirty = new HashSet<>();
    private final Map<K, Integer> failures = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "workqueue-timer");
        t.setDaemon(true);
        return t;
    });
    private boolean shutdown;

    public void add(K key) {
        lock.lock();
        try {
            if (shutdown) {
                return;
            }
            if (processing.contains(key)) {
                dirty.add(key);
            } else if (queue.add(key)) {
                available.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    public void addAfter(K key, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            add(key);
            return;
        }
        timer.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Requeues after a failure, waiting 50 ms × 2^failures (capped at 30 s). */
    public void retry(K key) {
        int n;
        lock.lock();
        try {
            n = failures.merge(key, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
        long ms = Math.min(MAX_DELAY.toMillis(), BASE_DELAY.toMillis() << Math.min(n - 1, 20));
        addAfter(key, Duration.ofMillis(ms));
    }

    /** The key succeeded: its backoff starts over. */
    public void forget(K key) {
        lock.lock();
        try {
            failures.remove(key);
        } finally {
            lock.unlock();
        }
    }

    /** The next key to process, blocking; null once the queue is shut down. */
    public K take() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty() && !shutdown) {
                available.await();
            }
            if (shutdown) {
                return null;
            }
            K k = queue.iterator().next();
            queue.remove(k);
            processing.add(k);
            return k;
        } finally {
            lock.unlock();
        }
    }

    /** Marks a key taken with {@link #take()} as processed. */
    public void done(K key) {
        lock.lock();
        try {
            processing.remove(key);
            if (dirty.remove(key) && queue.add(key)) {
                available.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            shutdown = true;
            available.signalAll();
        } finally {
            lock.unlock();
        }
        timer.shutdownNow();
    }
}
