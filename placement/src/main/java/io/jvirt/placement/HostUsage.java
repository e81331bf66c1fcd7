package io.jvirt.placement;

import java.util.HashMap;
import java.util.HashSet;
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

    /** This usage with an allocation of {@code request} added (its vCPU and emulator CPUs, its hugepages). */
    public HostUsage plus(Request request, Outcome.Allocation a) {
        return apply(request, a, 1);
    }

    /** This usage with an allocation of {@code request} released again. */
    public HostUsage minus(Request request, Outcome.Allocation a) {
        return apply(request, a, -1);
    }

    private HostUsage apply(Request request, Outcome.Allocation a, int sign) {
        Set<Integer> cpus = new HashSet<>(exclusiveCpus);
        for (int cpu : a.vcpuPins()) {
            change(cpus, cpu, sign);
        }
        for (int cpu : a.emulatorCpus()) {
            change(cpus, cpu, sign);
        }
        Map<Integer, Map<String, Long>> pages = new HashMap<>();
        hugepagesUsed.forEach((node, bySize) -> pages.put(node, new HashMap<>(bySize)));
        if (!a.hugepagesByNode().isEmpty()) {
            if (request.hugepageSize() == null) {
                throw new IllegalArgumentException("allocation has hugepages but the request has no page size");
            }
            a.hugepagesByNode().forEach((node, n) -> {
                Map<String, Long> bySize = pages.computeIfAbsent(node, k -> new HashMap<>());
                long now = bySize.getOrDefault(request.hugepageSize(), 0L) + sign * n;
                if (now < 0) {
                    throw new IllegalArgumentException("releasing more hugepages than used on node " + node);
                }
                bySize.put(request.hugepageSize(), now);
            });
        }
        pages.replaceAll((node, bySize) -> Map.copyOf(bySize));
        return new HostUsage(cpus, pages);
    }

    private static void change(Set<Integer> cpus, int cpu, int sign) {
        boolean ok = sign > 0 ? cpus.add(cpu) : cpus.remove(cpu);
        if (!ok) {
            throw new IllegalArgumentException("CPU " + cpu + (sign > 0 ? " is already exclusive" : " is not in use"));
        }
    }
}
