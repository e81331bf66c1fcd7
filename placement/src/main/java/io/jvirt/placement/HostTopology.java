package io.jvirt.placement;

import java.util.List;
import java.util.Set;

/**
 * What a node has: its logical CPUs with their core/socket/NUMA placement, its NUMA nodes, and the CPUs reserved
 * for the system (the kubelet's {@code reserved-cpus}), which are never handed out as exclusive CPUs.
 */
public record HostTopology(List<Cpu> cpus, List<NumaNode> nodes, Set<Integer> reservedCpus) {
    public HostTopology {
        cpus = List.copyOf(cpus);
        nodes = List.copyOf(nodes);
        reservedCpus = Set.copyOf(reservedCpus);
    }
}
