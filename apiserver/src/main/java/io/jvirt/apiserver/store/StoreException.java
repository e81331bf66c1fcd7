package io.jvirt.apiserver.store;

/** The store's one failure type; the REST layer turns {@link Reason} into a Kubernetes Status. */
public final class StoreException extends RuntimeException {
    public enum Reason {
        /** The key does not exist (get, update, delete). */
        NOT_FOUND,
        /** create of a key that exists. */
        ALREADY_EXISTS,
        /** update/delete with an expected resourceVersion that is not the current one. */
        CONFLICT,
        /** watch from a resourceVersion older than the retained event window. */
        GONE,
        /** the store is closed or its disk failed; the write was not acknowledged. */
        UNAVAILABLE
    }

    private final Reason reason;
    private final ObjectKey key;

    public StoreException(Reason reason, ObjectKey key, String message) {
        super(message);
        this.reason = reason;
        this.key = key;
    }

    public StoreException(Reason reason, ObjectKey key, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.key = key;
    }

    public Reason reason() {
        return reason;
    }

    /** The object concerned, or null (e.g. for GONE). */
    public ObjectKey key() {
        return key;
    }
}
