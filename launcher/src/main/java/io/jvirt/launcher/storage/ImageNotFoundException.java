package io.jvirt.launcher.storage;

/** A containerDisk image reference is not in the local {@link ImageStore}. */
public class ImageNotFoundException extends StorageException {

    private final String reference;

    public ImageNotFoundException(String reference) {
        super("image not found: " + reference + ": import it with `jvirt image import " + reference + " FILE`");
        this.reference = reference;
    }

    /** The normalized reference that was looked up. */
    public String reference() {
        return reference;
    }
}
