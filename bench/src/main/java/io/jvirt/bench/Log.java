package io.jvirt.bench;

import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** Progress lines of a bench driver on stderr, {@code [tag HH:MM:SS] message}; the report goes to stdout. */
final class Log {
    /** The VM start bench's progress. */
    static final Log VM = new Log("vmbench");
    /** The API server bench's progress. */
    static final Log API = new Log("bench");

    private final String tag;

    private Log(String tag) {
        this.tag = tag;
    }

    void info(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[%s %s] %s%n", tag, LocalTime.now().truncatedTo(ChronoUnit.SECONDS),
                String.format(Locale.ROOT, fmt, args));
    }
}
