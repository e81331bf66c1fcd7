package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.HttpExchange;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.StoreException;
import io.jvirt.apiserver.store.StoredObject;
import io.jvirt.apiserver.store.WatchEvent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Streams watch events over a chunked (HTTP/1.1) or DATA-framed (HTTP/2) response, one JSON object per line, as
 * kube-apiserver does: initial ADDED events when no resourceVersion is given, bookmarks when asked for, an ERROR
 * event with a 410 Status when the resourceVersion is too old, and a server-side timeout.
 */
public final class WatchStreams {
    /** How long a quiet watch waits before it sends a bookmark (when bookmarks are allowed). */
    private static final long BOOKMARK_INTERVAL_MS = 5_000;
    /** kube-apiserver's --min-request-timeout default: watches without timeoutSeconds last 30–60 minutes. */
    private static final long MIN_REQUEST_TIMEOUT_S = 1800;
    /** A watcher this far behind is cut off; its client re-lists (as kube's watch cache does with slow watchers). */
    private static final int MAX_QUEUED = 100_000;
    private static final WatchEvent CLOSE = new WatchEvent(WatchEvent.Type.ADDED, null, null);

    private final Store store;
    private final Set<LinkedBlockingQueue<WatchEvent>> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public WatchStreams(Store store) {
        this.store = store;
    }

    /** Ends every open watch (server shutdown): clients see the stream end and re-watch. */
    public void closeAll() {
        closed = true;
        for (LinkedBlockingQueue<WatchEvent> q : open) {
            q.offer(CLOSE);
        }
    }

    void serve(HttpExchange ex, ResourceType rt, String ns, String name, Predicate<StoredObject> selector) {
        Predicate<StoredObject> filter = name == null ? selector
                : selector.and(o -> o.key().name().equals(name));
        boolean table = ex.wantsTable();
        boolean bookmarks = ex.queryFlag("allowWatchBookmarks");
        boolean sendInitial = ex.queryFlag("sendInitialEvents");
        String includeObject = ex.query("includeObject");
        long timeoutMs = timeout(ex.query("timeoutSeconds"));
        String rvParam = ex.query("resourceVersion");
        boolean initial = rvParam == null || rvParam.isEmpty() || rvParam.equals("0") || sendInitial;

        LinkedBlockingQueue<WatchEvent> queue = new LinkedBlockingQueue<>();
        Store.ListResult snapshot = null;
        long from;
        if (initial && (rvParam == null || rvParam.isEmpty() || rvParam.equals("0"))) {
            snapshot = store.list(rt.storageKey(), ns, filter, null, 0);
            from = snapshot.resourceVersion();
        } else {
            from = ObjectService.parseResourceVersion(rvParam);
        }
        OutputStream out = ex.startStream("application/json");
        boolean chunked = ex.http1();
        Store.Watch w;
        try {
            w = store.watch(rt.storageKey(), ns, from, ev -> {
                if (queue.size() < MAX_QUEUED) {
                    queue.offer(ev);
                } else {
                    queue.clear();
                    queue.offer(CLOSE);
                }
            });
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.GONE) {
                ObjectNode ev = Json.object();
                ev.put("type", "ERROR");
                ev.set("object", ApiException.gone(e.getMessage()).toStatus());
                write(out, ev);
                ex.endStream();
                return;
            }
            throw e;
        }
        open.add(queue);
        if (closed) {
            queue.offer(CLOSE);
        }
        try {
            if (snapshot != null) {
                for (StoredObject o : snapshot.items()) {
                    write(out, event("ADDED", rt, Json.parseObject(o.json()), table, includeObject));
                }
            }
            long lastSent = from;
            if (sendInitial) {
                write(out, bookmark(rt, from, true));
            }
            flush(out, chunked);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                // The store only advances its revision after handing a batch's events to listeners, so a revision
                // read before an empty poll is one whose events we have all written: safe as a bookmark.
                long progress = store.currentResourceVersion();
                WatchEvent ev = queue.poll(Math.min(left, BOOKMARK_INTERVAL_MS), TimeUnit.MILLISECONDS);
                if (ev == CLOSE) {
                    break;
                }
                if (ev == null) {
                    // idle: a bookmark even when nothing changed, as kube-apiserver sends them periodically
                    if (bookmarks && progress >= lastSent) {
                        write(out, bookmark(rt, progress, false));
                        flush(out, chunked);
                        lastSent = progress;
                    }
                    continue;
                }
                ObjectNode e = translate(ev, filter, rt, table, includeObject);
                if (e != null) {
                    write(out, e);
                    lastSent = ev.resourceVersion();
                }
                if (queue.isEmpty()) {
                    flush(out, chunked);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | HttpExchange.ClientGoneException e) {
            // client went away: just stop
        } finally {
            w.close();
            open.remove(queue);
            ex.endStream();
        }
    }

