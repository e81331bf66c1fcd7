package io.jvirt.node.topology;

import io.jvirt.placement.Cpu;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.NumaNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the host's CPU and NUMA topology from sysfs, the way the kubelet's CPU and topology managers see it
 * (through cAdvisor): online logical CPUs with their {@code core_id}, {@code physical_package_id} and
 * {@code thread_siblings_list}; NUMA nodes with their CPU list, {@code MemTotal}, SLIT distances and hugepages per
 * size. A kernel without NUMA support ({@code devices/system/node} absent) is one node 0 holding every CPU, with
 * memory from {@code /proc/meminfo} and hugepages from {@code kernel/mm/hugepages}.
 *
 * <p>The sysfs root is a parameter so tests read fixture trees; {@code procRoot} is only consulted for that
 * non-NUMA fallback. Files read (nothing else):
 * <pre>
 * devices/system/cpu/online
 * devices/system/cpu/cpuN/topology/{core_id,physical_package_id,thread_siblings_list}
 * devices/system/node/online                      (optional; else the nodeN directories)
 * devices/system/node/nodeN/{cpulist,meminfo,distance}
 * devices/system/node/nodeN/hugepages/hugepages-SIZEkB/{nr_hugepages,free_hugepages}
 * kernel/mm/hugepages/hugepages-SIZEkB/{nr_hugepages,free_hugepages}   (non-NUMA fallback)
 * </pre>
 *
 * <p>{@link Cpu#core()} is the kernel's {@code core_id} when (socket, core_id) groups the CPUs exactly as
 * {@code thread_siblings_list} does. On hosts where it does not (core ids repeat across dies of one package),
 * the core of a CPU is the lowest CPU number among its thread siblings, which is unique on the host.
 */
public final class SysfsTopology {
    /** The distance ACPI SLIT uses for "unreachable"; fills the gaps when node ids are sparse. */
    static final int UNREACHABLE = 255;
    private static final Pattern NODE_DIR = Pattern.compile("node(\\d+)");
    private static final Pattern CPU_DIR = Pattern.compile("cpu(\\d+)");
    private static final Pattern HUGE_DIR = Pattern.compile("hugepages-(\\d+)kB");

    private SysfsTopology() {
    }

    /** {@link #read(Path, Path, Set)} with procfs next to sysfs ({@code /sys} → {@code /proc}). */
    public static HostTopology read(Path sysRoot, Set<Integer> reservedCpus) {
        return read(sysRoot, sysRoot.resolveSibling("proc"), reservedCpus);
    }

    /**
     * The host's topology. {@code reservedCpus} (the kubelet's {@code --reserved-cpus}) must all be online.
     *
     * @throws IllegalArgumentException if a reserved CPU is not online, or sysfs is inconsistent
     * @throws UncheckedIOException     if a required file cannot be read
     */
    public static HostTopology read(Path sysRoot, Path procRoot, Set<Integer> reservedCpus) {
        SortedSet<Integer> online = onlineCpus(sysRoot);
        if (online.isEmpty()) {
            throw new IllegalArgumentException("no online CPUs under " + sysRoot.resolve("devices/system/cpu"));
        }
        if (!online.containsAll(reservedCpus)) {
            TreeSet<Integer> missing = new TreeSet<>(reservedCpus);
            missing.removeAll(online);
            throw new IllegalArgumentException("reserved-cpus \"" + CpuList.format(reservedCpus)
                    + "\" includes CPUs that are not online on this host: \"" + CpuList.format(missing)
                    + "\" (online: \"" + CpuList.format(online) + "\")");
        }
        Map<Integer, Integer> cpuNode = new HashMap<>();
        List<NumaNode> nodes = new ArrayList<>();
        SortedMap<Integer, Path> nodeDirs = nodeDirs(sysRoot);
        if (nodeDirs.isEmpty()) {
            Map<String, Long> huge = new TreeMap<>();
            hugepageDir(sysRoot.resolve("kernel/mm/hugepages")).forEach((k, v) -> huge.put(k, v.total()));
            long mem = meminfoKb(procRoot.resolve("meminfo"), "MemTotal:").orElse(0L) * 1024;
            nodes.add(new NumaNode(0, mem, huge, List.of(10)));
            online.forEach(c -> cpuNode.put(c, 0));
        } else {
            List<Integer> onlineNodes = onlineNodes(sysRoot, nodeDirs.keySet());
            for (Map.Entry<Integer, Path> e : nodeDirs.entrySet()) {
                int id = e.getKey();
                Path dir = e.getValue();
                for (int c : CpuList.parse(readOr(dir.resolve("cpulist"), ""))) {
                    if (online.contains(c)) {
                        Integer prev = cpuNode.putIfAbsent(c, id);
                        if (prev != null) {
                            throw new IllegalArgumentException("CPU " + c + " listed in NUMA nodes " + prev
                                    + " and " + id);
                        }
                    }
                }
                long mem = meminfoKb(dir.resolve("meminfo"), "MemTotal:").orElse(0L) * 1024;
                Map<String, Long> huge = new TreeMap<>();
                hugepageDir(dir.resolve("hugepages")).forEach((k, v) -> huge.put(k, v.total()));
                nodes.add(new NumaNode(id, mem, huge, distances(dir, onlineNodes, nodeDirs.lastKey())));
            }
            int first = nodeDirs.firstKey();
            online.forEach(c -> cpuNode.putIfAbsent(c, first));
        }
        return new HostTopology(cpus(sysRoot, online, cpuNode), nodes, reservedCpus);
    }

    /** Online CPUs: {@code devices/system/cpu/online}, else every {@code cpuN} with a topology directory. */
    public static SortedSet<Integer> onlineCpus(Path sysRoot) {
        Path cpuDir = sysRoot.resolve("devices/system/cpu");
        Optional<String> online = read(cpuDir.resolve("online"));
        if (online.isPresent()) {
            return CpuList.parse(online.get());
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (Map.Entry<Integer, Path> e : numbered(cpuDir, CPU_DIR).entrySet()) {
            if (Files.isDirectory(e.getValue().resolve("topology"))) {
                out.add(e.getKey());
            }
        }
        return Collections.unmodifiableSortedSet(out);
    }

    /**
     * Hugepages per NUMA node and page size ({@code "2Mi"}, {@code "1Gi"}), total and free; a non-NUMA kernel
     * reports the host-wide pools as node 0.
     */
    public static Map<Integer, Map<String, HugepageCount>> hugepages(Path sysRoot) {
        SortedMap<Integer, Path> nodeDirs = nodeDirs(sysRoot);
        Map<Integer, Map<String, HugepageCount>> out = new TreeMap<>();
        if (nodeDirs.isEmpty()) {
            out.put(0, hugepageDir(sysRoot.resolve("kernel/mm/hugepages")));
        } else {
            nodeDirs.forEach((id, dir) -> out.put(id, hugepageDir(dir.resolve("hugepages"))));
        }
        return Collections.unmodifiableMap(out);
    }

    /** Host-wide hugepage pools by size, from {@code kernel/mm/hugepages}. */
    public static Map<String, HugepageCount> hugepagesHostWide(Path sysRoot) {
        return hugepageDir(sysRoot.resolve("kernel/mm/hugepages"));
    }

    /** The Kubernetes name of a page size given in KiB: 2048 → {@code 2Mi}, 1048576 → {@code 1Gi}. */
    public static String sizeName(long kib) {
        if (kib <= 0) {
            throw new IllegalArgumentException("page size must be positive: " + kib + " KiB");
        }
        String[] units = {"Ki", "Mi", "Gi", "Ti", "Pi"};
        long v = kib;
        int u = 0;
        while (u < units.length - 1 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }

    /** Bytes of a page size name ({@code 2Mi} → 2097152); the inverse of {@link #sizeName}. */
    public static long sizeBytes(String name) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|Pi)").matcher(name == null ? "" : name);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a hugepage size: " + name);
        }
        int shift = switch (m.group(2)) {
            case "Ki" -> 10;
            case "Mi" -> 20;
            case "Gi" -> 30;
            case "Ti" -> 40;
            default -> 50;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    private static List<Cpu> cpus(Path sysRoot, SortedSet<Integer> online, Map<Integer, Integer> cpuNode) {
        Path cpuDir = sysRoot.resolve("devices/system/cpu");
        Map<Integer, Integer> socket = new HashMap<>();
        Map<Integer, Integer> coreId = new HashMap<>();
        Map<Integer, SortedSet<Integer>> siblings = new HashMap<>();
        for (int c : online) {
            Path t = cpuDir.resolve("cpu" + c).resolve("topology");
            int pkg = (int) readLong(t.resolve("physical_package_id"), 0);
            socket.put(c, Math.max(pkg, 0));
            coreId.put(c, (int) readLong(t.resolve("core_id"), c));
            read(t.resolve("thread_siblings_list")).ifPresent(s -> {
                TreeSet<Integer> sib = new TreeSet<>(CpuList.parse(s));
                sib.retainAll(online);
                sib.add(c);
                siblings.put(c, sib);
            });
        }
        // (socket, core_id) must group CPUs exactly as thread_siblings_list does; otherwise core ids repeat
        // across dies and the lowest sibling names the core instead.
        Map<List<Integer>, SortedSet<Integer>> byCore = new HashMap<>();
        for (int c : online) {
            byCore.computeIfAbsent(List.of(socket.get(c), coreId.get(c)), k -> new TreeSet<>()).add(c);
        }
        boolean consistent = true;
        for (int c : online) {
            SortedSet<Integer> sib = siblings.get(c);
            if (sib != null && !sib.equals(byCore.get(List.of(socket.get(c), coreId.get(c))))) {
                consistent = false;
                break;
            }
        }
        List<Cpu> out = new ArrayList<>();
        for (int c : online) {
            int core = consistent || !siblings.containsKey(c) ? coreId.get(c) : siblings.get(c).first();
            out.add(new Cpu(c, core, socket.get(c), cpuNode.get(c)));
        }
        return out;
    }

    private static List<Integer> distances(Path nodeDir, List<Integer> onlineNodes, int maxId) {
        String line = readOr(nodeDir.resolve("distance"), "").strip();
        if (line.isEmpty()) {
            List<Integer> d = new ArrayList<>();
            for (int i = 0; i <= maxId; i++) {
                d.add(("node" + i).equals(nodeDir.getFileName().toString()) ? 10 : UNREACHABLE);
            }
            return d;
        }
        String[] vals = line.split("\\s+");
        if (vals.length != onlineNodes.size()) {
            throw new IllegalArgumentException(nodeDir.resolve("distance") + " has " + vals.length
                    + " entries for " + onlineNodes.size() + " online nodes");
        }
        Integer[] d = new Integer[maxId + 1];
        java.util.Arrays.fill(d, UNREACHABLE);
        for (int i = 0; i < vals.length; i++) {
            int id = onlineNodes.get(i);
            if (id <= maxId) {
                d[id] = Integer.parseInt(vals[i]);
            }
        }
        return List.of(d);
    }

    private static List<Integer> onlineNodes(Path sysRoot, Set<Integer> dirs) {
        return read(sysRoot.resolve("devices/system/node/online"))
                .map(s -> List.copyOf(CpuList.parse(s)))
                .orElseGet(() -> List.copyOf(new TreeSet<>(dirs)));
    }

    private static SortedMap<Integer, Path> nodeDirs(Path sysRoot) {
        return numbered(sysRoot.resolve("devices/system/node"), NODE_DIR);
    }

    private static SortedMap<Integer, Path> numbered(Path dir, Pattern p) {
        SortedMap<Integer, Path> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(f -> {
                Matcher m = p.matcher(f.getFileName().toString());
                if (m.matches() && Files.isDirectory(f)) {
                    out.put(Integer.parseInt(m.group(1)), f);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** {@code hugepages-SIZEkB/{nr,free}_hugepages} under {@code dir}, by size name; empty if absent. */
    static Map<String, HugepageCount> hugepageDir(Path dir) {
        Map<String, HugepageCount> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                Matcher m = HUGE_DIR.matcher(f.getFileName().toString());
                if (m.matches()) {
                    long total = readLong(f.resolve("nr_hugepages"), 0);
                    long free = Math.min(total, readLong(f.resolve("free_hugepages"), total));
                    out.put(sizeName(Long.parseLong(m.group(1))), new HugepageCount(total, free));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(out);
    }

    /** A {@code Key: N kB} value of {@code /proc/meminfo} or a node's {@code meminfo} ("Node 0 MemTotal: ..."). */
    static Optional<Long> meminfoKb(Path file, String key) {
        Optional<String> text = read(file);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        for (String line : text.get().split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals(key)) {
                    try {
                        return Optional.of(Long.parseLong(f[i + 1]));
                    } catch (NumberFormatException e) {
                        return Optional.empty();
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static long readLong(Path p, long dflt) {
        Optional<String> s = read(p);
        if (s.isEmpty()) {
            return dflt;
        }
        try {
            return Long.parseLong(s.get().strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number in " + p + ": \"" + s.get().strip() + "\"");
        }
    }

    private static String readOr(Path p, String dflt) {
        return read(p).orElse(dflt);
    }

    private static Optional<String> read(Path p) {
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(p));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
