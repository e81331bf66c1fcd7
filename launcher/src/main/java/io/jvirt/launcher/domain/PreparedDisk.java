package io.jvirt.launcher.domain;

import java.nio.file.Path;

/**
 * A volume made ready on the node for one VMI: the file QEMU opens, as the disk preparer left it.
 *
 * @param path              the file given to QEMU (an overlay for containerDisk/ephemeral volumes, an ISO for
 *                          cloud-init, a raw or qcow2 image otherwise)
 * @param format            {@code raw} or {@code qcow2}
 * @param backingPath       read-only base image of an overlay (its {@code <backingStore>}), or null
 * @param backingFormat     format of the backing image, or null
 * @param directIoSupported whether {@code open(O_DIRECT)} works on the file system holding {@code path} (decides the
 *                          default cache mode: none when supported, writethrough otherwise)
 * @param readOnlyMedia     media that can never be written (cloud-init ISOs)
 * @param preallocated      the image is fully allocated (virtual size ≤ allocated size, KubeVirt's
 *                          {@code IsPreAllocated}); with cache none this selects {@code io='native'}
 */
public record PreparedDisk(Path path, String format, Path backingPath, String backingFormat,
                           boolean directIoSupported, boolean readOnlyMedia, boolean preallocated) {

    /** The original six-component form: not preallocated. */
    public PreparedDisk(Path path, String format, Path backingPath, String backingFormat,
                        boolean directIoSupported, boolean readOnlyMedia) {
        this(path, format, backingPath, backingFormat, directIoSupported, readOnlyMedia, false);
    }
}
