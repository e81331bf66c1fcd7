package io.jvirt.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the fitter derives from a topology and its usage: free CPUs grouped into cores per NUMA node, and free
 * hugepages per node and page size. Nodes are addressed by index (ascending node id); cores within a node are
 * ordered by their lowest CPU id, threads within a core by id.
 */
final class HostView {

    /** A physical core: all its threads and the free ones (neither reserved nor exclusively used). */
    record Core(int socket, int core, int node, int[] threads, int[] free) {
        int total() {
            return threads.length;
        }

        int freeCount() {
            return free.length;
        }

        boolean fullFree() {
            return free.length == threads.length;
        }

        /** Some threads free, some not: a core that can no longer be given whole. */
        boolean partial() {
            return free.length > 0 && free.length < threads.length;
        }

        int lowest() {
            return threads[0];
        }
    }

    private record CoreKey(int socket, int core, int node) {
    }

    final HostTopology host;
    final HostUsage usage;
    final int[] nodeIds;
    final Map<Integer, Integer> indexOfNode = new HashMap<>();
    final List<List<Core>> cores = new ArrayList<>();
    final Map<Integer, Core> coreOfCpu = new HashMap<>();
    final Map<Integer, Integer> nodeOfCpu = new HashMap<>();
    final int[] eligible;
    final int[] free;
    /** Per node index: page size in bytes → total pages / used pages. */
    private final List<Map<Long, Long>> pagesTotal = new ArrayList<>();
    private final List<Map<Long, Long>> pagesUsed = new ArrayList<>();
    private final Map<Integer, NumaNode> nodeById = new HashMap<>();

    HostView(HostTopology host, HostUsage usage) {
        this.host = host;
        this.usage = usage;
        TreeSet<Integer> ids = new TreeSet<>();
        host.nodes().forEach(n -> {
            ids.add(n.id());
            nodeById.put(n.id(), n);
        });
        host.cpus().forEach(c -> ids.add(c.numaNode()));
        nodeIds = ids.stream().mapToInt(Integer::intValue).toArray();
        for (int i = 0; i < nodeIds.length; i++) {
            indexOfNode.put(nodeIds[i], i);
        }
        eligible = new int[nodeIds.length];
        free = new int[nodeIds.length];
        Map<CoreKey, List<Integer>> threads = new TreeMap<>(
                Comparator.comparingInt(CoreKey::node).thenComparingInt(CoreKey::socket).thenComparingInt(CoreKey::core));
        for (Cpu c : host.cpus()) {
            threads.computeIfAbsent(new CoreKey(c.socket(), c.core(), c.numaNode()), k -> new ArrayList<>()).add(c.id());
            nodeOfCpu.put(c.id(), c.numaNode());
        }
        for (int i = 0; i < nodeIds.length; i++) {
            cores.add(new ArrayList<>());
        }
        threads.forEach((key, ts) -> {
            int[] all = ts.stream().mapToInt(Integer::intValue).sorted().toArray();
            int[] fr = Arrays.stream(all).filter(this::isFree).toArray();
            Core core = new Core(key.socket(), key.core(), key.node(), all, fr);
            int ni = indexOfNode.get(key.node());
            cores.get(ni).add(core);
            for (int t : all) {
                coreOfCpu.put(t, core);
                if (!host.reservedCpus().contains(t)) {
                    eligible[ni]++;
                }
            }
            free[ni] += fr.length;
        });
        cores.forEach(l -> l.sort(Comparator.comparingInt(Core::lowest)));
        for (int i = 0; i < nodeIds.length; i++) {
            NumaNode n = nodeById.get(nodeIds[i]);
            pagesTotal.add(bySize(n == null ? Map.of() : n.hugepagesTotal()));
            pagesUsed.add(bySize(usage.hugepagesUsed().getOrDefault(nodeIds[i], Map.of())));
        }
    }

    private static Map<Long, Long> bySize(Map<String, Long> pages) {
        Map<Long, Long> out = new TreeMap<>();
        pages.forEach((size, n) -> {
            long bytes = Quantities.parse(size);
            if (bytes > 0 && n != null) {
                out.merge(bytes, n, Long::sum);
            }
        });
        return out;
    }

    boolean isFree(int cpu) {
        return !host.reservedCpus().contains(cpu) && !usage.exclusiveCpus().contains(cpu);
    }

    int nodeCount() {
        return nodeIds.length;
    }

    int totalFree() {
        return Arrays.stream(free).sum();
    }

    long totalPages(int ni, long pageBytes) {
        return pagesTotal.get(ni).getOrDefault(pageBytes, 0L);
    }

    long freePages(int ni, long pageBytes) {
        return Math.max(0, totalPages(ni, pageBytes) - pagesUsed.get(ni).getOrDefault(pageBytes, 0L));
    }

    int fullFreeCores(int ni) {
        return (int) cores.get(ni).stream().filter(Core::fullFree).count();
    }

    int partialCores(int ni) {
        return (int) cores.get(ni).stream().filter(Core::partial).count();
    }

    /** SLIT distance between two node indexes (10 local, 20 remote when the topology gives none). */
    int distance(int a, int b) {
        NumaNode n = nodeById.get(nodeIds[a]);
        int id = nodeIds[b];
        if (n != null && id < n.distances().size()) {
            return n.distances().get(id);
        }
        return a == b ? 10 : 20;
    }

    /** Hops from node a to node b: the SLIT distance above local, in tens (remote at 21 = 1.1 hops). */
    double hops(int a, int b) {
        return Math.max(0, distance(a, b) - distance(a, a)) / 10.0;
    }

    /**
     * How unevenly node {@code ni} is left between CPUs and hugepages once {@code takenCpus} more CPUs and
     * {@code takenPages} more pages of size {@code pageBytes} are taken: for every page size configured on the node,
     * (free CPU fraction − free page fraction)². A node with free pages but no free CPUs (or the reverse) strands
     * them for NUMA-aligned guests; squaring makes one badly stranded node cost more than two mildly uneven ones.
     */
    double imbalance(int ni, int takenCpus, long takenPages, long pageBytes) {
        if (eligible[ni] == 0) {
            return 0;
        }
        double cpuFree = Math.max(0, free[ni] - takenCpus) / (double) eligible[ni];
        double sum = 0;
        for (Map.Entry<Long, Long> e : pagesTotal.get(ni).entrySet()) {
            long total = e.getValue();
            if (total <= 0) {
                continue;
            }
            long freeNow = freePages(ni, e.getKey()) - (e.getKey() == pageBytes ? takenPages : 0);
            double d = cpuFree - Math.max(0, freeNow) / (double) total;
            sum += d * d;
        }
        return sum;
    }

    /** One line per node for logs: free CPUs, full cores, hugepages. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(host.cpus().size()).append(" CPUs, ").append(nodeIds.length).append(" NUMA node(s), reserved ")
                .append(new TreeSet<>(host.reservedCpus())).append(", exclusively used ")
                .append(new TreeSet<>(usage.exclusiveCpus()).size()).append('\n');
        for (int i = 0; i < nodeIds.length; i++) {
            sb.append("  node ").append(nodeIds[i]).append(": ").append(free[i]).append('/').append(eligible[i])
                    .append(" CPUs free, ").append(fullFreeCores(i)).append('/').append(cores.get(i).size())
                    .append(" cores fully free");
            for (Map.Entry<Long, Long> e : pagesTotal.get(i).entrySet()) {
                sb.append(", hugepages-").append(Quantities.format(e.getKey())).append(' ')
                        .append(freePages(i, e.getKey())).append('/').append(e.getValue()).append(" free");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
