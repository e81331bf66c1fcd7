package io.jvirt.apiserver.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writing secrets to disk. A file is never visible with permissions wider than asked for: content goes into a temporary
 * file in the target's directory that is <em>created</em> with the requested POSIX mode, is flushed to disk, and is then
 * renamed over the target (atomic on POSIX). Readers therefore see either the old file or the complete new one.
 *
 * <p>On file systems without POSIX permissions (Windows) the modes are skipped.
 */
public final class SecureFiles {

    private static final Logger LOG = LoggerFactory.getLogger(SecureFiles.class);

    /** {@code 0600}: keys, tokens, kubeconfigs. */
    public static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    /** {@code 0644}: public certificates. */
    public static final Set<PosixFilePermission> PUBLIC_READ = PosixFilePermissions.fromString("rw-r--r--");
    /** {@code 0700}: directories holding secrets. */
    public static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private SecureFiles() {
    }

    /**
     * Makes sure {@code dir} exists with mode 0700. A missing directory is created with that mode (parents are created
     * with default permissions); an existing one with wider permissions is tightened, with a warning.
     */
    public static Path ensurePrivateDirectory(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (!Files.isDirectory(abs)) {
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            try {
                if (isPosix(abs.getParent())) {
                    Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
                } else {
                    Files.createDirectory(abs);
                }
                return abs;
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(abs)) {
                    throw raced;
                }
            }
        }
        if (isPosix(abs)) {
            Set<PosixFilePermission> current = Files.getPosixFilePermissions(abs);
            if (!current.equals(OWNER_ONLY_DIRECTORY)) {
                LOG.warn("Directory {} had mode {}; setting it to rwx------", abs, PosixFilePermissions.toString(current));
                Files.setPosixFilePermissions(abs, OWNER_ONLY_DIRECTORY);
            }
        }
        return abs;
    }

    /** {@link #writeAtomically(Path, byte[], Set)} with mode 0600. */
    public static void writePrivate(Path target, byte[] content) throws IOException {
        writeAtomically(target, content, OWNER_READ_WRITE);
    }

    /**
     * Replaces {@code target} with {@code content}: the bytes are written to a temporary sibling created with
     * {@code permissions}, forced to disk, and renamed over the target. The target's directory must exist.
     */
    public static void writeAtomically(Path target, byte[] content, Set<PosixFilePermission> permissions)
            throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        boolean posix = isPosix(dir);
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
                : new FileAttribute<?>[0];
        Path temp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp", attrs);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * Tightens an existing file's mode to {@code permissions} if it is wider (used for files found from an earlier
     * run, e.g. after a user copied them around). Returns true when the mode was changed.
     */
    static boolean tighten(Path file, Set<PosixFilePermission> permissions) throws IOException {
        if (!isPosix(file)) {
            return false;
        }
        Set<PosixFilePermission> current = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (permissions.containsAll(current)) {
            return false;
        }
        LOG.warn("File {} had mode {}; setting it to {}", file, PosixFilePermissions.toString(current),
                PosixFilePermissions.toString(permissions));
        Files.setPosixFilePermissions(file, permissions);
        return true;
    }

    static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix")
                && Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported everywhere (e.g. Windows); the rename itself is still atomic
        }
    }
}
