package io.jvirt.apiserver.store;

/**
 * A committed change. For {@code DELETED} the object is the last state with its resourceVersion set to the
 * revision of the deletion (as etcd-backed Kubernetes reports it). {@code previous} is the state before the
 * change (null for ADDED); watchers with selectors need it to turn "stopped matching" into DELETED.
 */
public record WatchEvent(Type type, StoredObject object, StoredObject previous) {
    public enum Type { ADDED, MODIFIED, DELETED }

    public long resourceVersion() {
        return object.resourceVersion();
    }
}
