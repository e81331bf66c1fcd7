package io.jvirt.launcher.storage;

/** A VMI volume whose source type this node cannot provide. */
public class UnsupportedVolumeException extends StorageException {

    private final String volume;
    private final String sourceType;

    public UnsupportedVolumeException(String volume, String sourceType, String detail) {
        super("volume '" + volume + "': " + (detail != null ? detail
                : "volume source '" + sourceType + "' is not supported on this node"));
        this.volume = volume;
        this.sourceType = sourceType;
    }

    public String volume() {
        return volume;
    }

    /** The volume source key, e.g. {@code persistentVolumeClaim}. */
    public String sourceType() {
        return sourceType;
    }
}
