package io.jvirt.launcher.domain;

import java.util.Collection;
import java.util.TreeSet;

/** libvirt/kernel CPU list syntax ({@code 0,2-16,18-31}) for {@code cpuset}, {@code nodeset} and {@code cpus}. */
final class CpuSets {

    private CpuSets() {
    }

    /** Ascending, duplicates dropped, runs of two or more consecutive ids written as ranges: {@code [3,1,2,7]} → {@code 1-3,7}. */
    static String format(Collection<Integer> ids) {
        TreeSet<Integer> sorted = new TreeSet<>(ids);
        StringBuilder sb = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (int id : sorted) {
            if (prev != null && id == prev + 1) {
                prev = id;
                continue;
            }
            append(sb, start, prev);
            start = id;
            prev = id;
        }
        append(sb, start, prev);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Integer start, Integer end) {
        if (start == null) {
            return;
        }
        if (!sb.isEmpty()) {
            sb.append(',');
        }
        sb.append(start);
        if (end > start) {
            sb.append('-').append(end);
        }
    }
}
