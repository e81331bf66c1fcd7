package io.jvirt.placement;

import java.util.Map;
import java.util.Set;

/**
 * What is already taken on a node: CPUs given exclusively to running guests (vCPUs and emulator threads), and
 * hugepages in use per NUMA node and page size (in pages).
 */
public record HostUsage(Set<Integer> exclusiveCpus, Map<Integer, Map<String, Long>> hugepagesUsed) {
    public static final HostUsage EMPTY = new HostUsage(Set.of(), Map.of());

    public HostUsage {
        exclusiveCpus = Set.copyOf(exclusiveCpus);
        hugepagesUsed = Map.copyOf(hugepagesUsed);
    }
}
