package io.jvirt.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Percentiles of a set of durations (nanoseconds; may be negative for "ack → event"). */
final class Stats {
    private final long[] sorted;

    Stats(long[] nanos) {
        this.sorted = nanos.clone();
        Arrays.sort(sorted);
    }

    /** Of the samples that are there (nulls are left out). */
    static Stats of(List<Long> nanos) {
        return new Stats(nanos.stream().filter(Objects::nonNull).mapToLong(Long::longValue).toArray());
    }

    int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile, {@code p} in (0, 100]. */
    double pMs(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6;
    }

    double p50() {
        return pMs(50);
    }

    double p99() {
        return pMs(99);
    }

    double maxMs() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    }

    double meanMs() {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (long v : sorted) {
            s += v;
        }
        return s / sorted.length / 1e6;
    }

    /** "p50 / p99 ms". */
    String p50p99() {
        return ms(p50()) + " / " + ms(p99()) + " ms";
    }

    static String ms(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
    }
}
