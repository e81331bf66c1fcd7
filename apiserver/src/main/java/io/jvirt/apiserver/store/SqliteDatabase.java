package io.jvirt.apiserver.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.Map;

/**
 * The SQLite file behind {@link SqliteStore}: one connection, used first by the constructor (to load) and then
 * only by the writer thread. Not thread-safe by design.
 *
 * <p>Durability: WAL journal with {@code synchronous=FULL}, so {@link #commit()} returns only after the WAL has
 * been fsynced. {@code locking_mode=EXCLUSIVE} keeps a second process (or a second store in this JVM) from
 * opening the same file and silently diverging from our in-memory copy; it also means SQLite needs no
 * shared-memory {@code -shm} file. The OS drops the lock when the process dies, so a crash never leaves it stuck.
 *
 * <p>Objects live in a rowid table keyed by (resource, namespace, name): documents of a few KB fit in a rowid
 * leaf cell, whereas a WITHOUT ROWID table would push anything above ~1 KB into overflow pages.
 */
final class SqliteDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteDatabase.class);
    private static final int SCHEMA_VERSION = 1;

    /** Receives every stored row on load. */
    @FunctionalInterface
    interface RowSink {
        void row(String resource, String namespace, String name, long resourceVersion, byte[] json);
    }

    private final Path file;
    private final Connection conn;
    private final PreparedStatement upsert;
    private final PreparedStatement delete;
    private final PreparedStatement putMeta;

    SqliteDatabase(Path file) throws SQLException, IOException {
        this.file = file;
        createPrivateFile(file);
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try {
            try (Statement s = c.createStatement()) {
                // Order matters: exclusive locking must be set before the first WAL access so no -shm is used.
                s.execute("PRAGMA locking_mode=EXCLUSIVE");
                s.execute("PRAGMA busy_timeout=1000");
                try (ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
                    String mode = rs.next() ? rs.getString(1) : null;
                    if (!"wal".equalsIgnoreCase(mode)) {
                        throw new SQLException("cannot switch " + file + " to WAL mode (got " + mode + ")");
                    }
                }
                s.execute("PRAGMA synchronous=FULL");
                // Read back: acknowledging writes that are not fsynced would break the store's contract silently.
                try (ResultSet rs = s.executeQuery("PRAGMA synchronous")) {
                    int sync = rs.next() ? rs.getInt(1) : -1;
                    if (sync < 2) {
                        throw new SQLException("cannot set synchronous=FULL on " + file + " (got " + sync + ")");
                    }
                }
                s.execute("CREATE TABLE IF NOT EXISTS objects(resource TEXT NOT NULL, namespace TEXT NOT NULL,"
                        + " name TEXT NOT NULL, rv INTEGER NOT NULL, json BLOB NOT NULL,"
                        + " PRIMARY KEY(resource, namespace, name))");
                s.execute("CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
                s.execute("INSERT OR IGNORE INTO meta(k, v) VALUES('schema', " + SCHEMA_VERSION + ")");
                try (ResultSet rs = s.executeQuery("SELECT v FROM meta WHERE k = 'schema'")) {
                    long v = rs.next() ? rs.getLong(1) : SCHEMA_VERSION;
                    if (v != SCHEMA_VERSION) {
                        throw new SQLException(file + " has store schema " + v + ", expected " + SCHEMA_VERSION);
                    }
                }
            }
            upsert = c.prepareStatement("INSERT INTO objects(resource, namespace, name, rv, json) VALUES(?,?,?,?,?)"
                    + " ON CONFLICT(resource, namespace, name) DO UPDATE SET rv = excluded.rv, json = excluded.json");
            delete = c.prepareStatement("DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?");
            putMeta = c.prepareStatement("INSERT INTO meta(k, v) VALUES('rv', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v");
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
        conn = c;
    }

    /**
     * Streams all objects to {@code sink} and returns the store revision: the persisted counter, or the newest
     * object revision if that is somehow higher (it never should be; being defensive costs nothing here).
     */
    long load(RowSink sink) throws SQLException {
        long rv = 0;
        try (Statement s = conn.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT v FROM meta WHERE k = 'rv'")) {
                if (rs.next()) {
                    rv = rs.getLong(1);
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT resource, namespace, name, rv, json FROM objects")) {
                while (rs.next()) {
                    long objectRv = rs.getLong(4);
                    rv = Math.max(rv, objectRv);
                    sink.row(rs.getString(1), rs.getString(2), rs.getString(3), objectRv, rs.getBytes(5));
                }
            }
        }
        // From here on every write is one explicit transaction ended by commit() or rollback().
        conn.setAutoCommit(false);
        return rv;
    }

    /**
     * Stages the final state of every key a batch touched (null = deleted) and the new revision counter in the
     * open transaction. Collapsing a batch to one row operation per key keeps ordering trivially right even when
     * a batch creates, updates and deletes the same key.
     */
    void stage(Map<ObjectKey, StoredObject> changes, long resourceVersion) throws SQLException {
        boolean upserts = false;
        boolean deletes = false;
        for (Map.Entry<ObjectKey, StoredObject> e : changes.entrySet()) {
            ObjectKey k = e.getKey();
            StoredObject o = e.getValue();
            if (o == null) {
                delete.setString(1, k.resource());
                delete.setString(2, k.namespace());
                delete.setString(3, k.name());
                delete.addBatch();
                deletes = true;
            } else {
                upsert.setString(1, k.resource());
                upsert.setString(2, k.namespace());
                upsert.setString(3, k.name());
                upsert.setLong(4, o.resourceVersion());
                upsert.setBytes(5, o.json());
                upsert.addBatch();
                upserts = true;
            }
        }
        if (upserts) {
            upsert.executeBatch();
        }
        if (deletes) {
            delete.executeBatch();
        }
        putMeta.setLong(1, resourceVersion);
        putMeta.executeUpdate();
    }

    /** Commits the staged batch; returns once it is durable (WAL fsynced). */
    void commit() throws SQLException {
        conn.commit();
    }

    /** Abandons the staged batch. Failures are logged: the caller is already failing the batch. */
    void rollbackQuietly() {
        try {
            upsert.clearBatch();
            delete.clearBatch();
            conn.rollback();
        } catch (SQLException | RuntimeException e) {
            LOG.error("rollback of {} failed", file, e);
        }
    }

    @Override
    public void close() {
        closeQuietly(upsert);
        closeQuietly(delete);
        closeQuietly(putMeta);
        closeQuietly(conn);
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception e) {
            LOG.warn("closing {} failed", file, e);
        }
    }

    /**
     * Creates the database file owner-only (0600) if it does not exist yet. SQLite gives the -wal file the mode of
     * the database file, so this covers both. An existing file keeps whatever mode its owner gave it.
     */
    static void createPrivateFile(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException raced) {
            // someone created it between the check and here: fine, SQLite opens it
        }
    }

    /** Creates {@code dir} owner-only (0700) if it does not exist. */
    static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(EnumSet.of(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
        } else {
            Files.createDirectories(dir);
        }
    }
}
