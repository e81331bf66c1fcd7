package io.jvirt.placement;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How good a layout is, lower is better. {@link Fitter} minimizes exactly {@link #total()}:
 *
 * <pre>
 *   score = 1 000 000 × extraNodes      host NUMA nodes touched by vCPUs or hugepages, beyond the first
 *         +   100 000 × spreadHops      Σ over those nodes of SLIT hops from the lowest of them (hops = SLIT
 *                                       distance above local / 10: 1.1 for a remote node at 21, 0.2 for a
 *                                       sub-NUMA sibling at 12), so a spread stays within a socket if it can
 *         +    10 000 × splitPairs      guest thread pairs (threadsPerCore=2) not on sibling host threads
 *         +     1 000 × emulatorHops    mean SLIT hops from the emulator CPU to the guest's vCPUs
 *         +        10 × (partialCores + paddingCpus)
 *                                       host cores left partly used (some threads free, some not), counted over
 *                                       the whole host after placement; padding = threads of whole cores taken
 *                                       under full-pcpus-only that no vCPU or emulator thread needed
 *         +         1 × imbalance       Σ over nodes and configured page sizes of
 *                                       (free CPU fraction − free hugepage fraction)² after placement
 * </pre>
 *
 * The weights make each term dominate the ones below it for realistic sizes: a layout never spreads over more
 * nodes to save anything else, keeps guest cores on sibling threads before it worries about the emulator's
 * distance, and so on. The emulator term is 0 when the emulator sits on the busiest guest cell's node under
 * uniform distances (it is the vCPU-weighted mean distance, minimized by the busiest cell), and grows with the
 * SLIT distance otherwise. Fragmentation and imbalance are absolute (the state the host is left in), so scores of
 * different hosts for one request are comparable too.
 */
public record FitScore(int extraNodes, double spreadHops, int splitPairs, double emulatorHops, int partialCores, int paddingCpus,
                       double imbalance) {
    public static final double W_NODE = 1_000_000;
    public static final double W_SPREAD = 100_000;
    public static final double W_SPLIT = 10_000;
    public static final double W_EMULATOR = 1_000;
    public static final double W_FRAGMENT = 10;
    public static final double W_IMBALANCE = 1;

    public double total() {
        return W_NODE * extraNodes + W_SPREAD * spreadHops + W_SPLIT * splitPairs + W_EMULATOR * emulatorHops
                + W_FRAGMENT * (partialCores + paddingCpus) + W_IMBALANCE * imbalance;
    }

    /** The score of any allocation of {@code request} on the host, recomputed from the allocation alone. */
    public static FitScore of(HostTopology host, HostUsage usage, Request request, Outcome.Allocation a) {
        HostView hv = new HostView(host, usage);
        int n = hv.nodeCount();
        int[] vcpusOn = new int[n];
        int[] takenOn = new int[n];
        long[] pagesOn = new long[n];
        Set<Integer> taken = new HashSet<>(a.vcpuPins());
        taken.addAll(a.emulatorCpus());
        for (int cpu : a.vcpuPins()) {
            vcpusOn[node(hv, cpu)]++;
        }
        for (int cpu : taken) {
            takenOn[node(hv, cpu)]++;
        }
        a.hugepagesByNode().forEach((id, p) -> pagesOn[hv.indexOfNode.get(id)] += p);
        int used = 0;
        int anchor = -1;
        double spread = 0;
        for (int i = 0; i < n; i++) {
            if (vcpusOn[i] > 0 || pagesOn[i] > 0) {
                used++;
                anchor = anchor < 0 ? i : anchor;
                spread += hv.hops(anchor, i);
            }
        }
        int split = 0;
        List<Integer> pins = a.vcpuPins();
        if (request.dedicated() && request.threadsPerCore() == 2) {
            for (int g = 0; g + 1 < pins.size(); g += 2) {
                split += hv.coreOfCpu.get(pins.get(g)) == hv.coreOfCpu.get(pins.get(g + 1)) ? 0 : 1;
            }
        }
        double emu = 0;
        if (request.isolateEmulatorThread() && !a.emulatorCpus().isEmpty() && !pins.isEmpty()) {
            int e = node(hv, a.emulatorCpus().get(0));
            for (int i = 0; i < n; i++) {
                emu += vcpusOn[i] * hv.hops(e, i);
            }
            emu /= pins.size();
        }
        int partial = 0;
        for (List<HostView.Core> cores : hv.cores) {
            for (HostView.Core c : cores) {
                int left = 0;
                for (int t : c.free()) {
                    left += taken.contains(t) ? 0 : 1;
                }
                partial += left > 0 && left < c.total() ? 1 : 0;
            }
        }
        int padding = request.fullPcpusOnly()
                ? Math.max(0, a.emulatorCpus().size() - (request.isolateEmulatorThread() ? 1 : 0)) : 0;
        long pageBytes = Fitter.pageBytes(request);
        double imbalance = 0;
        for (int i = 0; i < n; i++) {
            imbalance += hv.imbalance(i, takenOn[i], pagesOn[i], pageBytes);
        }
        return new FitScore(Math.max(0, used - 1), spread, split, emu, partial, padding, imbalance);
    }

    private static int node(HostView hv, int cpu) {
        Integer id = hv.nodeOfCpu.get(cpu);
        if (id == null) {
            throw new IllegalArgumentException("CPU " + cpu + " is not in the topology");
        }
        return hv.indexOfNode.get(id);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "score %.3f = %d extra node(s), %.2f spread hop(s), %d split guest core(s), %.2f emulator hop(s), %d partial core(s), "
                        + "%d padding CPU(s), imbalance %.3f",
                total(), extraNodes, spreadHops, splitPairs, emulatorHops, partialCores, paddingCpus, imbalance);
    }
}
