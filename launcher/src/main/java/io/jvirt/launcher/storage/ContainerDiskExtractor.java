package io.jvirt.launcher.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

/**
 * Finds the disk of a KubeVirt containerDisk image in its layers: the image must hold exactly one entry under
 * {@code /disk/}, a regular file (qcow2 or raw; KubeVirt's {@code container-disk} rule). Layers are applied in order
 * as an overlay file system would: a later layer's file replaces an earlier one, and whiteouts ({@code .wh.NAME},
 * {@code .wh..wh..opq}) hide what lower layers put at that path (OCI image spec, "Representing Changes").
 *
 * <p>Only {@code /disk} is materialized: files directly under it are written (sparsely: all-zero 4 KiB blocks become
 * holes) to temporary files in {@code workDir}; everything else in the layers is read past. The caller moves the
 * {@link #result} somewhere and calls {@link #close}, which deletes what is left.
 */
final class ContainerDiskExtractor implements AutoCloseable {

    static final String DISK_DIR = "disk";
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    /** Holes are made at this granularity (the usual file-system block size). */
    private static final int HOLE_BLOCK = 4096;

    private enum Kind { FILE, DIRECTORY, SYMLINK, OTHER }

    /** What a path under /disk is after the layers so far; {@code file} is set for extracted regular files. */
    private record Node(Kind kind, Path file, String detail) {
    }

    private final Path workDir;
    /** normalized path ("disk/x.img", "disk/sub") → node; sorted for stable messages */
    private final Map<String, Node> nodes = new TreeMap<>();

    ContainerDiskExtractor(Path workDir) {
        this.workDir = workDir;
    }

