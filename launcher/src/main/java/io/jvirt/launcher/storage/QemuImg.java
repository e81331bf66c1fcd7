package io.jvirt.launcher.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Thin wrapper over the {@code qemu-img} tool. */
public final class QemuImg {

    /**
     * What {@code qemu-img info --output=json} says about an image.
     *
     * @param format       {@code raw}, {@code qcow2}, ...
     * @param virtualSize  guest-visible size in bytes
     * @param actualSize   bytes allocated on the host
     * @param backingFile  backing file recorded in the image header, or null
     * @param dataFile     external data file (qcow2 {@code data-file}), or null
     */
    public record Info(String format, long virtualSize, long actualSize, String backingFile, String dataFile) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String binary;

    public QemuImg() {
        this("qemu-img");
    }

    public QemuImg(String binary) {
        this.binary = binary;
    }

    /** Probes an image. {@code forceShare} reads images that a running QEMU holds locked. */
    public Info info(Path image, boolean forceShare) {
        List<String> cmd = new ArrayList<>(List.of(binary, "info", "--output=json"));
        if (forceShare) {
            cmd.add("--force-share");
        }
        cmd.add(image.toString());
        String out = Commands.run(cmd, TIMEOUT).stdout();
        try {
            JsonNode n = JSON.readTree(out);
            JsonNode spec = n.path("format-specific").path("data");
            return new Info(n.path("format").asText(null), n.path("virtual-size").asLong(-1),
                    n.path("actual-size").asLong(-1), n.path("backing-filename").asText(null),
                    spec.path("data-file").asText(null));
        } catch (IOException e) {
            throw new StorageException("cannot parse qemu-img info for " + image + ": " + e.getMessage(), e);
        }
    }

    /** Creates a qcow2 overlay of {@code base} (which is never written through it). */
    public void createOverlay(Path base, String baseFormat, Path overlay) {
        Commands.run(List.of(binary, "create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", base.toString(),
                overlay.toString()), TIMEOUT);
    }

    /** Creates an empty image of {@code sizeBytes}. */
    public void create(Path image, String format, long sizeBytes) {
        Commands.run(List.of(binary, "create", "-q", "-f", format, image.toString(), Long.toString(sizeBytes)),
                TIMEOUT);
    }
}