    /** Selector semantics: an object that starts matching is ADDED, one that stops matching is DELETED. */
    private static ObjectNode translate(WatchEvent ev, Predicate<StoredObject> filter, ResourceType rt, boolean table,
                                        String includeObject) {
        boolean now = filter.test(ev.object());
        boolean before = ev.previous() != null && filter.test(ev.previous());
        String type = switch (ev.type()) {
            case ADDED -> now ? "ADDED" : null;
            case DELETED -> now ? "DELETED" : null;
            case MODIFIED -> now && before ? "MODIFIED" : now ? "ADDED" : before ? "DELETED" : null;
        };
        if (type == null) {
            return null;
        }
        return event(type, rt, Json.parseObject(ev.object().json()), table, includeObject);
    }

    private static ObjectNode event(String type, ResourceType rt, ObjectNode obj, boolean table, String includeObject) {
        ObjectNode e = Json.object();
        e.put("type", type);
        if (table) {
            e.set("object", TableConverter.table(rt, java.util.List.of(obj),
                    obj.path("metadata").path("resourceVersion").asText(), null, includeObject));
        } else {
            e.set("object", obj);
        }
        return e;
    }

    private static ObjectNode bookmark(ResourceType rt, long rv, boolean initialEventsEnd) {
        ObjectNode e = Json.object();
        e.put("type", "BOOKMARK");
        ObjectNode o = e.putObject("object");
        o.put("kind", rt.kind());
        o.put("apiVersion", rt.apiVersion());
        ObjectNode meta = o.putObject("metadata");
        meta.put("resourceVersion", Long.toString(rv));
        if (initialEventsEnd) {
            meta.putObject("annotations").put("k8s.io/initial-events-end", "true");
        }
        return e;
    }

    /**
     * Sends what was written. Jetty's HTTP/1.1 chunked encoding puts a chunk's closing CRLF on the wire only with the
     * next chunk, and readers that consume that CRLF before handing the chunk on (urllib3, hence the Python client)
     * would see each event only once the next one arrives. A one-space chunk after the batch carries the CRLF out;
     * JSON stream readers skip it as leading whitespace of the next line (and at the end of the stream). HTTP/2 frames
     * carry no such trailer, so there a flush is just a flush.
     */
    private static void flush(OutputStream out, boolean chunked) throws IOException {
        out.flush();
        if (chunked) {
            out.write(' ');
            out.flush();
        }
    }

    private static void write(OutputStream out, ObjectNode event) {
        try {
            out.write(Json.bytes(event));
            out.write('\n');
        } catch (IOException e) {
            throw new HttpExchange.ClientGoneException(e);
        }
    }

    private static long timeout(String s) {
        if (s != null && !s.isEmpty()) {
            try {
                long v = Long.parseLong(s);
                if (v > 0) {
                    return v * 1000;
                }
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("timeoutSeconds: Invalid value: \"" + s + "\": must be an integer");
            }
        }
        long base = MIN_REQUEST_TIMEOUT_S * 1000;
        return base + ThreadLocalRandom.current().nextLong(base);
    }
}
