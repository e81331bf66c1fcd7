package io.jvirt.apiserver.lifecycle;

import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.WatchEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A background component driven by the store's event stream: one virtual thread takes committed events from a
 * queue (the store's publishing thread only enqueues) and handles them with blocking writes through the
 * ObjectService. On start it subscribes first and then runs {@link #resync()}, so nothing committed in between
 * is missed; handlers are idempotent.
 */
public abstract class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    private static final WatchEvent STOP = new WatchEvent(WatchEvent.Type.ADDED, null, null);
    private static final WatchEvent RESYNC = new WatchEvent(WatchEvent.Type.MODIFIED, null, null);

    private final LinkedBlockingQueue<WatchEvent> queue = new LinkedBlockingQueue<>();
    private final Store store;
    private final String name;
    private Store.Watch watch;
    private Thread thread;

    EventLoop(Store store, String name) {
        this.store = store;
        this.name = name;
    }

    public void start() {
        watch = store.watch(null, null, store.currentResourceVersion(), queue::offer);
        queue.offer(RESYNC);
        thread = Thread.ofVirtual().name(name).start(this::run);
    }

    /** Asks for a full re-examination (e.g. after a failed write) on the loop's thread. */
    void requestResync() {
        queue.offer(RESYNC);
    }

    private void run() {
        while (true) {
            WatchEvent ev;
            try {
                ev = queue.poll(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (ev == STOP) {
                return;
            }
            try {
                if (ev == null || ev == RESYNC) {
                    // periodic resync also repairs anything a failed write left undone
                    resync();
                } else {
                    handle(ev);
                }
            } catch (RuntimeException e) {
                LOG.warn("{}: handling {} failed, will resync: {}", name, ev == null ? "resync" : ev.object().key(),
                        e.toString());
            }
        }
    }

    /** Examines every object (start-up and periodic). */
    abstract void resync();

    abstract void handle(WatchEvent event);

    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        queue.offer(STOP);
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
