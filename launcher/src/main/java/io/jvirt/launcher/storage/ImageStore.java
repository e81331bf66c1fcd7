package io.jvirt.launcher.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Local store of containerDisk images: a disk file (qcow2 or raw) per image reference. Images get here two ways:
 * imported from a file ({@code jvirt image import NAME FILE}, {@link #importImage}) or pulled from an OCI registry
 * ({@code jvirt image pull REF}, or a VMI start through {@link ImagePuller}, which stores with {@link #storePulled}).
 *
 * <p>Layout under {@code root}: {@code blobs/<id>.<format>} hold the disk files (read-only, mode 0444; a blob is never
 * rewritten, so re-importing or re-pulling a reference does not disturb overlays of running VMIs that are backed by
 * the previous blob); {@code refs/<encoded reference>.json} maps a reference to its current blob, and for a pulled
 * image records the manifest digest it came from (so pulling the same digest again is a no-op); {@code tmp/} holds
 * pulls in progress (same file system, so a finished disk is moved into {@code blobs/} atomically). Blobs that no
 * reference points at any more are deleted by {@link #prune}.
 */
public final class ImageStore {

    /**
     * An imported image.
     *
     * @param reference   normalized reference ({@code quay.io/kubevirt/cirros-container-disk-demo:latest})
     * @param path        the disk file
     * @param format      {@code qcow2} or {@code raw}
     * @param virtualSize guest-visible size in bytes
     * @param importedAt  import (or pull) time
     * @param source      the file it was imported from, or the fully qualified reference it was pulled from
     * @param digest      manifest digest of a pulled image ({@code sha256:...}); null for an imported one
     */
    public record Image(String reference, Path path, String format, long virtualSize, Instant importedAt,
                        String source, String digest) {

        /** Whether it came from a registry (rather than from {@code jvirt image import}). */
        public boolean pulled() {
            return digest != null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final QemuImg qemuImg;

    public ImageStore(Path root) {
        this(root, new QemuImg());
    }

    public ImageStore(Path root, QemuImg qemuImg) {
        this.root = root.toAbsolutePath().normalize();
        this.qemuImg = qemuImg;
    }

    public Path root() {
        return root;
    }

    /**
     * Normalizes an image reference: surrounding blanks removed, {@code :latest} appended when it has neither tag nor
     * digest ({@code quay.io/kubevirt/cirros-container-disk-demo} →
     * {@code quay.io/kubevirt/cirros-container-disk-demo:latest}; a registry port such as {@code localhost:5000/x}
     * is not a tag).
     *
     * @throws IllegalArgumentException for an empty reference or one containing blanks or control characters
     */
    public static String normalize(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("image reference must not be empty");
        }
        String r = reference.strip();
        if (r.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("invalid image reference '" + reference + "'");
        }
        if (r.contains("@")) {
            return r; // digest reference
        }
        String lastComponent = r.substring(r.lastIndexOf('/') + 1);
        if (lastComponent.isEmpty()) {
            throw new IllegalArgumentException("invalid image reference '" + reference + "'");
        }
        return lastComponent.contains(":") ? r : r + ":latest";
    }

    /**
     * Copies {@code file} into the store under {@code reference} (replacing an earlier import of that reference).
     * The format is detected with {@code qemu-img info}; only qcow2 and raw images without backing or external data
     * files are accepted.
     */
    public synchronized Image importImage(String reference, Path file) {
        String ref = normalize(reference);
        if (!Files.isRegularFile(file)) {
            throw new StorageException("cannot import " + ref + ": " + file + " is not a regular file");
        }
        try {
            Files.createDirectories(blobs());
            Path tmp = blobs().resolve(".import-" + UUID.randomUUID());
            try {
                copySparse(file, tmp);
                return commit(ref, tmp, file.toString(), file.toAbsolutePath().toString(), null);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new StorageException("cannot import " + ref + " from " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores a disk file extracted from a pulled image under {@code reference} (replacing what the reference pointed
     * at); the file is moved, so it must be on the store's file system ({@link #newWorkDir}). The same checks as
     * {@link #importImage} apply.
     *
     * @param source         the fully qualified reference it was pulled from
     * @param manifestDigest the digest of the manifest it was pulled by
     */
    public synchronized Image storePulled(String reference, Path file, String source, String manifestDigest) {
        String ref = normalize(reference);
        try {
            return commit(ref, file, "the disk of " + source, source, manifestDigest);
        } catch (IOException e) {
            throw new StorageException("cannot store " + ref + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // moved, or its work directory goes as a whole
            }
        }
    }

    /**
     * A fresh directory for a pull in progress, under {@code tmp/} on the store's file system. Directories left by a
     * process that is gone (a crash mid-pull) are removed first.
     */
    public synchronized Path newWorkDir() {
        try {
            Path tmp = root.resolve("tmp");
            Files.createDirectories(tmp);
            Path dir = tmp.resolve("pull-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID());
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp, "pull-*")) {
                for (Path d : ds) {
                    if (!ownerAlive(d.getFileName().toString())) {
                        CloudInitIsoBuilder.deleteTree(d);
                    }
                }
            }
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            throw new StorageException("cannot create a work directory under " + root + ": " + e.getMessage(), e);
        }
    }

    /** {@code pull-<pid>-<uuid>}: whether process {@code pid} still runs. */
    private static boolean ownerAlive(String dirName) {
        String[] parts = dirName.split("-");
        try {
            return parts.length > 1 && ProcessHandle.of(Long.parseLong(parts[1])).map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Checks {@code tmp} (a disk on the store's file system), makes it a read-only blob, points {@code ref} at it. */
    private Image commit(String ref, Path tmp, String what, String source, String digest) throws IOException {
        Files.createDirectories(blobs());
        Files.createDirectories(refs());
        QemuImg.Info info = qemuImg.info(tmp, false);
        String cannot = (digest == null ? "cannot import " : "cannot store ") + ref + ": ";
        if (!"qcow2".equals(info.format()) && !"raw".equals(info.format())) {
            throw new StorageException(cannot + what + " is a " + info.format()
                    + " image; only qcow2 and raw are supported");
        }
        if (info.backingFile() != null) {
            throw new StorageException(cannot + what + " has a backing file ("
                    + info.backingFile() + "); flatten it first (qemu-img convert)");
        }
        if (info.dataFile() != null) {
            throw new StorageException(cannot + what + " uses an external data file");
        }
        Path blob = blobs().resolve(Instant.now().toEpochMilli() + "-"
                + UUID.randomUUID().toString().substring(0, 8) + "." + info.format());
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
        Files.move(tmp, blob, StandardCopyOption.ATOMIC_MOVE);
        Image image = new Image(ref, blob, info.format(), info.virtualSize(), Instant.now(), source, digest);
        writeRef(image);
        return image;
    }

    /** The disk file of {@code reference} (normalized first), if imported. */
    public Optional<Path> resolve(String reference) {
        return find(reference).map(Image::path);
    }

    /** The image of {@code reference} (normalized first), if imported and its file still exists. */
    public synchronized Optional<Image> find(String reference) {
        String ref = normalize(reference);
        Path f = refFile(ref);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        Image image = readRef(f);
        return image != null && Files.isRegularFile(image.path()) ? Optional.of(image) : Optional.empty();
    }

    /** Like {@link #find} but throws {@link ImageNotFoundException} (which tells how to import the image). */
    public Image require(String reference) {
        return find(reference).orElseThrow(() -> new ImageNotFoundException(normalize(reference)));
    }

    /** All imported images, sorted by reference. */
    public synchronized List<Image> list() {
        List<Image> out = new ArrayList<>();
        if (!Files.isDirectory(refs())) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(refs(), "*.json")) {
            for (Path f : ds) {
                Image i = readRef(f);
                if (i != null && Files.isRegularFile(i.path())) {
                    out.add(i);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing(Image::reference));
        return out;
    }

    /** Forgets {@code reference}; its blob stays until {@link #prune}. Returns whether it was known. */
    public synchronized boolean remove(String reference) {
        try {
            return Files.deleteIfExists(refFile(normalize(reference)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deletes blobs that no reference points at and that are not in {@code inUse} (backing files of existing
     * overlays). Returns the deleted files.
     */
    public synchronized List<Path> prune(Collection<Path> inUse) {
        Set<Path> keep = new HashSet<>();
        for (Path p : inUse) {
            keep.add(p.toAbsolutePath().normalize());
        }
        for (Image i : list()) {
            keep.add(i.path());
        }
        List<Path> deleted = new ArrayList<>();
        if (!Files.isDirectory(blobs())) {
            return deleted;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs())) {
            for (Path b : ds) {
                if (!b.getFileName().toString().startsWith(".") && !keep.contains(b)) {
                    Files.deleteIfExists(b);
                    deleted.add(b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return deleted;
    }

    // ----------------------------------------------------------------------------------------------- internals

    private Path blobs() {
        return root.resolve("blobs");
    }

    private Path refs() {
        return root.resolve("refs");
    }

    /** File name of a reference: URL-encoded (reversible, no '/'), or a hash when that would be too long. */
    private Path refFile(String ref) {
        String enc = URLEncoder.encode(ref, StandardCharsets.UTF_8);
        if (enc.length() > 200) {
            try {
                byte[] h = MessageDigest.getInstance("SHA-256").digest(ref.getBytes(StandardCharsets.UTF_8));
                enc = "sha256-" + HexFormat.of().formatHex(h);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return refs().resolve(enc + ".json");
    }

    private void writeRef(Image image) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("reference", image.reference());
        n.put("file", root.relativize(image.path()).toString());
        n.put("format", image.format());
        n.put("virtualSize", image.virtualSize());
        n.put("importedAt", image.importedAt().toString());
        n.put("source", image.source());
        if (image.digest() != null) {
            n.put("digest", image.digest());
        }
        Path f = refFile(image.reference());
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        try {
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Image readRef(Path f) {
        try {
            JsonNode n = JSON.readTree(f.toFile());
            return new Image(n.path("reference").asText(), root.resolve(n.path("file").asText()).normalize(),
                    n.path("format").asText(), n.path("virtualSize").asLong(-1),
                    Instant.parse(n.path("importedAt").asText(Instant.EPOCH.toString())),
                    n.path("source").asText(null), n.hasNonNull("digest") ? n.get("digest").asText() : null);
        } catch (IOException | RuntimeException e) {
            return null; // half-written or foreign file
        }
    }

    /** Copies keeping holes (disk images are often sparse); falls back to a plain copy. */
    private static void copySparse(Path from, Path to) throws IOException {
        Commands.Result r = Commands.runAllowingFailure(List.of("cp", "--sparse=always", "--reflink=auto",
                from.toString(), to.toString()), Duration.ofHours(1));
        if (r.exitCode() != 0) {
            Files.deleteIfExists(to);
            Files.copy(from, to);
        }
    }
}
