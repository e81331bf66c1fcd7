package io.jvirt.apiserver.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The watch side of {@link SqliteStore}: a ring of the last N committed events and the registered watches.
 *
 * <p>Every revision produces exactly one event, so the retained events are the contiguous revisions
 * {@code (lastRv - size, lastRv]} and event {@code rv} sits at {@code ring[rv % N]}: replay from any revision
 * is direct indexing, no search.
 *
 * <p>Locking is the store's: {@link #publish} runs under its write lock, {@link #register} and the read-only
 * methods under its read lock, so a registration sees either none or all of a batch and replay + live delivery
 * have neither a gap nor a duplicate. Watch sets are concurrent because registrations (read lock) may run in
 * parallel with each other and {@link StoreWatch#close()} takes no lock at all.
 */
final class EventWindow {
    private static final Logger LOG = LoggerFactory.getLogger(EventWindow.class);

    private final WatchEvent[] ring;
    /** The revision at open: nothing at or before it is retained (a restart empties the window). */
    private final long baseRv;
    /** The revision of the newest event; equals baseRv while the window is empty. */
    private long lastRv;

    private final Map<String, Set<StoreWatch>> byResource = new ConcurrentHashMap<>();
    private final Set<StoreWatch> allResources = ConcurrentHashMap.newKeySet();

    EventWindow(int size, long currentRv) {
        if (size <= 0) {
            throw new IllegalArgumentException("watch window must be positive: " + size);
        }
        this.ring = new WatchEvent[size];
        this.baseRv = currentRv;
        this.lastRv = currentRv;
    }

    /** Oldest revision a watch may start from: one before the oldest retained event, or current when empty. */
    long oldestWatchable() {
        return lastRv == baseRv ? lastRv : firstRetained() - 1;
    }

    private long firstRetained() {
        return Math.max(baseRv + 1, lastRv - ring.length + 1);
    }

    private int slot(long rv) {
        return (int) Math.floorMod(rv, (long) ring.length);
    }

    /** Appends one event (revisions must come consecutively) and hands it to the matching watches. */
    void publish(WatchEvent event) {
        long rv = event.resourceVersion();
        assert rv == lastRv + 1 : "event " + rv + " after " + lastRv;
        ring[slot(rv)] = event;
        lastRv = rv;
        Set<StoreWatch> forResource = byResource.get(event.object().key().resource());
        if (forResource != null) {
            for (StoreWatch w : forResource) {
                w.deliver(event);
            }
        }
        for (StoreWatch w : allResources) {
            w.deliver(event);
        }
    }

    /** Replays retained events after {@code fromRv} to a new watch, then registers it for live ones. */
    Store.Watch register(String resource, String namespace, long fromRv, Store.WatchListener listener) {
        long oldest = oldestWatchable();
        if (fromRv < oldest) {
            // Kubernetes' wording (watch cache), which clients such as client-go's reflector recognise.
            throw new StoreException(StoreException.Reason.GONE, null,
                    "too old resource version: " + fromRv + " (" + oldest + ")");
        }
        Set<StoreWatch> set = resource == null
                ? allResources
                : byResource.computeIfAbsent(resource, r -> ConcurrentHashMap.newKeySet());
        StoreWatch watch = new StoreWatch(resource, namespace, fromRv, listener, set);
        for (long rv = fromRv + 1; rv <= lastRv; rv++) {
            if (!watch.deliver(ring[slot(rv)])) {
                return watch; // the listener failed or closed the watch during replay
            }
        }
        set.add(watch);
        if (watch.closed) {
            set.remove(watch); // closed concurrently between the replay and the add
        }
        return watch;
    }

    /** One registered watch. Its fields other than {@code closed} are only touched under the store lock. */
    static final class StoreWatch implements Store.Watch {
        private final String resource;
        private final String namespace;
        private final Store.WatchListener listener;
        private final Set<StoreWatch> owner;
        /** Highest revision already seen; guards against a duplicate if a listener registers a watch. */
        private long seenRv;
        volatile boolean closed;

        StoreWatch(String resource, String namespace, long fromRv, Store.WatchListener listener, Set<StoreWatch> owner) {
            this.resource = resource;
            this.namespace = namespace;
            this.seenRv = fromRv;
            this.listener = listener;
            this.owner = owner;
        }

        /** Returns false once the watch is closed (by its owner or because the listener threw). */
        boolean deliver(WatchEvent event) {
            if (closed) {
                return false;
            }
            long rv = event.resourceVersion();
            if (rv <= seenRv) {
                return true;
            }
            seenRv = rv;
            ObjectKey key = event.object().key();
            if ((resource != null && !resource.equals(key.resource()))
                    || (namespace != null && !namespace.equals(key.namespace()))) {
                return true;
            }
            try {
                listener.onEvent(event);
                return true;
            } catch (Throwable t) {
                // A broken listener must not break the store or other watches: drop just this watch.
                LOG.warn("dropping watch on {} (namespace {}): listener failed at revision {}",
                        resource == null ? "all resources" : resource, namespace == null ? "all" : namespace, rv, t);
                close();
                return false;
            }
        }

        @Override
        public void close() {
            closed = true;
            owner.remove(this);
        }
    }
}
