package io.jvirt.launcher.storage;

/** A disk, image or cloud-init ISO could not be prepared. Unchecked; the message says what and why. */
public class StorageException extends RuntimeException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
