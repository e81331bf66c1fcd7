package io.jvirt.placement;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The placement fitter: (host topology, current usage, request) → the best allocation or the reasons nothing fits.
 * Pure: no I/O, no mutation of its inputs, deterministic.
 *
 * <p>Rules (hard constraints):
 * <ul>
 *   <li>reserved CPUs and CPUs in {@link HostUsage#exclusiveCpus()} are never given; hugepages never beyond what is
 *       free per node;</li>
 *   <li>dedicated: one exclusive host CPU per vCPU, plus one for the emulator thread with
 *       {@code isolateEmulatorThread}; under {@code full-pcpus-only} only whole, fully free cores are taken and a
 *       core's threads that no vCPU needs are given to the emulator thread as padding (so no core is ever split,
 *       where the kubelet would refuse the pod with an SMT alignment error);</li>
 *   <li>NUMA passthrough (dedicated + hugepages): guest cells are the host nodes holding vCPUs, in host order; the
 *       memory is split evenly in whole pages, remainder pages to the first cells, each cell backed by pages free
 *       on its node; a guest core (threadsPerCore=2) never crosses cells;</li>
 *   <li>not dedicated: no pins; only hugepages are accounted, on one node when any has room, else on the fewest
 *       nodes (most free first).</li>
 * </ul>
 * Among all layouts obeying these, the one with the least {@link FitScore} is chosen (best fit; see there for the
 * formula). vCPUs are numbered in host-node order; ties go to lower node ids, then lower cores (by lowest CPU id),
 * then lower thread ids. A guest core's two vCPUs prefer sibling host threads (KubeVirt's FitCores), the emulator
 * CPU prefers the busiest guest cell's node.
 */
public final class Fitter {

    private Fitter() {
    }

    public static Outcome fit(HostTopology host, HostUsage usage, Request request) {
        List<Outcome.Reason> invalid = validate(request);
        if (!invalid.isEmpty()) {
            return new Outcome.Rejection(invalid);
        }
        HostView hv = new HostView(host, usage);
        Search s = new Search(hv, request);
        Outcome.Allocation a;
        if (request.dedicated()) {
            Search.Layout l = s.bestDedicated();
            if (l == null) {
                return new Outcome.Rejection(Shortfalls.of(s));
            }
            a = s.build(l);
        } else {
            a = bestShared(s);
            if (a == null) {
                return new Outcome.Rejection(Shortfalls.of(s));
            }
        }
        FitScore score = FitScore.of(host, usage, request, a);
        return new Outcome.Allocation(a.vcpuPins(), a.emulatorCpus(), a.cells(), a.hugepagesByNode(), score.total(),
                explanation(hv, request, a, score));
    }

    /** Everything a scheduler or a test wants to log about one fit. */
    public static FitterReport report(HostTopology host, HostUsage usage, Request request) {
        Outcome o = fit(host, usage, request);
        FitScore score = o instanceof Outcome.Allocation a ? FitScore.of(host, usage, request, a) : null;
        return new FitterReport(new HostView(host, usage).describe(), describe(request), o, score);
    }

    /** Multi-line readable form of an outcome. */
    public static String explain(Outcome outcome) {
        StringBuilder sb = new StringBuilder();
        switch (outcome) {
            case Outcome.Allocation a -> {
                sb.append("fits: ").append(a.explanation()).append('\n');
                if (!a.vcpuPins().isEmpty()) {
                    sb.append("  vCPU → host CPU:");
                    for (int v = 0; v < a.vcpuPins().size(); v++) {
                        sb.append(' ').append(v).append("→").append(a.vcpuPins().get(v));
                    }
                    sb.append('\n');
                }
                if (!a.emulatorCpus().isEmpty()) {
                    sb.append("  emulator thread: CPUs ").append(a.emulatorCpus()).append('\n');
                }
                for (Outcome.GuestCell c : a.cells()) {
                    sb.append("  guest cell ").append(c.id()).append(" → host node ").append(c.hostNode())
                            .append(": vCPUs ").append(c.vcpus()).append(", ")
                            .append(Quantities.format(c.memoryBytes())).append('\n');
                }
                if (!a.hugepagesByNode().isEmpty()) {
                    sb.append("  hugepages by node: ").append(new TreeMap<>(a.hugepagesByNode())).append('\n');
                }
                sb.append(String.format(java.util.Locale.ROOT, "  score: %.3f%n", a.score()));
            }
            case Outcome.Rejection rj -> {
                sb.append("does not fit:\n");
                rj.reasons().forEach(reason -> sb.append("  - ").append(reason).append('\n'));
            }
        }
        return sb.toString();
    }

