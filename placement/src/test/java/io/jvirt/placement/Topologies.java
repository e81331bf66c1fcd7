package io.jvirt.placement;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Host topologies for tests: a small builder and the fixtures named in the issue. */
final class Topologies {
    static final long GI = 1L << 30;
    static final long MI = 1L << 20;

    private Topologies() {
    }

    /**
     * Seed 002's benchmark server: Xeon Silver 4208, 2 sockets × 8 cores × 2 threads = 32 CPUs, 2 NUMA nodes
     * (== sockets), 16 GiB each, Linux numbering (CPU i and i+16 are siblings). Hugepages are not in the seed; the
     * fixture gives each node 4096 × 2Mi (8 GiB, as seed 000 sets aside).
     */
    static HostTopology seed002() {
        return builder(2, 8, 2).nodes(2).memoryPerNode(16 * GI).hugepages("2Mi", 4096).build();
    }

    /**
     * Seed 000's Harvester node "workshop": the kubelet state shows CPUs 0-19 in one default set, allocatable cpu 19
     * after {@code reserved-cpus=2}, {@code full-pcpus-only=true}, and the 2-vCPU guest on CPUs "2-3" — a whole core
     * under full-pcpus-only, so sibling threads are numbered next to each other (2k, 2k+1). One NUMA node, 4196 ×
     * 2Mi hugepages (8392Mi), ~64 GiB. CPU 2 is reserved.
     */
    static HostTopology seed000() {
        return builder(1, 10, 2).adjacentSiblings().memoryPerNode(64 * GI).hugepages("2Mi", 4196).reserved(2).build();
    }

    /** 2 sockets × 8 cores × 2 threads split into 4 NUMA nodes (sub-NUMA clustering), 1024 × 2Mi per node. */
    static HostTopology fourNode() {
        return builder(2, 8, 2).nodes(4).memoryPerNode(8 * GI).hugepages("2Mi", 1024).build();
    }

    /** 2 sockets × 16 cores × 2 threads = 64 CPUs in 8 NUMA nodes (NPS4-like), 512 × 2Mi and 2 × 1Gi per node. */
    static HostTopology eightNode() {
        return builder(2, 16, 2).nodes(8).memoryPerNode(8 * GI).hugepages("2Mi", 512).hugepages("1Gi", 2).build();
    }

    /** The machine the tests run on: 2 CPUs, 1 NUMA node, no SMT, no hugepages. */
    static HostTopology thisMachine() {
        return builder(1, 2, 1).memoryPerNode(4 * GI).build();
    }

    static Builder builder(int sockets, int coresPerSocket, int threadsPerCore) {
        return new Builder(sockets, coresPerSocket, threadsPerCore);
    }

    static final class Builder {
        private final int sockets;
        private final int cores;
        private final int threads;
        private int nodes = -1;
        private boolean adjacent;
        private long memory = 8 * GI;
        private final Map<String, Long> hugepages = new LinkedHashMap<>();
        private final Map<Integer, Map<String, Long>> hugepagesByNode = new HashMap<>();
        private final Set<Integer> reserved = new TreeSet<>();

        Builder(int sockets, int cores, int threads) {
            this.sockets = sockets;
            this.cores = cores;
            this.threads = threads;
        }

        /** NUMA nodes; cores are divided evenly in order (default: one node per socket). */
        Builder nodes(int n) {
            this.nodes = n;
            return this;
        }

        /** Sibling threads get consecutive ids (2k, 2k+1) instead of Linux's (i, i + cores in the machine). */
        Builder adjacentSiblings() {
            this.adjacent = true;
            return this;
        }

        Builder memoryPerNode(long bytes) {
            this.memory = bytes;
            return this;
        }

        Builder hugepages(String size, long pagesPerNode) {
            hugepages.put(size, pagesPerNode);
            return this;
        }

        Builder hugepagesOn(int node, String size, long pages) {
            hugepagesByNode.computeIfAbsent(node, k -> new LinkedHashMap<>()).put(size, pages);
            return this;
        }

        Builder reserved(Integer... cpus) {
            reserved.addAll(List.of(cpus));
            return this;
        }

        HostTopology build() {
            int totalCores = sockets * cores;
            int n = nodes > 0 ? nodes : sockets;
            List<Cpu> cpus = new ArrayList<>();
            for (int s = 0; s < sockets; s++) {
                for (int c = 0; c < cores; c++) {
                    int global = s * cores + c;
                    int node = (int) ((long) global * n / totalCores);
                    for (int t = 0; t < threads; t++) {
                        int id = adjacent ? global * threads + t : t * totalCores + global;
                        cpus.add(new Cpu(id, c, s, node));
                    }
                }
            }
            cpus.sort((a, b) -> Integer.compare(a.id(), b.id()));
            List<NumaNode> numa = new ArrayList<>();
            int nodesPerSocket = Math.max(1, n / sockets);
            for (int i = 0; i < n; i++) {
                List<Integer> distances = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    distances.add(i == k ? 10 : i / nodesPerSocket == k / nodesPerSocket ? 12 : 21);
                }
                Map<String, Long> pages = new LinkedHashMap<>(hugepages);
                pages.putAll(hugepagesByNode.getOrDefault(i, Map.of()));
                numa.add(new NumaNode(i, memory, pages, distances));
            }
            return new HostTopology(cpus, numa, reserved);
        }
    }

    /** A request with every field spelled out; {@code memory} is in bytes. */
    static Request dedicated(int vcpus, int threadsPerCore) {
        return new Request(vcpus, threadsPerCore, true, false, false, null, GI, false);
    }

    static Request with(Request r, boolean isolate, boolean passthrough, String pageSize, long memory,
                        boolean fullPcpusOnly) {
        return new Request(r.vcpus(), r.threadsPerCore(), r.dedicated(), isolate, passthrough, pageSize, memory,
                fullPcpusOnly);
    }
}
