package io.jvirt.placement;

import java.util.List;
import java.util.Map;

/** The fitter's answer: an allocation, or the reasons nothing fits. */
public sealed interface Outcome permits Outcome.Allocation, Outcome.Rejection {

    /**
     * Where a guest goes on a node.
     *
     * @param vcpuPins        host CPU of each vCPU, indexed by vCPU number (empty when not dedicated)
     * @param emulatorCpus    exclusive CPUs of the emulator thread (empty: it shares the node's shared pool)
     * @param cells           guest NUMA cells (empty unless NUMA passthrough)
     * @param hugepagesByNode hugepages taken per host NUMA node (pages of {@link Request#hugepageSize()})
     * @param score           how fragmented the host is left (lower is better); see the fitter for the formula
     * @param explanation     one line saying why this layout was chosen
     */
    record Allocation(List<Integer> vcpuPins, List<Integer> emulatorCpus, List<GuestCell> cells,
                      Map<Integer, Long> hugepagesByNode, double score, String explanation) implements Outcome {
        public Allocation {
            vcpuPins = List.copyOf(vcpuPins);
            emulatorCpus = List.copyOf(emulatorCpus);
            cells = List.copyOf(cells);
            hugepagesByNode = Map.copyOf(hugepagesByNode);
        }
    }

    /** A guest NUMA cell backed by one host node. */
    record GuestCell(int id, int hostNode, List<Integer> vcpus, long memoryBytes) {
        public GuestCell {
            vcpus = List.copyOf(vcpus);
        }
    }

    /** Why nothing fits: one reason per host NUMA node (or null node for host-wide reasons). */
    record Rejection(List<Reason> reasons) implements Outcome {
        public Rejection {
            reasons = List.copyOf(reasons);
        }

        /** All reasons in one line, as the VMI's PodScheduled condition shows them. */
        public String message() {
            return String.join("; ", reasons.stream().map(Reason::toString).toList());
        }
    }

    /** e.g. {@code NUMA node 1: 2 free full cores, needs 3}. */
    record Reason(Integer hostNode, String message) {
        @Override
        public String toString() {
            return hostNode == null ? message : "NUMA node " + hostNode + ": " + message;
        }
    }
}