    /** Bytes per hugepage of the request, 0 without hugepages (or with an unparsable size). */
    static long pageBytes(Request r) {
        return r.hugepageSize() == null ? 0 : Math.max(0, Quantities.parse(r.hugepageSize()));
    }

    /** KubeVirt's admission rules that concern placement, as host-wide reasons. */
    static List<Outcome.Reason> validate(Request r) {
        List<String> m = new ArrayList<>();
        if (r.vcpus() < 1) {
            m.add("vcpus must be at least 1 (got " + r.vcpus() + ")");
        }
        if (r.dedicated()) {
            if (r.threadsPerCore() < 1) {
                m.add("threadsPerCore must be at least 1 (got " + r.threadsPerCore() + ")");
            } else if (r.threadsPerCore() > 2) {
                m.add("Not more than two threads must be provided at spec.domain.cpu.threads (got "
                        + r.threadsPerCore() + ") when DedicatedCPUPlacement is true");
            } else if (r.vcpus() % r.threadsPerCore() != 0) {
                m.add(r.vcpus() + " vCPUs is not a multiple of " + r.threadsPerCore() + " threads per core");
            }
        }
        if (r.isolateEmulatorThread() && !r.dedicated()) {
            m.add("IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement");
        }
        if (r.numaPassthrough() && !r.dedicated()) {
            m.add("spec.domain.cpu.dedicatedCpuPlacement must be set to true when NUMA topology strategy is set in "
                    + "spec.domain.cpu.numa.guestMappingPassthrough");
        }
        if (r.numaPassthrough() && r.hugepageSize() == null) {
            m.add("spec.domain.memory.hugepages must be requested when NUMA topology strategy is set in "
                    + "spec.domain.cpu.numa.guestMappingPassthrough");
        }
        if (r.hugepageSize() != null) {
            long ps = Quantities.parse(r.hugepageSize());
            if (ps <= 0) {
                m.add("hugepage size '" + r.hugepageSize() + "' is not a quantity");
            } else if (r.memoryBytes() < ps) {
                m.add("memory " + Quantities.format(r.memoryBytes()) + " must be equal to or larger than page size "
                        + r.hugepageSize());
            } else if (r.memoryBytes() % ps != 0) {
                m.add("memory " + Quantities.format(r.memoryBytes()) + " is not a multiple of the page size "
                        + r.hugepageSize());
            }
        }
        return m.stream().map(s -> new Outcome.Reason(null, s)).toList();
    }

    private static Outcome.Allocation bestShared(Search s) {
        List<long[]> plans = s.pagePlans();
        long[] best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (long[] plan : plans) {
            double cost = 0;
            int anchor = -1;
            for (int j = 0; j < plan.length; j++) {
                if (plan[j] > 0) {
                    anchor = anchor < 0 ? j : anchor;
                    cost += FitScore.W_NODE + FitScore.W_SPREAD * s.hv.hops(anchor, j);
                }
                cost += FitScore.W_IMBALANCE * s.hv.imbalance(j, 0, plan[j], s.pageBytes);
            }
            if (cost < bestCost - Search.EPS) {
                bestCost = cost;
                best = plan;
            }
        }
        if (best == null) {
            return null;
        }
        Map<Integer, Long> pages = new TreeMap<>();
        for (int j = 0; j < best.length; j++) {
            if (best[j] > 0) {
                pages.put(s.hv.nodeIds[j], best[j]);
            }
        }
        return new Outcome.Allocation(List.of(), List.of(), List.of(), pages, 0, "");
    }

    /** "4 vCPUs (2 threads/core), dedicated, isolated emulator thread, NUMA passthrough, 4Gi of hugepages-2Mi". */
    static String describe(Request r) {
        List<String> p = new ArrayList<>();
        p.add(r.vcpus() + " vCPU(s)" + (r.threadsPerCore() == 2 ? " (2 threads/core)" : ""));
        p.add(r.dedicated() ? "dedicated" : "shared CPUs");
        if (r.isolateEmulatorThread()) {
            p.add("isolated emulator thread");
        }
        if (r.numaPassthrough()) {
            p.add("NUMA passthrough");
        }
        if (r.hugepageSize() != null) {
            p.add(Quantities.format(r.memoryBytes()) + " of hugepages-" + r.hugepageSize());
        } else {
            p.add(Quantities.format(r.memoryBytes()) + " of memory");
        }
        if (r.fullPcpusOnly() && r.dedicated()) {
            p.add("full-pcpus-only");
        }
        return String.join(", ", p);
    }

