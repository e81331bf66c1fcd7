package io.jvirt.controller.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a reconciler over a work queue with a few virtual-thread workers. A failing reconcile is logged once and
 * retried with back-off; the object's key is in the logging context ({@code object=namespace/name}).
 */
public final class ControllerLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerLoop.class);

    private final String name;
    private final WorkQueue<String> queue = new WorkQueue<>();
    private final Reconciler reconciler;
    private final List<Thread> workers = new ArrayList<>();

    public ControllerLoop(String name, Reconciler reconciler) {
        this.name = name;
        this.reconciler = reconciler;
    }

    public static String key(String namespace, String name) {
        return (namespace == null ? "" : namespace) + "/" + name;
    }

    public void enqueue(String namespace, String name) {
        queue.add(key(namespace, name));
    }

    public void enqueueAfter(String namespace, String name, Duration delay) {
        queue.addAfter(key(namespace, name), delay);
    }

    public void start(int workerCount) {
        for (int i = 0; i < workerCount; i++) {
            workers.add(Thread.ofVirtual().name(name + "-worker-" + i).start(this::work));
        }
    }

    private void work() {
        while (true) {
            String key;
            try {
                key = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (key == null) {
                return;
            }
            int slash = key.indexOf('/');
            String ns = key.substring(0, slash);
            String n = key.substring(slash + 1);
            MDC.put("object", key);
            try {
                Duration again = reconciler.reconcile(ns.isEmpty() ? null : ns, n);
                queue.forget(key);
                if (again != null) {
                    queue.addAfter(key, again);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.warn("{}: reconcile of {} failed, will retry: {}", name, key, e.toString());
                LOG.debug("reconcile failure", e);
                queue.retry(key);
            } finally {
                queue.done(key);
                MDC.remove("object");
            }
        }
    }

    @Override
    public void close() {
        queue.close();
        workers.forEach(Thread::interrupt);
    }
}
