package io.jvirt.controller.runtime;

import java.time.Duration;

/** Straight-line reconcile of one object key ({@code namespace/name}); returns when to look again, if ever. */
@FunctionalInterface
public interface Reconciler {
    /** @return a delay to requeue after even on success (e.g. a back-off expiring), or null */
    Duration reconcile(String namespace, String name) throws Exception;
}
