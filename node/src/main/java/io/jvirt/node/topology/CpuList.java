package io.jvirt.node.topology;

import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The kernel's CPU list syntax ({@code Documentation/admin-guide/kernel-parameters.rst}, "cpu lists"), as sysfs
 * prints it ({@code cpulist}, {@code online}, {@code thread_siblings_list}) and as the kubelet reads and writes
 * it ({@code --reserved-cpus}, {@code cpu_manager_state}): comma-separated CPU numbers and inclusive ranges,
 * e.g. {@code 0-3,8,10-11}. Parsing also accepts the kernel's grouped ranges {@code 0-15:2/4} (in 0-15, the
 * first 2 CPUs of every group of 4) and tolerates surrounding whitespace; the empty string is the empty set.
 * Formatting writes every run of two or more consecutive CPUs as a range ({@code 0-1,4-19}), as both the kernel
 * and the kubelet's {@code cpuset.CPUSet.String()} do.
 */
public final class CpuList {
    private CpuList() {
    }

    /** The CPUs named by {@code list}, ascending. Throws {@link IllegalArgumentException} on bad syntax. */
    public static SortedSet<Integer> parse(String list) {
        TreeSet<Integer> out = new TreeSet<>();
        if (list == null) {
            return Collections.unmodifiableSortedSet(out);
        }
        String s = list.strip();
        if (s.isEmpty()) {
            return Collections.unmodifiableSortedSet(out);
        }
        for (String part : s.split(",", -1)) {
            String p = part.strip();
            if (p.isEmpty()) {
                throw new IllegalArgumentException("invalid CPU list \"" + list + "\": empty element");
            }
            int colon = p.indexOf(':');
            String range = colon < 0 ? p : p.substring(0, colon);
            int dash = range.indexOf('-');
            int from;
            int to;
            try {
                from = Integer.parseInt(dash < 0 ? range.strip() : range.substring(0, dash).strip());
                to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid CPU list \"" + list + "\": bad element \"" + p + "\"");
            }
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("invalid CPU list \"" + list + "\": bad range \"" + p + "\"");
            }
            int used = 1;
            int group = 1;
            if (colon >= 0) {
                String[] g = p.substring(colon + 1).split("/", -1);
                try {
                    if (g.length != 2 || dash < 0) {
                        throw new NumberFormatException();
                    }
                    used = Integer.parseInt(g[0].strip());
                    group = Integer.parseInt(g[1].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid CPU list \"" + list + "\": bad group \"" + p + "\"");
                }
                if (used <= 0 || group <= 0 || used > group) {
                    throw new IllegalArgumentException("invalid CPU list \"" + list + "\": bad group \"" + p + "\"");
                }
            }
            for (int c = from; c <= to; c++) {
                if ((c - from) % group < used) {
                    out.add(c);
                }
            }
        }
        return Collections.unmodifiableSortedSet(out);
    }

    /** The kernel/kubelet form of {@code cpus}: ascending, runs of two or more as {@code a-b}; empty → "". */
    public static String format(Collection<Integer> cpus) {
        TreeSet<Integer> sorted = new TreeSet<>(cpus);
        StringBuilder sb = new StringBuilder();
        Iterator<Integer> it = sorted.iterator();
        if (!it.hasNext()) {
            return "";
        }
        int start = it.next();
        int prev = start;
        while (true) {
            Integer next = it.hasNext() ? it.next() : null;
            if (next != null && next == prev + 1) {
                prev = next;
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(start);
            if (prev > start) {
                sb.append('-').append(prev);
            }
            if (next == null) {
                return sb.toString();
            }
            start = next;
            prev = next;
        }
    }
}
