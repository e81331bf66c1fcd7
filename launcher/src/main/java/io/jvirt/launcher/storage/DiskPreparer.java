package io.jvirt.launcher.storage;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.kubevirt.Quantity;
import io.jvirt.launcher.domain.PreparedDisk;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Makes a VMI's volumes ready on the node, in the VMI directory:
 * <ul>
 * <li>{@code containerDisk}: qcow2 overlay {@code disks/<volume>.qcow2} backed (read-only) by the image-store
 * file of {@code containerDisk.image} — the guest writes only to the overlay, which dies with the VMI. The image is
 * pulled per {@code imagePullPolicy} with the credentials of {@code imagePullSecret} ({@link ImagePuller});
 * {@code containerDisk.path} is not supported (the image must hold one file under {@code /disk/});</li>
 * <li>{@code emptyDisk}: empty qcow2 {@code disks/<volume>.qcow2} of {@code emptyDisk.capacity};</li>
 * <li>{@code cloudInitNoCloud} / {@code cloudInitConfigDrive}: ISO in {@code cloud-init/<volume>/} (raw,
 * read-only media) via {@link CloudInitIsoBuilder};</li>
 * <li>{@code ephemeral} and every other source: {@link UnsupportedVolumeException} naming the volume.</li>
 * </ul>
 * Overlays and empty disks are recreated on every call (they are ephemeral like in KubeVirt). For each file the
 * preparer probes whether {@code open(O_DIRECT)} works (for overlays: on the overlay and on its base), which decides
 * the default cache mode.
 */
public final class DiskPreparer {

    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");

    private final ImagePuller images;
    private final CloudInitIsoBuilder cloudInit;
    private final QemuImg qemuImg;

    /** Pulls from registries (plain HTTP only to loopback ones) into {@code images}. */
    public DiskPreparer(ImageStore images) {
        this(new ImagePuller(images));
    }

    public DiskPreparer(ImagePuller images) {
        this(images, new CloudInitIsoBuilder(), new QemuImg());
    }

    public DiskPreparer(ImageStore images, CloudInitIsoBuilder cloudInit, QemuImg qemuImg) {
        this(new ImagePuller(images), cloudInit, qemuImg);
    }

    public DiskPreparer(ImagePuller images, CloudInitIsoBuilder cloudInit, QemuImg qemuImg) {
        this.images = images;
        this.cloudInit = cloudInit;
        this.qemuImg = qemuImg;
    }

    /**
     * Prepares every volume of {@code vmi.spec.volumes} under {@code vmiDir}.
     *
     * @param secrets secret name → decoded data, for cloud-init secret references and containerDisk
     *                {@code imagePullSecret}s (may return null or throw if absent)
     * @return prepared disks by volume name, in spec order
     * @throws UnsupportedVolumeException for a volume source this node cannot provide
     * @throws ImagePullException         for a containerDisk image that is not in the store and cannot be pulled
     * @throws StorageException           for any other failure
     */
    public Map<String, PreparedDisk> prepare(JsonNode vmi, Path vmiDir,
                                             Function<String, Map<String, String>> secrets) {
        Map<String, PreparedDisk> out = new LinkedHashMap<>();
        for (JsonNode volume : vmi.path("spec").path("volumes")) {
            String name = volume.path("name").asText("");
            if (!SAFE_NAME.matcher(name).matches()) {
                throw new StorageException("invalid volume name '" + name + "'");
            }
            out.put(name, prepareVolume(vmi, name, volume, vmiDir, secrets));
        }
        return out;
    }

