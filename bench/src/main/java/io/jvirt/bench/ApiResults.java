package io.jvirt.bench;

/**
 * What one run of the API server bench measured; {@link ApiServerReport} writes it out. Memory figures are
 * {@link ServerProcess#rssKiB()} {RSS, peak RSS} and {@link ServerProcess#heapKiB()} {used, committed}, KiB.
 *
 * @param fsync    disk baseline F
 * @param sqlite1  SQLite baseline A (one row per transaction)
 * @param sqliteN  SQLite baseline B (--threads rows per transaction)
 * @param rssIdle  the server right after start (baseline E)
 * @param heapIdle the server right after start (baseline E)
 */
record ApiResults(Stats fsync, Baselines.SqliteResult sqlite1, Baselines.SqliteResult sqliteN, long[] rssIdle,
                  long[] heapIdle, Creates creates, Lists lists, WatchMeasure watch, Memory memory, RawCreates raw,
                  ConcurrentLists concurrent, Transport transport) {

    /**
     * Creates through fabric8, one client and --threads threads.
     *
     * @param connections TCP connections the threads' shared client opened
     * @param storedBytes one VM as the server returns it
     */
    record Creates(CreateRun one, CreateRun many, int connections, long[] rssAfter, int storedBytes) {
    }

    /**
     * Lists of all VMs, each kind measured separately.
     *
     * @param body  the list response (raw HTTP/1.1)
     * @param parse fabric8 deserializing that body alone
     */
    record Lists(Stats rawHttp1, Stats rawHttp2, Stats fabric8, Stats parse, byte[] body, long[] rssAfter,
                 long[] heapAfter) {
    }

    /** The server after the watch run, then after {@code jcmd GC.run} ({@code gcOk}: jcmd worked). */
    record Memory(long[] rssAfterWatch, long[] rssEnd, long[] heapEnd, boolean gcOk, long[] rssGc, long[] heapGc) {
    }

    /** Creates through raw java.net.http, one client and --threads threads, after the memory snapshot. */
    record RawCreates(CreateRun one, CreateRun many) {
    }

    /** Lists by several raw clients at once, and the server afterwards. */
    record ConcurrentLists(Stats latency, long[] rss, long[] heap) {
    }

    /** Transport floors: baseline C (the list's bytes) and D (the watch loop) over plain HTTP/1.1. */
    record Transport(Stats staticList, WatchMeasure watch) {
    }
}
