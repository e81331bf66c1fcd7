package io.jvirt.launcher.storage;

/**
 * A containerDisk image could not be made available on this node: it was not in the local {@link ImageStore} and
 * could not be pulled, or pulling it failed. The node agent reports it as {@code ErrImagePull} (the reason kubelet
 * gives a pod whose image pull failed); the message names the image and what failed.
 */
public class ImagePullException extends StorageException {

    /** What went wrong, as data (tests and callers branch on it; the message is for people). */
    public enum Failure {
        /** the reference cannot be parsed (kubelet: InvalidImageName) */
        INVALID_REFERENCE,
        /** not in the local store, and the pull policy forbids pulling ({@code Never}) */
        NOT_PRESENT,
        /** the registry could not be reached (DNS, connection refused, timeout, TLS handshake) */
        UNREACHABLE,
        /** the registry refused the credentials, or wants some and none were given (401/403) */
        UNAUTHORIZED,
        /** the registry has no such repository, tag or digest (404) */
        NOT_FOUND,
        /** a blob or manifest did not match its digest or size */
        DIGEST_MISMATCH,
        /** the image is fine but is not a containerDisk (no single disk file under /disk/) */
        NOT_A_CONTAINER_DISK,
        /** anything else the registry or the image got wrong (unexpected status, unsupported media type, ...) */
        PROTOCOL
    }

    private final String reference;
    private final Failure failure;

    public ImagePullException(String reference, Failure failure, String message) {
        this(reference, failure, message, null);
    }

    public ImagePullException(String reference, Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.reference = reference;
        this.failure = failure;
    }

    /** The image reference as given (normalized where it could be). */
    public String reference() {
        return reference;
    }

    public Failure failure() {
        return failure;
    }
}
