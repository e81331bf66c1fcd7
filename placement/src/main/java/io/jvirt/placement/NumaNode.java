package io.jvirt.placement;

import java.util.List;
import java.util.Map;

/**
 * One host NUMA node.
 *
 * @param memoryBytes     total memory of the node
 * @param hugepagesTotal  hugepages reserved on this node, by page size ("2Mi", "1Gi") in pages
 * @param distances       the node's SLIT distances to every node, indexed by node id
 */
public record NumaNode(int id, long memoryBytes, Map<String, Long> hugepagesTotal, List<Integer> distances) {
    public NumaNode {
        hugepagesTotal = Map.copyOf(hugepagesTotal);
        distances = List.copyOf(distances);
    }
}