    /**
     * Wraps a layer blob's bytes: gzip is recognised by its magic number (registries and tools do not always label
     * layers correctly), uncompressed tar passes through; zstd is refused.
     */
    static InputStream decompress(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            throw new UnsupportedLayerException("zstd-compressed layers are not supported (use gzip)");
        }
        return in;
    }

    /** A layer this extractor cannot read (compression, sparse entries). */
    static final class UnsupportedLayerException extends IOException {
        UnsupportedLayerException(String message) {
            super(message);
        }
    }

    /** Applies one layer (an uncompressed tar stream, read up to its end-of-archive marker). */
    void applyLayer(InputStream tar) throws IOException {
        TarReader reader = new TarReader(tar);
        Set<String> thisLayer = new HashSet<>();
        for (TarReader.Entry e = reader.next(); e != null; e = reader.next()) {
            String path = normalize(e.name());
            if (path == null) {
                continue;
            }
            int slash = path.lastIndexOf('/');
            String dir = slash < 0 ? "" : path.substring(0, slash);
            String base = path.substring(slash + 1);
            if (base.startsWith(WHITEOUT)) {
                if (base.equals(OPAQUE)) {
                    removeLower(dir, false, thisLayer);
                } else {
                    String target = (dir.isEmpty() ? "" : dir + "/") + base.substring(WHITEOUT.length());
                    removeLower(target, true, thisLayer);
                }
                continue;
            }
            if (path.equals(DISK_DIR)) {
                if (e.type() != TarReader.DIRECTORY) {
                    removeLower(DISK_DIR, true, thisLayer); // /disk replaced by a non-directory
                }
                continue;
            }
            if (!path.startsWith(DISK_DIR + "/")) {
                continue;
            }
            boolean direct = path.indexOf('/', DISK_DIR.length() + 1) < 0;
            if (!direct) {
                // something deeper: only the child of /disk it lives in matters (it is a directory)
                String child = path.substring(0, path.indexOf('/', DISK_DIR.length() + 1));
                if (!nodes.containsKey(child) || nodes.get(child).kind() != Kind.DIRECTORY) {
                    put(child, new Node(Kind.DIRECTORY, null, null), thisLayer);
                }
                continue;
            }
            if (e.sparse()) {
                throw new UnsupportedLayerException("/" + path + " is a sparse tar entry, which is not supported");
            }
            switch (e.type()) {
                case TarReader.REGULAR -> {
                    Path f = newTempFile();
                    writeSparse(reader.content(), f, e.size());
                    put(path, new Node(Kind.FILE, f, null), thisLayer);
                }
                case TarReader.HARDLINK -> {
                    Node target = nodes.get(normalize(e.linkName()));
                    if (target != null && target.kind() == Kind.FILE) {
                        Path f = newTempFile();
                        Files.copy(target.file(), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        put(path, new Node(Kind.FILE, f, null), thisLayer);
                    } else {
                        put(path, new Node(Kind.OTHER, null, "a hard link to /" + e.linkName()), thisLayer);
                    }
                }
                case TarReader.SYMLINK -> put(path, new Node(Kind.SYMLINK, null, "a symbolic link to "
                        + e.linkName()), thisLayer);
                case TarReader.DIRECTORY -> {
                    if (!nodes.containsKey(path) || nodes.get(path).kind() != Kind.DIRECTORY) {
                        put(path, new Node(Kind.DIRECTORY, null, null), thisLayer);
                    }
                }
                default -> put(path, new Node(Kind.OTHER, null, "a special file (tar type '" + e.type() + "')"),
                        thisLayer);
            }
        }
    }

    /**
     * The disk file after all layers.
     *
     * @param image the image reference, for messages
     * @throws ImagePullException ({@code NOT_A_CONTAINER_DISK}) unless /disk holds exactly one regular file
     */
    Path result(String image) {
        List<String> children = new ArrayList<>();
        for (String p : nodes.keySet()) {
            children.add(p.substring(DISK_DIR.length() + 1));
        }
        if (children.isEmpty()) {
            throw new ImagePullException(image, ImagePullException.Failure.NOT_A_CONTAINER_DISK,
                    "image " + image + " is not a containerDisk: its layers have no file under /disk/");
        }
        if (children.size() > 1) {
            throw new ImagePullException(image, ImagePullException.Failure.NOT_A_CONTAINER_DISK,
                    "image " + image + " is not a containerDisk: it must have exactly one file under /disk/, "
                            + "found " + children);
        }
        Map.Entry<String, Node> only = nodes.entrySet().iterator().next();
        Node n = only.getValue();
        if (n.kind() != Kind.FILE) {
            throw new ImagePullException(image, ImagePullException.Failure.NOT_A_CONTAINER_DISK,
                    "image " + image + " is not a containerDisk: /" + only.getKey() + " is "
                            + (n.kind() == Kind.DIRECTORY ? "a directory" : n.detail())
                            + ", not a regular file");
        }
        return n.file();
    }

    /** The names under /disk after the layers so far (for tests and messages). */
    List<String> entries() {
        return List.copyOf(nodes.keySet());
    }

    @Override
    public void close() {
        for (Node n : nodes.values()) {
            deleteQuietly(n.file());
        }
        nodes.clear();
    }

    // ----------------------------------------------------------------------------------------------- internals

    private void put(String path, Node node, Set<String> thisLayer) {
        Node old = nodes.put(path, node);
        if (old != null && old.file() != null && !old.file().equals(node.file())) {
            deleteQuietly(old.file());
        }
        thisLayer.add(path);
    }

    /**
     * Hides what lower layers have at {@code path}: the path itself (if {@code self}) and everything below it.
     * Entries of the current layer stay (whiteouts apply to lower layers only).
     */
    private void removeLower(String path, boolean self, Set<String> thisLayer) {
        String prefix = path.isEmpty() ? "" : path + "/";
        nodes.entrySet().removeIf(en -> {
            String p = en.getKey();
            boolean hit = (self && p.equals(path)) || p.startsWith(prefix);
            if (hit && !thisLayer.contains(p)) {
                deleteQuietly(en.getValue().file());
                return true;
            }
            return false;
        });
    }

    /**
     * A tar member name as a relative path without {@code .} components ({@code ./disk/x} → {@code disk/x}); null
     * for the root and for names that climb out with {@code ..} (never extracted).
     */
    static String normalize(String name) {
        List<String> parts = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                return null;
            }
            parts.add(p);
        }
        return parts.isEmpty() ? null : String.join("/", parts);
    }

    private Path newTempFile() throws IOException {
        Files.createDirectories(workDir);
        return workDir.resolve("layer-file-" + UUID.randomUUID());
    }

    /**
     * Copies exactly {@code size} bytes to {@code out}, leaving holes where whole {@value #HOLE_BLOCK}-byte blocks
     * are zero (raw disk images are mostly zeros).
     */
    static void writeSparse(InputStream in, Path out, long size) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long pos = 0;
            while (pos < size) {
                int want = (int) Math.min(buf.length, size - pos);
                int n = in.readNBytes(buf, 0, want);
                if (n < want) {
                    throw new java.io.EOFException("layer ends inside a file (" + (pos + n) + " of " + size
                            + " bytes)");
                }
                for (int off = 0; off < n; off += HOLE_BLOCK) {
                    int len = Math.min(HOLE_BLOCK, n - off);
                    if (!zero(buf, off, len)) {
                        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
                        long at = pos + off;
                        while (bb.hasRemaining()) {
                            at += ch.write(bb, at);
                        }
                    }
                }
                pos += n;
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1); // extend over a trailing hole
            }
        }
    }

    private static boolean zero(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void deleteQuietly(Path f) {
        if (f == null) {
            return;
        }
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // a temporary file; the pull's work directory is removed as a whole afterwards
        }
    }
}
