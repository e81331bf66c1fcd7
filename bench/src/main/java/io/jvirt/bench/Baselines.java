package io.jvirt.bench;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/** The baselines measured in the same run as the server. */
final class Baselines {
    private Baselines() {
    }

    /** fdatasync latency of the disk: append 4 KiB and {@code FileChannel.force(false)}, {@code n} times. */
    static Stats fsyncProbe(Path dir, int n) throws IOException {
        Path f = dir.resolve("fsync-probe.bin");
        long[] t = new long[n];
        ByteBuffer block = ByteBuffer.allocateDirect(4096);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < n + 20; i++) {
                block.clear();
                long t0 = System.nanoTime();
                ch.write(block, (long) i * 4096);
                ch.force(false);
                if (i >= 20) {
                    t[i - 20] = System.nanoTime() - t0;
                }
            }
        } finally {
            Files.deleteIfExists(f);
        }
        return new Stats(t);
    }

    /** Result of an SQLite insert loop. */
    record SqliteResult(int rows, int rowsPerTxn, double rowsPerSec, Stats txnLatency) {
    }

    /**
     * Raw SQLite through the same sqlite-jdbc as the store, configured as the store is (WAL, synchronous=FULL,
     * locking_mode=EXCLUSIVE, the store's table shape), inserting {@code rows} rows of {@code payload} with
     * {@code rowsPerTxn} rows per durable transaction (commit = WAL fsync).
     */
    static SqliteResult sqliteInserts(Path dir, String tag, byte[] payload, int rows, int rowsPerTxn)
            throws SQLException, IOException {
        Path db = dir.resolve("baseline-" + tag + ".db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath())) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA locking_mode=EXCLUSIVE");
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("CREATE TABLE objects(resource TEXT NOT NULL, namespace TEXT NOT NULL,"
                        + " name TEXT NOT NULL, rv INTEGER NOT NULL, json BLOB NOT NULL,"
                        + " PRIMARY KEY(resource, namespace, name))");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement(
                    "INSERT INTO objects(resource, namespace, name, rv, json) VALUES(?,?,?,?,?)")) {
                int warm = 200;
                for (int i = 0; i < warm; i++) {
                    insert(ins, "warm", i, payload);
                    c.commit();
                }
                int txns = (rows + rowsPerTxn - 1) / rowsPerTxn;
                long[] lat = new long[txns];
                int row = 0;
                long start = System.nanoTime();
                for (int t = 0; t < txns; t++) {
                    long t0 = System.nanoTime();
                    for (int k = 0; k < rowsPerTxn && row < rows; k++, row++) {
                        insert(ins, "bench", row, payload);
                    }
                    c.commit();
                    lat[t] = System.nanoTime() - t0;
                }
                double secs = (System.nanoTime() - start) / 1e9;
                return new SqliteResult(rows, rowsPerTxn, rows / secs, new Stats(lat));
            }
        } finally {
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Files.deleteIfExists(dir.resolve(db.getFileName() + suffix));
            }
        }
    }

    private static void insert(PreparedStatement ins, String ns, int i, byte[] payload) throws SQLException {
        ins.setString(1, "kubevirt.io/virtualmachines");
        ins.setString(2, ns);
        ins.setString(3, String.format("vm-%06d", i));
        ins.setLong(4, i + 1);
        ins.setBytes(5, payload);
        ins.executeUpdate();
    }

    /**
     * The transport floor: the JDK's {@code com.sun.net.httpserver} on loopback, plain HTTP/1.1, no TLS, no auth, no
     * JSON work, no durability. {@code GET /list} answers with fixed bytes; {@code GET /watch} streams one line per
     * {@code PATCH /write}, the write answering only after its event is queued for every open watch.
     */
    static final class StaticHttp implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService pool = Executors.newCachedThreadPool();
        private final List<LinkedBlockingQueue<byte[]>> watchers = new CopyOnWriteArrayList<>();
        private final AtomicLong rv = new AtomicLong(1000);
        private static final byte[] STOP = new byte[0];

        StaticHttp(byte[] listBody, int eventPadding) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
            server.setExecutor(pool);
            String pad = "x".repeat(eventPadding);
            server.createContext("/list", ex -> {
                drain(ex.getRequestBody());
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, listBody.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(listBody);
                }
            });
            server.createContext("/watch", ex -> {
                drain(ex.getRequestBody());
                LinkedBlockingQueue<byte[]> q = new LinkedBlockingQueue<>();
                watchers.add(q);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, 0); // chunked
                try (OutputStream out = ex.getResponseBody()) {
                    out.flush();
                    while (true) {
                        byte[] line = q.take();
                        if (line == STOP) {
                            break;
                        }
                        out.write(line);
                        if (q.isEmpty()) {
                            out.flush();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    // watcher went away
                } finally {
                    watchers.remove(q);
                }
            });
            server.createContext("/write", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                long v = rv.incrementAndGet();
                String obj = "{\"metadata\":{\"resourceVersion\":\"" + v + "\"},\"pad\":\"" + pad + "\",\"len\":"
                        + body.length + "}";
                byte[] line = ("{\"type\":\"MODIFIED\",\"object\":" + obj + "}\n").getBytes(StandardCharsets.UTF_8);
                for (LinkedBlockingQueue<byte[]> q : watchers) {
                    q.offer(line);
                }
                byte[] resp = obj.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, resp.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(resp);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private static void drain(InputStream in) throws IOException {
            in.readAllBytes();
            in.close();
        }

        @Override
        public void close() {
            for (LinkedBlockingQueue<byte[]> q : watchers) {
                q.offer(STOP);
            }
            server.stop(0);
            pool.shutdownNow();
        }
    }
}
