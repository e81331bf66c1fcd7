package io.jvirt.launcher.storage;

/**
 * A containerDisk image reference is not in the local {@link ImageStore}, and the pull policy ({@code Never}) or
 * the caller does not allow pulling it.
 */
public class ImageNotFoundException extends ImagePullException {

    public ImageNotFoundException(String reference) {
        super(reference, Failure.NOT_PRESENT, "image not found: " + reference + ": import it with `jvirt image import "
                + reference + " FILE`");
    }

    public ImageNotFoundException(String reference, String message) {
        super(reference, Failure.NOT_PRESENT, message);
    }
}
