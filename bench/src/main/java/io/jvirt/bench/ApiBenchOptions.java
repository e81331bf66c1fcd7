package io.jvirt.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The command line of {@link ApiServerBench}: {@code --option value} pairs.
 *
 * @param out         where to write the report besides stdout, or null
 * @param serverFlags extra JVM flags for the server (e.g. JFR), or null
 */
record ApiBenchOptions(Path repo, Path out, int creates1, int creates32, int threads, int lists, int watchWrites,
                       int rawCreates1, int rawCreates32, int concurrentListers, int listsPerLister,
                       String serverFlags) {

    /** Warm-up lists before each kind of measured list. */
    static final int WARM_LISTS = 3;
    /** Warm-up writes before the measured watched updates. */
    static final int WARM_WRITES = 100;

    static ApiBenchOptions parse(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        return new ApiBenchOptions(
                Path.of(o.getOrDefault("repo", ".")).toAbsolutePath().normalize(),
                o.containsKey("out") ? Path.of(o.get("out")) : null,
                intOpt(o, "creates1", 2000),
                intOpt(o, "creates32", 8000),
                intOpt(o, "threads", 32),
                intOpt(o, "lists", 20),
                intOpt(o, "watch-writes", 1000),
                intOpt(o, "raw-creates1", 1000),
                intOpt(o, "raw-creates32", 4000),
                intOpt(o, "concurrent-listers", 4),
                intOpt(o, "lists-per-lister", 5),
                o.get("server-flags"));
    }

    /** VMs in the measured namespace after the creates: what each list returns. */
    int listed() {
        return creates1 + creates32;
    }

    private static int intOpt(Map<String, String> o, String k, int def) {
        return Integer.parseInt(o.getOrDefault(k, Integer.toString(def)));
    }
}
