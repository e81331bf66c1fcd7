package io.jvirt.apiserver.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;

import static io.jvirt.apiserver.store.StoreException.Reason.ALREADY_EXISTS;
import static io.jvirt.apiserver.store.StoreException.Reason.CONFLICT;
import static io.jvirt.apiserver.store.StoreException.Reason.NOT_FOUND;
import static io.jvirt.apiserver.store.StoreException.Reason.UNAVAILABLE;

/**
 * {@link Store} on an SQLite file, with every current object also held in memory.
 *
 * <p><b>Writes</b> are queued to one writer thread that does group commit: it takes everything queued, validates
 * each op in order against the current state plus the earlier ops of the same batch, gives the valid ones
 * consecutive revisions, writes the batch in one transaction and commits (WAL, {@code synchronous=FULL}). Only
 * then does it publish (memory, watch window, watchers) and release the callers. A failed precondition fails
 * only its own op; a failed commit fails the whole batch with UNAVAILABLE and publishes nothing. Many concurrent
 * callers therefore share one fsync.
 *
 * <p><b>Caller documents are mutated</b>: create/update set {@code metadata.resourceVersion} in the ObjectNode
 * passed in (creating {@code metadata} if absent) before serializing it. Callers must not modify that node while
 * the call runs. Returned {@link StoredObject}s share their {@code json} array with the store: never modify it.
 *
 * <p><b>Reads</b> ({@link #get}, {@link #list}) use memory only. Per resource, objects sit in a sorted map by
 * {@link ObjectKey#sortKey()}. {@link #get} is lock-free; {@link #list} and watch registration hold the read
 * side of a lock whose write side covers publishing a batch, so a list is a snapshot at the revision it returns
 * and a watch's replay joins live delivery without gap or duplicate.
 *
 * <p><b>Watch listeners</b> run on the writer thread while it holds the write lock: they must only hand the
 * event on. They may read the store but must not write to it (that would wait on itself and is rejected).
 */
