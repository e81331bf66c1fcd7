package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.HugepageCount;
import io.jvirt.node.topology.SysfsTopology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Whether this host can back guest memory with hugepages: which hugetlbfs mounts exist per page size (libvirt
 * needs one for the guest's page size, e.g. {@code /dev/hugepages} for the default 2Mi and a
 * {@code pagesize=1G} mount for 1Gi), and how many pages are reserved and free. Read from {@code /proc/meminfo}
 * ({@code HugePages_Total/Free/Rsvd/Surp}, {@code Hugepagesize}: the default size only), {@code /proc/mounts},
 * and sysfs {@code kernel/mm/hugepages} (every size).
 *
 * @param defaultSize  the kernel's default hugepage size ("2Mi"), null if the kernel has no hugetlb support
 * @param totalPages   {@code HugePages_Total} (default size)
 * @param freePages    {@code HugePages_Free}
 * @param reservedPages {@code HugePages_Rsvd}: promised to mappings but not faulted in yet
 * @param surplusPages {@code HugePages_Surp}
 * @param bySize       per size, host-wide, from sysfs
 * @param mounts       hugetlbfs mount points per page size
 */
public record HugetlbfsCheck(String defaultSize, long totalPages, long freePages, long reservedPages,
                             long surplusPages, Map<String, HugepageCount> bySize, Map<String, List<Path>> mounts) {

    public HugetlbfsCheck {
        bySize = Collections.unmodifiableMap(new TreeMap<>(bySize));
        Map<String, List<Path>> m = new TreeMap<>();
        mounts.forEach((k, v) -> m.put(k, List.copyOf(v)));
        mounts = Collections.unmodifiableMap(m);
    }

    /** Reads {@code procRoot/meminfo}, {@code procRoot/mounts} and {@code sysRoot/kernel/mm/hugepages}. */
    public static HugetlbfsCheck read(Path procRoot, Path sysRoot) {
        Path meminfo = procRoot.resolve("meminfo");
        Optional<Long> sizeKb = meminfo(meminfo, "Hugepagesize:");
        String dflt = sizeKb.filter(k -> k > 0).map(SysfsTopology::sizeName).orElse(null);
        Map<String, List<Path>> mounts = new TreeMap<>();
        try {
            for (String line : Files.readAllLines(procRoot.resolve("mounts"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 4 || !f[2].equals("hugetlbfs")) {
                    continue;
                }
                String size = dflt;
                for (String opt : f[3].split(",")) {
                    if (opt.startsWith("pagesize=")) {
                        size = mountPageSize(opt.substring("pagesize=".length()));
                    }
                }
                if (size != null) {
                    mounts.computeIfAbsent(size, k -> new ArrayList<>()).add(Path.of(unescape(f[1])));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // no mounts table: nothing is mounted as far as we can tell
        }
        return new HugetlbfsCheck(dflt, meminfo(meminfo, "HugePages_Total:").orElse(0L),
                meminfo(meminfo, "HugePages_Free:").orElse(0L), meminfo(meminfo, "HugePages_Rsvd:").orElse(0L),
                meminfo(meminfo, "HugePages_Surp:").orElse(0L), SysfsTopology.hugepagesHostWide(sysRoot), mounts);
    }

    /** {@code /proc/self/mounts} and {@code /sys} of this machine. */
    public static HugetlbfsCheck read() {
        return read(Path.of("/proc"), Path.of("/sys"));
    }

    /** Whether a hugetlbfs of this page size ("2Mi", "1Gi") is mounted. */
    public boolean mounted(String size) {
        return mounts.containsKey(size);
    }

    /** The first hugetlbfs mount point of this page size. */
    public Optional<Path> mountPoint(String size) {
        List<Path> m = mounts.get(size);
        return m == null || m.isEmpty() ? Optional.empty() : Optional.of(m.get(0));
    }

    /** Pages of this size reserved host-wide and free (0/0 if the size is unknown). */
    public HugepageCount pages(String size) {
        return bySize.getOrDefault(size, new HugepageCount(0, 0));
    }

    /** Whether a guest with this page size could get its memory: pages reserved and a mount to map them from. */
    public boolean usable(String size) {
        return mounted(size) && pages(size).total() > 0;
    }

    /** What stands in the way of hugepage-backed guests, one line per problem; empty when nothing does. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        bySize.forEach((size, c) -> {
            if (c.total() > 0 && !mounted(size)) {
                out.add(c.total() + " hugepages-" + size + " are reserved but no hugetlbfs with pagesize="
                        + size.replace("i", "") + " is mounted; libvirt cannot map them (mount -t hugetlbfs -o "
                        + "pagesize=" + size.replace("i", "") + " none /dev/hugepages" + (size.equals(defaultSize)
                        ? "" : size) + ")");
            }
        });
        return out;
    }

    /** {@code pagesize=} as the kernel prints it ("2M", "1G", "64K", or bytes on old kernels) → "2Mi". */
    static String mountPageSize(String v) {
        long kb;
        char unit = Character.toUpperCase(v.charAt(v.length() - 1));
        if (Character.isDigit(unit)) {
            kb = Long.parseLong(v) / 1024;
        } else {
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            kb = switch (unit) {
                case 'K' -> n;
                case 'M' -> n * 1024;
                case 'G' -> n * 1024 * 1024;
                default -> throw new IllegalArgumentException("bad pagesize " + v);
            };
        }
        return SysfsTopology.sizeName(kb);
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Optional<Long> meminfo(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].equals(key)) {
                    return Optional.of(Long.parseLong(f[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // absent: unknown
        }
        return Optional.empty();
    }
}
