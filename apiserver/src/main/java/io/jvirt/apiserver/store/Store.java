package io.jvirt.apiserver.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.function.Predicate;

/**
 * The object store behind the API server. Every write blocks its caller until it is durable (committed to disk)
 * and only then becomes visible to readers and watchers; writes are applied in one total order, each getting the
 * next resourceVersion. resourceVersions are monotonic across restarts. Thread-safe.
 *
 * <p>The store knows nothing about kinds: the caller has already validated and prepared the object; the store
 * only sets {@code metadata.resourceVersion} in the document it persists.
 */
public interface Store extends AutoCloseable {

    /** The object, or null when absent. */
    StoredObject get(ObjectKey key);

    /**
     * Objects of {@code resource}, in {@link ObjectKey#sortKey()} order, restricted to {@code namespace} unless it
     * is null, starting strictly after {@code afterSortKey} unless it is null, keeping those {@code filter}
     * accepts, at most {@code limit} of them when limit &gt; 0.
     *
     * @return the page, the store revision it was read at, and whether more matching objects follow
     */
    ListResult list(String resource, String namespace, Predicate<StoredObject> filter, String afterSortKey, int limit);

    /** Stores a new object; {@link StoreException.Reason#ALREADY_EXISTS} if the key is taken. */
    StoredObject create(ObjectKey key, ObjectNode object);

    /**
     * Replaces an object. {@code expectedResourceVersion} 0 means unconditional; otherwise it must equal the
     * current version or the call fails with CONFLICT. NOT_FOUND if absent.
     */
    StoredObject update(ObjectKey key, ObjectNode object, long expectedResourceVersion);

    /** Removes an object (same precondition rule as update) and returns its final state at the delete revision. */
    StoredObject delete(ObjectKey key, long expectedResourceVersion);

    /** The revision of the newest committed write. */
    long currentResourceVersion();

    /** The oldest revision a watch may start from; older ones get GONE. */
    long oldestWatchableResourceVersion();

    /**
     * Starts a watch on {@code resource} (all resources when null), in {@code namespace} unless it is null, that
     * receives every committed event with a revision greater than {@code fromResourceVersion}, in revision order:
     * first those already retained, then live ones. GONE if {@code fromResourceVersion} is older than the retained
     * window. The listener is called from the store's publishing thread and must not block: it hands events to
     * its own queue.
     */
    Watch watch(String resource, String namespace, long fromResourceVersion, WatchListener listener);

    @Override
    void close();

    record ListResult(List<StoredObject> items, long resourceVersion, boolean more) {
    }

    @FunctionalInterface
    interface WatchListener {
        void onEvent(WatchEvent event);
    }

    /** A registered watch; closing it stops delivery. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
