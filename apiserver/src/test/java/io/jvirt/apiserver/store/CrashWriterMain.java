package io.jvirt.apiserver.store;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Child process of {@link SqliteStoreCrashTest}: opens the store and creates objects from many threads forever,
 * printing each key to stdout only after its create call returned (i.e. was acknowledged), until it is killed.
 * Documents are ~2 KB so that batches span several SQLite pages.
 *
 * <p>Arguments: store file, number of threads, name prefix (unique per run, so a second run creates new keys).
 */
public final class CrashWriterMain {
    private CrashWriterMain() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        String prefix = args[2];
        // A writer thread that dies unexpectedly must fail the run loudly, not leave a quiet child behind.
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            e.printStackTrace();
            Runtime.getRuntime().halt(2);
        });
        SqliteStore store = new SqliteStore(file, StoreFixtures.INDEXER, 1000);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        ReentrantLock outLock = new ReentrantLock();
        String padding = "x".repeat(2000);
        out.println("READY");
        out.flush();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread.ofPlatform().start(() -> {
                for (int i = 0; ; i++) {
                    ObjectKey key = StoreFixtures.vm("ns" + (id % 4), prefix + "t" + id + "-" + i);
                    var doc = StoreFixtures.doc(key, "thread", Integer.toString(id));
                    doc.putObject("spec").put("padding", padding).put("i", i);
                    store.create(key, doc);
                    outLock.lock();
                    try {
                        out.println(key.namespace() + "/" + key.name());
                        out.flush();
                    } finally {
                        outLock.unlock();
                    }
                }
            });
        }
    }
}