    private PreparedDisk prepareVolume(JsonNode vmi, String name, JsonNode volume, Path vmiDir,
                                       Function<String, Map<String, String>> secrets) {
        try {
            if (volume.has("containerDisk")) {
                String ref = volume.path("containerDisk").path("image").asText("");
                if (ref.isBlank()) {
                    throw new StorageException("volume '" + name + "': containerDisk.image is required");
                }
                ImageStore.Image image = containerDiskImage(name, volume.path("containerDisk"), ref, secrets);
                Path overlay = diskFile(vmiDir, name);
                qemuImg.createOverlay(image.path(), image.format(), overlay);
                boolean direct = directIoSupported(overlay) && directIoSupported(image.path());
                return new PreparedDisk(overlay, "qcow2", image.path(), image.format(), direct, false);
            }
            if (volume.has("emptyDisk")) {
                JsonNode cap = volume.path("emptyDisk").path("capacity");
                long bytes = Quantity.of(cap).map(Quantity::bytes).orElseThrow(() -> new StorageException(
                        "volume '" + name + "': emptyDisk.capacity is missing or not a quantity: " + cap));
                if (bytes <= 0) {
                    throw new StorageException("volume '" + name + "': emptyDisk.capacity must be positive");
                }
                Path disk = diskFile(vmiDir, name);
                qemuImg.create(disk, "qcow2", bytes);
                return new PreparedDisk(disk, "qcow2", null, null, directIoSupported(disk), false);
            }
            if (volume.has(CloudInitIsoBuilder.NO_CLOUD) || volume.has(CloudInitIsoBuilder.CONFIG_DRIVE)) {
                Path iso = cloudInit.build(vmi, name, vmiDir.resolve("cloud-init").resolve(name), secrets);
                return new PreparedDisk(iso, "raw", null, null, directIoSupported(iso), true);
            }
            if (volume.has("ephemeral")) {
                String claim = volume.path("ephemeral").path("persistentVolumeClaim").path("claimName").asText("?");
                throw new UnsupportedVolumeException(name, "ephemeral", "ephemeral volume needs "
                        + "PersistentVolumeClaim '" + claim + "' as its backing image, and this node does not "
                        + "provide PVC storage yet");
            }
            throw new UnsupportedVolumeException(name, sourceType(volume), null);
        } catch (IOException e) {
            throw new StorageException("volume '" + name + "': " + e.getMessage(), e);
        }
    }

    private ImageStore.Image containerDiskImage(String volume, JsonNode containerDisk, String ref,
                                                Function<String, Map<String, String>> secrets) {
        PullPolicy policy;
        try {
            policy = PullPolicy.of(containerDisk.path("imagePullPolicy").asText(null), ref);
        } catch (IllegalArgumentException e) {
            throw new ImagePullException(ref, ImagePullException.Failure.INVALID_REFERENCE, "volume '" + volume
                    + "': " + e.getMessage(), e);
        }
        String secretName = containerDisk.path("imagePullSecret").asText("");
        ImagePuller.PullSecret secret = secretName.isBlank() ? null : new ImagePuller.PullSecret(
                "imagePullSecret \"" + secretName + "\"", () -> secrets.apply(secretName));
        return images.ensure(ref, policy, secret);
    }

    private static Path diskFile(Path vmiDir, String volume) throws IOException {
        Path dir = vmiDir.resolve("disks");
        Files.createDirectories(dir);
        Path f = dir.resolve(volume + ".qcow2");
        Files.deleteIfExists(f);
        return f;
    }

    private static String sourceType(JsonNode volume) {
        for (Iterator<String> it = volume.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("name")) {
                return f;
            }
        }
        return "(none)";
    }

    /** Removes the VMI directory with all prepared disks and ISOs. */
    /** The image store containerDisks come from. */
    public ImageStore store() {
        return images.store();
    }

    public void cleanup(Path vmiDir) {
        try {
            CloudInitIsoBuilder.deleteTree(vmiDir);
        } catch (IOException e) {
            throw new StorageException("cannot remove " + vmiDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the file system holding {@code file} accepts {@code open(O_DIRECT)} (KubeVirt probes the same way
     * before choosing cache mode none). A missing file is probed through a temporary file in its directory.
     */
    public static boolean directIoSupported(Path file) {
        Path probe = file;
        boolean temp = false;
        try {
            if (!Files.exists(file)) {
                probe = Files.createTempFile(file.toAbsolutePath().getParent(), ".odirect", ".probe");
                temp = true;
            }
            try (FileChannel ignored = FileChannel.open(probe, StandardOpenOption.READ,
                    com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                return true;
            }
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            if (temp) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
