package io.jvirt.node.topology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Generates the sysfs/procfs fixture trees under {@code src/test/resources/sysfs/<name>/{sys,proc}} — only the
 * files {@link SysfsTopology} and {@code HugetlbfsCheck} read, formatted as the kernel writes them. Regenerate
 * with {@code java -cp target/test-classes:target/classes:<deps> io.jvirt.node.topology.SysfsFixtures
 * src/test/resources/sysfs}; {@code SysfsFixturesTest} checks the checked-in trees match this class.
 */
public final class SysfsFixtures {
    /** One logical CPU: its package, die (only to tell sibling groups apart), core_id, node, online. */
    public record CpuSpec(int id, int socket, int die, int core, int node, boolean online) {
    }

    /** One NUMA node: MemTotal, SLIT row, hugepages by size in kB → {nr, free}. */
    public record NodeSpec(int id, long memKb, List<Integer> distances, Map<Long, long[]> huge) {
    }

    /** A host; {@code numa=false} writes no devices/system/node (CONFIG_NUMA off) and puts memory in meminfo. */
    public record Host(String name, List<CpuSpec> cpus, List<NodeSpec> nodes, boolean numa, long defaultHugeKb,
                       List<String> mounts) {
    }

    public static final String GEN_2M = "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0";

    /** Seed 002: Xeon Silver 4208 ×2, 8 cores × 2 threads each, a NUMA node per socket, 16 GiB each. */
    public static Host seed002() {
        List<CpuSpec> cpus = new ArrayList<>();
        int[][] coreIds = {{0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 8, 9, 10, 11}};
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < 8; i++) {
                    cpus.add(new CpuSpec(t * 16 + s * 8 + i, s, 0, coreIds[s][i], s, true));
                }
            }
        }
        Map<Long, long[]> huge = Map.of(2048L, new long[] {1024, 1024}, 1048576L, new long[] {0, 0});
        return new Host("seed002-xeon4208", cpus, List.of(
                new NodeSpec(0, 16281764, List.of(10, 21), huge),
                new NodeSpec(1, 16505016, List.of(21, 10), huge)), true, 2048, List.of(GEN_2M));
    }

    /** Seed 000: Harvester's 20-CPU "workshop" node, siblings numbered adjacently, 4196 × 2Mi hugepages. */
    public static Host seed000() {
        List<CpuSpec> cpus = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
            cpus.add(new CpuSpec(c, 0, 0, c / 2, 0, true));
        }
        Map<Long, long[]> huge = Map.of(2048L, new long[] {4196, 4196}, 1048576L, new long[] {0, 0});
        return new Host("seed000-harvester", cpus, List.of(new NodeSpec(0, 65654336, List.of(10), huge)), true,
                2048, List.of(GEN_2M));
    }

    /** Four sockets × 6 cores × 2 threads, one node per socket, ring distances, 2Mi and 1Gi pools. */
    public static Host fourNode() {
        List<CpuSpec> cpus = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 4; s++) {
                for (int i = 0; i < 6; i++) {
                    cpus.add(new CpuSpec(t * 24 + s * 6 + i, s, 0, i, s, true));
                }
            }
        }
        long[] mem = {32856276, 33025312, 33025312, 33009036};
        int[][] dist = {{10, 16, 16, 22}, {16, 10, 22, 16}, {16, 22, 10, 16}, {22, 16, 16, 10}};
        List<NodeSpec> nodes = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            long gig = n < 2 ? 4 : 0;
            nodes.add(new NodeSpec(n, mem[n], List.of(dist[n][0], dist[n][1], dist[n][2], dist[n][3]),
                    Map.of(2048L, new long[] {512, n == 2 ? 312 : 512}, 1048576L, new long[] {gig, gig})));
        }
        return new Host("four-node", cpus, nodes, true, 2048, List.of(GEN_2M,
                "hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1G 0 0"));
    }

    /** EPYC-like: 2 sockets × 16 cores × 2 threads, NPS4 (8 nodes of 4 cores), 1Gi default hugepages. */
    public static Host eightNode() {
        List<CpuSpec> cpus = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < 16; i++) {
                    cpus.add(new CpuSpec(t * 32 + s * 16 + i, s, 0, (i / 4) * 8 + i % 4, s * 4 + i / 4, true));
                }
            }
        }
        List<NodeSpec> nodes = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            List<Integer> d = new ArrayList<>();
            for (int m = 0; m < 8; m++) {
                d.add(m == n ? 10 : m / 4 == n / 4 ? 12 : 32);
            }
            nodes.add(new NodeSpec(n, 16_369_276 + (n == 0 ? -262_144 : 0), d,
                    Map.of(2048L, new long[] {0, 0}, 1048576L, new long[] {8, n == 5 ? 6 : 8})));
        }
        return new Host("eight-node", cpus, nodes, true, 1048576,
                List.of("hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=1024M 0 0"));
    }

    /** The checked-in tree of a fixture host ({@code sysfs/<name>}, holding {@code sys/} and {@code proc/}). */
    public static Path resource(String name) {
        try {
            return Path.of(SysfsFixtures.class.getResource("/sysfs/" + name).toURI());
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " not on the test classpath", e);
        }
    }

    public static List<Host> all() {
        return List.of(seed002(), seed000(), fourNode(), eightNode());
    }

    /** Writes {@code host} under {@code root/<name>/{sys,proc}}; returns {@code root/<name>}. */
    public static Path write(Host host, Path root) throws IOException {
        Path base = root.resolve(host.name());
        Path sys = base.resolve("sys");
        Path cpuDir = sys.resolve("devices/system/cpu");
        TreeSet<Integer> online = new TreeSet<>();
        Map<List<Integer>, TreeSet<Integer>> groups = new LinkedHashMap<>();
        for (CpuSpec c : host.cpus()) {
            if (c.online()) {
                online.add(c.id());
                groups.computeIfAbsent(List.of(c.socket(), c.die(), c.core()), k -> new TreeSet<>()).add(c.id());
            }
        }
        put(cpuDir.resolve("online"), CpuList.format(online));
        for (CpuSpec c : host.cpus()) {
            if (!c.online()) {
                continue;
            }
            Path t = cpuDir.resolve("cpu" + c.id()).resolve("topology");
            put(t.resolve("core_id"), Integer.toString(c.core()));
            put(t.resolve("physical_package_id"), Integer.toString(c.socket()));
            put(t.resolve("thread_siblings_list"),
                    CpuList.format(groups.get(List.of(c.socket(), c.die(), c.core()))));
        }
        Map<Long, long[]> global = new TreeMap<>();
        long memKb = 0;
        for (NodeSpec n : host.nodes()) {
            memKb += n.memKb();
            n.huge().forEach((kb, v) -> {
                long[] g = global.computeIfAbsent(kb, k -> new long[2]);
                g[0] += v[0];
                g[1] += v[1];
            });
        }
        if (host.numa()) {
            Path nodeDir = sys.resolve("devices/system/node");
            TreeSet<Integer> ids = new TreeSet<>();
            host.nodes().forEach(n -> ids.add(n.id()));
            put(nodeDir.resolve("online"), CpuList.format(ids));
            for (NodeSpec n : host.nodes()) {
                Path d = nodeDir.resolve("node" + n.id());
                TreeSet<Integer> cl = new TreeSet<>();
                host.cpus().stream().filter(c -> c.online() && c.node() == n.id()).forEach(c -> cl.add(c.id()));
                put(d.resolve("cpulist"), CpuList.format(cl));
                put(d.resolve("meminfo"), String.format("Node %d MemTotal:       %d kB%nNode %d MemFree:        %d kB",
                        n.id(), n.memKb(), n.id(), n.memKb() / 2));
                put(d.resolve("distance"), String.join(" ", n.distances().stream().map(String::valueOf).toList()));
                for (Map.Entry<Long, long[]> h : new TreeMap<>(n.huge()).entrySet()) {
                    Path hp = d.resolve("hugepages/hugepages-" + h.getKey() + "kB");
                    put(hp.resolve("nr_hugepages"), Long.toString(h.getValue()[0]));
                    put(hp.resolve("free_hugepages"), Long.toString(h.getValue()[1]));
                }
            }
        }
        for (Map.Entry<Long, long[]> h : global.entrySet()) {
            Path hp = sys.resolve("kernel/mm/hugepages/hugepages-" + h.getKey() + "kB");
            put(hp.resolve("nr_hugepages"), Long.toString(h.getValue()[0]));
            put(hp.resolve("free_hugepages"), Long.toString(h.getValue()[1]));
        }
        long[] dflt = global.getOrDefault(host.defaultHugeKb(), new long[2]);
        Path proc = base.resolve("proc");
        put(proc.resolve("meminfo"), String.join("\n",
                String.format("MemTotal:       %d kB", memKb),
                String.format("MemFree:        %d kB", memKb / 2),
                String.format("HugePages_Total:   %d", dflt[0]),
                String.format("HugePages_Free:    %d", dflt[1]),
                "HugePages_Rsvd:        0",
                "HugePages_Surp:        0",
                String.format("Hugepagesize:       %d kB", host.defaultHugeKb()),
                String.format("Hugetlb:        %d kB", global.entrySet().stream()
                        .mapToLong(e -> e.getKey() * e.getValue()[0]).sum())));
        List<String> mounts = new ArrayList<>(List.of(
                "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
                "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0"));
        mounts.addAll(host.mounts());
        put(proc.resolve("mounts"), String.join("\n", mounts));
        return base;
    }

    private static void put(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content + "\n");
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/sysfs");
        for (Host h : all()) {
            System.out.println("wrote " + write(h, root));
        }
    }
}