    /** One line saying why this layout was chosen. */
    private static String explanation(HostView hv, Request r, Outcome.Allocation a, FitScore score) {
        List<String> p = new ArrayList<>();
        if (!r.dedicated()) {
            p.add("shared CPUs, nothing pinned");
        } else {
            Set<Integer> vNodes = new TreeSet<>();
            a.vcpuPins().forEach(c -> vNodes.add(hv.nodeOfCpu.get(c)));
            String where = vNodes.size() == 1 ? "NUMA node " + vNodes.iterator().next()
                    : "NUMA nodes " + vNodes.stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + " (no single node can hold it)";
            p.add(a.vcpuPins().size() + " vCPU(s) on " + where + ": CPUs " + a.vcpuPins());
            p.add(coreStory(hv, a));
            if (r.threadsPerCore() == 2) {
                int guestCores = a.vcpuPins().size() / 2;
                p.add(score.splitPairs() == 0 ? "every guest core on sibling host threads"
                        : score.splitPairs() + " of " + guestCores + " guest cores not on sibling threads"
                        + " (not enough free sibling pairs)");
            }
            if (r.isolateEmulatorThread() && !a.emulatorCpus().isEmpty()) {
                int cpu = a.emulatorCpus().get(0);
                p.add("emulator thread on CPU " + cpu + " (node " + hv.nodeOfCpu.get(cpu)
                        + (busiest(hv, a).contains(hv.nodeOfCpu.get(cpu)) ? ", with the busiest guest cell)"
                        : ", nearest free CPU to the busiest guest cell)"));
            }
            if (score.paddingCpus() > 0) {
                List<Integer> pad = a.emulatorCpus().subList(r.isolateEmulatorThread() ? 1 : 0,
                        a.emulatorCpus().size());
                p.add("CPUs " + pad + " complete whole cores (full-pcpus-only) and go to the emulator thread");
            }
        }
        if (!a.hugepagesByNode().isEmpty()) {
            p.add(new TreeMap<>(a.hugepagesByNode()).entrySet().stream()
                    .map(e -> e.getValue() + " × hugepages-" + r.hugepageSize() + " on node " + e.getKey())
                    .collect(Collectors.joining(", ")));
        }
        p.add(score.toString());
        return String.join("; ", p);
    }

    /** The host nodes holding the most vCPUs. */
    private static Set<Integer> busiest(HostView hv, Outcome.Allocation a) {
        Map<Integer, Long> counts = a.vcpuPins().stream()
                .collect(Collectors.groupingBy(hv.nodeOfCpu::get, Collectors.counting()));
        long max = counts.values().stream().mapToLong(Long::longValue).max().orElse(0);
        return counts.entrySet().stream().filter(e -> e.getValue() == max).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    /** How the taken CPUs sit on cores: whole free cores used, partly used cores completed, cores newly split. */
    private static String coreStory(HostView hv, Outcome.Allocation a) {
        Set<Integer> taken = new HashSet<>(a.vcpuPins());
        taken.addAll(a.emulatorCpus());
        int whole = 0;
        int completed = 0;
        int split = 0;
        for (List<HostView.Core> cores : hv.cores) {
            for (HostView.Core c : cores) {
                int used = 0;
                for (int t : c.free()) {
                    used += taken.contains(t) ? 1 : 0;
                }
                if (used == 0) {
                    continue;
                }
                if (used == c.freeCount()) {
                    if (c.fullFree()) {
                        whole++;
                    } else {
                        completed++;
                    }
                } else {
                    split++;
                }
            }
        }
        List<String> parts = new ArrayList<>();
        if (whole > 0) {
            parts.add(whole + " whole core(s)");
        }
        if (completed > 0) {
            parts.add("completing " + completed + " partly used core(s)");
        }
        if (split > 0) {
            parts.add("leaving " + split + " core(s) partly free");
        }
        return "uses " + String.join(", ", parts);
    }
}