public final class SqliteStore implements Store {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);

    /** Default number of events retained for watches. */
    public static final int DEFAULT_WATCH_WINDOW = 20_000;
    /** File name used by {@link #open(Path, FieldIndexer)}. */
    public static final String FILE_NAME = "store.db";
    /** Bound on one transaction, so a huge backlog does not become one giant commit. */
    private static final int MAX_BATCH = 2_048;

    private final Path file;
    private final FieldIndexer indexer;
    private final SqliteDatabase db;

    /** resource → sortKey → object. Mutated only by the writer thread, under the write lock. */
    private final ConcurrentHashMap<String, ConcurrentSkipListMap<String, StoredObject>> objects = new ConcurrentHashMap<>();
    /** Canonical resource and namespace strings, so 10 000 objects do not carry 10 000 copies of each. */
    private final Map<String, String> canonical = new HashMap<>();
    private final ReentrantReadWriteLock stateLock = new ReentrantReadWriteLock();
    private final EventWindow window;
    private volatile long currentRv;

    /** Write side: taken by close() so no op can be queued after the poison pill. */
    private final ReentrantReadWriteLock admission = new ReentrantReadWriteLock();
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Op poison = new Op(null, null, null, 0);
    private boolean closed; // guarded by admission
    private final Thread writer;

    // Test hooks (package-private): hold the writer so a test can queue several ops into one batch,
    // and make the next commit fail.
    private volatile CountDownLatch writerGate;
    private volatile Op heldOp;
    private volatile boolean failNextCommit;

    /**
     * Opens (creating if needed) the store file and loads it into memory.
     *
     * @param watchWindow number of most recent events kept for watches to resume from
     * @throws StoreException UNAVAILABLE if the file cannot be opened, e.g. because another process has it
     */
    public SqliteStore(Path file, FieldIndexer indexer, int watchWindow) {
        this.file = Objects.requireNonNull(file, "file");
        this.indexer = Objects.requireNonNull(indexer, "indexer");
        if (watchWindow <= 0) {
            throw new IllegalArgumentException("watchWindow must be positive: " + watchWindow);
        }
        SqliteDatabase opened = null;
        try {
            opened = new SqliteDatabase(file);
            SqliteDatabase d = opened;
            currentRv = d.load((resource, namespace, name, rv, json) -> {
                ObjectKey key = canonicalKey(new ObjectKey(resource, namespace, name));
                map(key.resource()).put(key.sortKey(), Documents.fromDisk(key, rv, json, indexer));
            });
        } catch (SQLException | IOException | RuntimeException e) {
            if (opened != null) {
                opened.close();
            }
            throw new StoreException(UNAVAILABLE, null, "cannot open store " + file + ": " + e.getMessage(), e);
        }
        this.db = opened;
        this.window = new EventWindow(watchWindow, currentRv);
        this.writer = new Thread(this::runWriter, "store-writer-" + file.getFileName());
        // Daemon: an application that forgets close() can still exit; anything acknowledged is already durable.
        writer.setDaemon(true);
        writer.start();
    }

    /** Opens {@code dir}/{@value #FILE_NAME} (creating the directory owner-only if needed) with the default window. */
    public static SqliteStore open(Path dir, FieldIndexer indexer) {
        try {
            SqliteDatabase.createPrivateDirectory(dir);
        } catch (IOException e) {
            throw new StoreException(UNAVAILABLE, null, "cannot create store directory " + dir + ": " + e.getMessage(), e);
        }
        return new SqliteStore(dir.resolve(FILE_NAME), indexer, DEFAULT_WATCH_WINDOW);
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    // ---------------------------------------------------------------- reads

    @Override
    public StoredObject get(ObjectKey key) {
        ConcurrentSkipListMap<String, StoredObject> m = objects.get(key.resource());
        return m == null ? null : m.get(key.sortKey());
    }

    @Override
    public ListResult list(String resource, String namespace, Predicate<StoredObject> filter, String afterSortKey,
                           int limit) {
        Objects.requireNonNull(resource, "resource");
        stateLock.readLock().lock();
        try {
            long rv = currentRv;
            NavigableMap<String, StoredObject> range = range(objects.get(resource), namespace, afterSortKey);
            List<StoredObject> items = new ArrayList<>(limit > 0 ? Math.min(limit, 1024) : 64);
            boolean more = false;
            for (StoredObject o : range.values()) {
                if (filter != null && !filter.test(o)) {
                    continue;
                }
                if (limit > 0 && items.size() == limit) {
                    more = true; // a further matching object exists beyond the page
                    break;
                }
                items.add(o);
            }
            return new ListResult(Collections.unmodifiableList(items), rv, more);
        } finally {
            stateLock.readLock().unlock();
        }
    }

    /**
     * The slice of {@code m} in {@code namespace} (keys {@code ns/...}, i.e. from {@code "ns/"} inclusive to
     * {@code "ns0"} exclusive, '0' being the character after '/') and strictly after {@code afterSortKey}.
     * Bounds are combined by hand because a sub-map view rejects a tailMap key outside its range.
     */
    private static NavigableMap<String, StoredObject> range(NavigableMap<String, StoredObject> m, String namespace,
                                                            String afterSortKey) {
        if (m == null) {
            return Collections.emptyNavigableMap();
        }
        String lo = null;
        boolean loInclusive = true;
        String hi = null;
        if (namespace != null) {
            lo = namespace + "/";
            hi = namespace + "0";
        }
        if (afterSortKey != null && (lo == null || afterSortKey.compareTo(lo) >= 0)) {
            lo = afterSortKey;
            loInclusive = false;
        }
        if (lo != null && hi != null) {
            return lo.compareTo(hi) >= 0 ? Collections.emptyNavigableMap() : m.subMap(lo, loInclusive, hi, false);
        }
        return lo != null ? m.tailMap(lo, loInclusive) : m;
    }

    @Override
    public long currentResourceVersion() {
        return currentRv;
    }

    @Override
    public long oldestWatchableResourceVersion() {
        stateLock.readLock().lock();
        try {
            return window.oldestWatchable();
        } finally {
            stateLock.readLock().unlock();
        }
    }

    @Override
    public Watch watch(String resource, String namespace, long fromResourceVersion, WatchListener listener) {
        Objects.requireNonNull(listener, "listener");
        stateLock.readLock().lock();
        try {
            return window.register(resource, namespace, fromResourceVersion, listener);
        } finally {
            stateLock.readLock().unlock();
        }
    }

    // ---------------------------------------------------------------- writes

    @Override
    public StoredObject create(ObjectKey key, ObjectNode object) {
        return submit(new Op(Op.Kind.CREATE, Objects.requireNonNull(key, "key"), Objects.requireNonNull(object, "object"), 0));
    }

    @Override
    public StoredObject update(ObjectKey key, ObjectNode object, long expectedResourceVersion) {
        return submit(new Op(Op.Kind.UPDATE, Objects.requireNonNull(key, "key"), Objects.requireNonNull(object, "object"),
                expectedResourceVersion));
    }

    @Override
    public StoredObject delete(ObjectKey key, long expectedResourceVersion) {
        return submit(new Op(Op.Kind.DELETE, Objects.requireNonNull(key, "key"), null, expectedResourceVersion));
    }

    private StoredObject submit(Op op) {
        if (Thread.currentThread() == writer) {
            throw new IllegalStateException("a watch listener must not write to the store (it would wait on itself)");
        }
        admission.readLock().lock();
        try {
            if (closed) {
                throw new StoreException(UNAVAILABLE, op.key, "store is closed");
            }
            queue.add(op);
        } finally {
            admission.readLock().unlock();
        }
        try {
            // join() is not interruptible: once queued, the outcome must be reported. It keeps the interrupt flag.
            return op.future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new StoreException(UNAVAILABLE, op.key, "write failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Stops accepting writes (they fail with UNAVAILABLE), lets the writer finish everything already queued, then
     * closes the database. Idempotent; registered watches simply receive nothing more.
     */
    @Override
    public void close() {
        admission.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                queue.add(poison);
            }
        } finally {
            admission.writeLock().unlock();
        }
        if (Thread.currentThread() == writer) {
            return; // called from a listener: the writer closes the database when it gets to the poison pill
        }
        boolean interrupted = false;
        while (writer.isAlive()) {
            try {
                writer.join();
            } catch (InterruptedException e) {
                interrupted = true; // finish closing: leaving the database half-closed helps nobody
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- writer thread

    private void runWriter() {
        List<Op> batch = new ArrayList<>();
        try {
            boolean stop = false;
            while (!stop) {
                Op first;
                try {
                    first = queue.take();
                    holdIfGated(first);
                } catch (InterruptedException e) {
                    continue; // nobody should interrupt the writer; ignore and keep serving
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                // The pill is queued last under the admission lock, so if taken it is the batch's last element.
                if (batch.getLast() == poison) {
                    batch.removeLast();
                    stop = true;
                }
                if (!batch.isEmpty()) {
                    process(batch);
                }
                batch.clear();
            }
        } catch (Throwable t) {
            LOG.error("store writer for {} failed; the store is now unavailable", file, t);
            StoreException down = new StoreException(UNAVAILABLE, null, "store writer failed: " + t, t);
            batch.forEach(op -> op.future.completeExceptionally(down));
        } finally {
            shutDownWriter();
        }
    }

    /** After the writer stops (normally or not): refuse new writes, fail leftovers, close the file. */
    private void shutDownWriter() {
        admission.writeLock().lock();
        try {
            closed = true;
        } finally {
            admission.writeLock().unlock();
        }
        List<Op> left = new ArrayList<>();
        queue.drainTo(left);
        for (Op op : left) {
            if (op != poison) {
                op.future.completeExceptionally(new StoreException(UNAVAILABLE, op.key, "store is closed"));
            }
        }
        db.close();
    }

    private void process(List<Op> batch) {
        // The batch's view of state: final state per touched key (null = deleted), in first-touch order.
        Map<ObjectKey, StoredObject> changes = new LinkedHashMap<>();
        List<WatchEvent> events = new ArrayList<>(batch.size());
        long rv = currentRv;
        for (Op op : batch) {
            try {
                ObjectKey key = canonicalKey(op.key);
                StoredObject current = changes.containsKey(key) ? changes.get(key) : get(key);
                WatchEvent event = apply(op, key, current, rv + 1);
                rv++;
                changes.put(key, event.type() == WatchEvent.Type.DELETED ? null : event.object());
                events.add(event);
                op.result = event.object();
            } catch (RuntimeException e) {
                op.failure = e; // precondition (or a broken document/indexer): this op only
            }
        }
        if (!events.isEmpty()) {
            try {
                db.stage(changes, rv);
                if (failNextCommit) {
                    failNextCommit = false;
                    throw new SQLException("injected commit failure (test hook)");
                }
                db.commit();
            } catch (SQLException | RuntimeException e) {
                db.rollbackQuietly();
                LOG.error("commit of {} writes to {} failed", batch.size(), file, e);
                for (Op op : batch) {
                    op.future.completeExceptionally(new StoreException(UNAVAILABLE, op.key,
                            "write not stored: commit failed: " + e.getMessage(), e));
                }
                return;
            }
            publish(changes, events, rv);
        }
        for (Op op : batch) {
            if (op.failure != null) {
                op.future.completeExceptionally(op.failure);
            } else {
                op.future.complete(op.result);
            }
        }
    }

    private WatchEvent apply(Op op, ObjectKey key, StoredObject current, long rv) {
        switch (op.kind) {
            case CREATE -> {
                if (current != null) {
                    throw new StoreException(ALREADY_EXISTS, op.key, op.key + " already exists");
                }
                return new WatchEvent(WatchEvent.Type.ADDED, Documents.toStored(key, rv, op.object, indexer), null);
            }
            case UPDATE -> {
                checkPrecondition(op, current);
                return new WatchEvent(WatchEvent.Type.MODIFIED, Documents.toStored(key, rv, op.object, indexer), current);
            }
            case DELETE -> {
                checkPrecondition(op, current);
                // The final state is reported at the delete revision, as etcd-backed Kubernetes does.
                ObjectNode last = Documents.parse(current.json());
                return new WatchEvent(WatchEvent.Type.DELETED, Documents.toStored(key, rv, last, indexer), current);
            }
            default -> throw new IllegalStateException("unknown op " + op.kind);
        }
    }

    private static void checkPrecondition(Op op, StoredObject current) {
        if (current == null) {
            throw new StoreException(NOT_FOUND, op.key, op.key + " not found");
        }
        if (op.expectedRv != 0 && op.expectedRv != current.resourceVersion()) {
            throw new StoreException(CONFLICT, op.key, op.key + " has resourceVersion " + current.resourceVersion()
                    + ", not the expected " + op.expectedRv);
        }
    }

    /** Makes a committed batch visible: memory, then events in revision order, atomically for readers. */
    private void publish(Map<ObjectKey, StoredObject> changes, List<WatchEvent> events, long rv) {
        stateLock.writeLock().lock();
        try {
            for (Map.Entry<ObjectKey, StoredObject> e : changes.entrySet()) {
                ObjectKey key = e.getKey();
                if (e.getValue() == null) {
                    ConcurrentSkipListMap<String, StoredObject> m = objects.get(key.resource());
                    if (m != null) {
                        m.remove(key.sortKey());
                    }
                } else {
                    map(key.resource()).put(key.sortKey(), e.getValue());
                }
            }
            for (WatchEvent event : events) {
                window.publish(event);
            }
            // Visible only after every watcher has the batch's events: a bookmark at this revision (read without
            // the lock) can then never overtake an event (see WatchStreams).
            currentRv = rv;
        } finally {
            stateLock.writeLock().unlock();
        }
    }

    private ConcurrentSkipListMap<String, StoredObject> map(String resource) {
        return objects.computeIfAbsent(resource, r -> new ConcurrentSkipListMap<>());
    }

    /** Only called from the constructor and then the writer thread, so the plain HashMap is safe. */
    private ObjectKey canonicalKey(ObjectKey key) {
        String r = canonical.computeIfAbsent(key.resource(), s -> s);
        String ns = canonical.computeIfAbsent(key.namespace(), s -> s);
        return r == key.resource() && ns == key.namespace() ? key : new ObjectKey(r, ns, key.name());
    }

    private void holdIfGated(Op first) throws InterruptedException {
        CountDownLatch gate = writerGate;
        if (gate != null) {
            heldOp = first;
            try {
                gate.await();
            } finally {
                heldOp = null;
            }
        }
    }

    // ---------------------------------------------------------------- test hooks

    /** Test hook: the writer stops before its next batch until {@link #releaseWriter()}. */
    void holdWriter() {
        writerGate = new CountDownLatch(1);
    }

    /** Test hook: lets a held writer take everything queued as one batch. */
    void releaseWriter() {
        CountDownLatch gate = writerGate;
        writerGate = null;
        if (gate != null) {
            gate.countDown();
        }
    }

    /** Test hook: writes queued and not yet taken into a batch (including one the held writer has in hand). */
    int queuedWrites() {
        return queue.size() + (heldOp != null ? 1 : 0);
    }

    /** Test hook: the next commit fails after its statements ran, as a full disk would. */
    void failNextCommit() {
        failNextCommit = true;
    }

    /** One queued write. A class, not a record: the poison pill is found by identity. */
    private static final class Op {
        enum Kind { CREATE, UPDATE, DELETE }

        final Kind kind;
        final ObjectKey key;
        final ObjectNode object;
        final long expectedRv;
        final CompletableFuture<StoredObject> future = new CompletableFuture<>();
        // Set and read by the writer thread only.
        StoredObject result;
        RuntimeException failure;

        Op(Kind kind, ObjectKey key, ObjectNode object, long expectedRv) {
            this.kind = kind;
            this.key = key;
            this.object = object;
            this.expectedRv = expectedRv;
        }
    }
}
