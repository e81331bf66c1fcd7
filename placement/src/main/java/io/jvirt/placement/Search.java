package io.jvirt.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.jvirt.placement.FitScore.W_EMULATOR;
import static io.jvirt.placement.FitScore.W_FRAGMENT;
import static io.jvirt.placement.FitScore.W_IMBALANCE;
import static io.jvirt.placement.FitScore.W_NODE;
import static io.jvirt.placement.FitScore.W_SPLIT;
import static io.jvirt.placement.FitScore.W_SPREAD;

/**
 * The exact best-fit search for one (host, usage, valid request). vCPUs are laid out in host-node order (vCPU i's
 * node never decreases with i, as KubeVirt numbers guest cells in host order); a suffix dynamic program over the
 * nodes chooses how many vCPUs each node takes, using each node's {@link NodePacker} for the in-node cost. The
 * emulator node, the number of guest cells (NUMA passthrough) and the hugepage plan (otherwise) are enumerated
 * around it. Every term of {@link FitScore} is separable per node given those, so the result is the minimum score.
 */
final class Search {
    static final double EPS = 1e-6;
    private static final double INF = Double.POSITIVE_INFINITY;

    /** A chosen layout before CPUs are drawn: vCPUs per node index, emulator node (-1: none), cells, pages. */
    record Layout(int anchor, int[] vcpusOnNode, int emulatorNode, int cells, long[] pagesOnNode, double cost) {
    }

    private record Local(double cost, int pairs, int singles, int taken) {
    }

    final HostView hv;
    final Request r;
    final int vcpus;
    final int tpc;
    final long pageBytes;
    final long pages;
    private final int n;
    private final NodePacker[] packers;
    private final Map<Long, double[][]> imbalanceCache = new HashMap<>();
    /** local[node][parity][vcpus][emulator]. */
    private final Local[][][][] local;

    Search(HostView hv, Request r) {
        this.hv = hv;
        this.r = r;
        this.vcpus = r.dedicated() ? r.vcpus() : 0;
        this.tpc = r.threadsPerCore() == 2 ? 2 : 1;
        this.pageBytes = Fitter.pageBytes(r);
        this.pages = pageBytes > 0 ? r.memoryBytes() / pageBytes : 0;
        this.n = hv.nodeCount();
        this.packers = new NodePacker[n];
        if (!r.dedicated() || !hostCanHold()) {
            this.local = null;
            return;
        }
        this.local = new Local[n][2][vcpus + 1][2];
        for (int j = 0; j < n; j++) {
            int free = hv.free[j];
            packers[j] = new NodePacker(hv.cores.get(j), tpc == 2 ? Math.min(vcpus / 2, free / 2) : 0,
                    Math.min(vcpus + 1, free), r.fullPcpusOnly());
            for (int parity = 0; parity < 2; parity++) {
                for (int k = 0; k <= vcpus; k++) {
                    for (int e = 0; e < 2; e++) {
                        local[j][parity][k][e] = computeLocal(j, parity, k, e);
                    }
                }
            }
        }
    }

    /** Guest cores fully inside a node's vCPU range, and the lone halves at its ends (threadsPerCore=2). */
    private int[] pairsAndSingles(int parity, int count) {
        if (tpc == 1) {
            return new int[] {0, count};
        }
        int start = parity == 1 && count > 0 ? 1 : 0;
        int rest = count - start;
        return new int[] {rest / 2, start + rest % 2};
    }

    private Local computeLocal(int j, int parity, int count, int e) {
        int[] ps = pairsAndSingles(parity, count);
        Local best = null;
        for (int a = ps[0]; a >= 0; a--) {
            int u = ps[1] + e + 2 * (ps[0] - a);
            int c = packers[j].cost(a, u);
            if (c >= NodePacker.INF) {
                continue;
            }
            double cost = W_SPLIT * (ps[0] - a) + W_FRAGMENT * c;
            if (best == null || cost < best.cost - EPS) {
                best = new Local(cost, a, u, count + e + packers[j].padding(a, u));
            }
        }
        return best;
    }

    /** Pages of guest cell {@code c} of {@code m}: an even split, remainder pages to the first cells. */
    long cellPages(int m, int c) {
        return pages / m + (c < pages % m ? 1 : 0);
    }

    /** Where hugepages may go without NUMA passthrough: each single node with room, else the fewest nodes. */
    List<long[]> pagePlans() {
        List<long[]> plans = new ArrayList<>();
        if (pages == 0) {
            plans.add(new long[n]);
            return plans;
        }
        for (int j = 0; j < n; j++) {
            if (hv.freePages(j, pageBytes) >= pages) {
                long[] p = new long[n];
                p[j] = pages;
                plans.add(p);
            }
        }
        if (plans.isEmpty()) {
            Integer[] order = new Integer[n];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, Comparator.comparingLong((Integer j) -> -hv.freePages(j, pageBytes))
                    .thenComparingInt(j -> j));
            long[] p = new long[n];
            long left = pages;
            for (int j : order) {
                long take = Math.min(left, hv.freePages(j, pageBytes));
                p[j] = take;
                left -= take;
            }
            if (left == 0) {
                plans.add(p);
            }
        }
        return plans;
    }

    /** The best layout of a dedicated request, or null when none exists. */
    Layout bestDedicated() {
        if (local == null) {
            return null;
        }
        Layout best = null;
        if (r.numaPassthrough()) {
            for (int m = Math.max(1, minNodesFrom(0)); m <= maxCells(); m++) {
                if (best != null && W_NODE * m > best.cost() + EPS) {
                    break;
                }
                best = overCells(m, false, best);
            }
        } else {
            for (long[] plan : pagePlans()) {
                for (int a = 0; a < n && capacityFrom(a) >= vcpus; a++) {
                    if (hv.free[a] == 0 && plan[a] == 0
                            || best != null && lowerBound(a, Math.max(1, minNodesFrom(a))) >= best.cost() - EPS) {
                        continue;
                    }
                    for (int e : emulatorNodes()) {
                        best = better(best, solve(a, e, 0, plan, false));
                    }
                }
            }
        }
        return best;
    }

    /** Necessary conditions on host totals; when they fail the search is skipped. */
    private boolean hostCanHold() {
        int need = vcpus + (r.isolateEmulatorThread() ? 1 : 0);
        long freePages = 0;
        for (int j = 0; j < n; j++) {
            freePages += hv.freePages(j, pageBytes);
        }
        return capacityFrom(0) >= need && freePages >= pages;
    }

    /** Threads node j can give: its free CPUs, or under full-pcpus-only the threads of its fully free cores. */
    private int capacity(int j) {
        return r.fullPcpusOnly()
                ? hv.cores.get(j).stream().filter(HostView.Core::fullFree).mapToInt(HostView.Core::total).sum()
                : hv.free[j];
    }

    private int capacityFrom(int a) {
        int sum = 0;
        for (int j = a; j < n; j++) {
            sum += capacity(j);
        }
        return sum;
    }

    /** Fewest nodes among a.. (a included) whose capacity holds every vCPU. */
    private int minNodesFrom(int a) {
        int[] caps = new int[n - a];
        for (int j = a; j < n; j++) {
            caps[j - a] = capacity(j);
        }
        Arrays.sort(caps);
        int left = vcpus;
        int k = 0;
        for (int i = caps.length - 1; i >= 0 && left > 0; i--) {
            left -= caps[i];
            k++;
        }
        return k;
    }

    /** No layout anchored at node a over k used nodes costs less: k nodes, and the k-1 nearest after a. */
    private double lowerBound(int a, int k) {
        double[] hops = new double[n - a - 1];
        for (int j = a + 1; j < n; j++) {
            hops[j - a - 1] = hv.hops(a, j);
        }
        Arrays.sort(hops);
        double lb = W_NODE * k;
        for (int i = 0; i < k - 1 && i < hops.length; i++) {
            lb += W_SPREAD * hops[i];
        }
        return lb;
    }

    /** The best CPU layout over exactly {@code m} guest cells, ignoring whether hugepages fit (for diagnostics). */
    Layout cpuOnly(int m) {
        return local != null ? overCells(m, true, null) : null;
    }

    /** The best layout over exactly m guest cells (NUMA passthrough), or {@code best} when none beats it. */
    private Layout overCells(int m, boolean ignorePages, Layout best) {
        for (int a = 0; a + m <= n && capacityFrom(a) >= vcpus; a++) {
            if (hv.free[a] == 0 || best != null && lowerBound(a, m) >= best.cost() - EPS) {
                continue;
            }
            for (int e : emulatorNodes()) {
                best = better(best, solve(a, e, m, null, ignorePages));
            }
        }
        return best;
    }

    int maxCells() {
        return (int) Math.min(n, Math.min(pages, tpc == 2 ? vcpus / 2 : vcpus));
    }

    private int[] emulatorNodes() {
        if (!r.isolateEmulatorThread()) {
            return new int[] {-1};
        }
        return java.util.stream.IntStream.range(0, n).filter(j -> capacity(j) > 0).toArray();
    }

    private double imbalance(int j, int taken, long pg) {
        double[][] byNode = imbalanceCache.computeIfAbsent(pg, k -> new double[n][]);
        if (byNode[j] == null) {
            byNode[j] = new double[hv.free[j] + 1];
            Arrays.fill(byNode[j], Double.NaN);
        }
        if (taken >= byNode[j].length) {
            return hv.imbalance(j, taken, pg, pageBytes);
        }
        double v = byNode[j][taken];
        if (Double.isNaN(v)) {
            v = hv.imbalance(j, taken, pg, pageBytes);
            byNode[j][taken] = v;
        }
        return v;
    }

    private static Layout better(Layout a, Layout b) {
        return b != null && (a == null || b.cost() < a.cost() - EPS) ? b : a;
    }

    /** The step cost of giving node j {@code count} vCPUs when {@code k} are placed and {@code c} cells exist. */
    private double step(int anchor, int j, int k, int c, int count, int e, int m, long[] plan,
                        boolean ignorePages) {
        if (m > 0 && tpc == 2 && count % 2 == 1) {
            return INF;
        }
        int em = j == e ? 1 : 0;
        Local l = local[j][tpc == 2 ? k & 1 : 0][count][em];
        if (l == null) {
            return INF;
        }
        long pg = m > 0 ? (count > 0 ? cellPages(m, c) : 0) : plan[j];
        if (!ignorePages && pg > hv.freePages(j, pageBytes)) {
            return INF;
        }
        boolean used = count > 0 || pg > 0;
        if (j < anchor && used || j == anchor && !used) {
            return INF;
        }
        double cost = l.cost();
        if (used) {
            cost += W_NODE + W_SPREAD * hv.hops(anchor, j);
        }
        if (tpc == 2 && count > 0 && (k + count) % 2 == 1) {
            cost += W_SPLIT;
        }
        if (e >= 0) {
            cost += W_EMULATOR * count * hv.hops(e, j) / vcpus;
        }
        return cost + W_IMBALANCE * imbalance(j, l.taken(), pg);
    }

    private Layout solve(int anchor, int e, int m, long[] plan, boolean ignorePages) {
        int cw = m > 0 ? m + 1 : 1;
        double[][][] f = new double[n + 1][vcpus + 1][cw];
        for (double[][] a : f) {
            for (double[] b : a) {
                Arrays.fill(b, INF);
            }
        }
        f[n][vcpus][m > 0 ? m : 0] = 0;
        for (int j = n - 1; j >= 0; j--) {
            int cap = hv.free[j];
            for (int k = 0; k <= vcpus; k++) {
                for (int c = 0; c < cw; c++) {
                    double best = INF;
                    for (int count = 0; count <= Math.min(vcpus - k, cap); count++) {
                        int c2 = m > 0 && count > 0 ? c + 1 : c;
                        if (c2 >= cw || f[j + 1][k + count][c2] == INF) {
                            continue;
                        }
                        double s = step(anchor, j, k, c, count, e, m, plan, ignorePages);
                        best = Math.min(best, s + f[j + 1][k + count][c2]);
                    }
                    f[j][k][c] = best;
                }
            }
        }
        if (f[0][0][0] == INF) {
            return null;
        }
        int[] counts = new int[n];
        long[] pg = new long[n];
        int k = 0;
        int c = 0;
        for (int j = 0; j < n; j++) {
            for (int count = Math.min(vcpus - k, hv.free[j]); count >= 0; count--) {
                int c2 = m > 0 && count > 0 ? c + 1 : c;
                if (c2 >= cw || f[j + 1][k + count][c2] == INF) {
                    continue;
                }
                double s = step(anchor, j, k, c, count, e, m, plan, ignorePages);
                if (s + f[j + 1][k + count][c2] <= f[j][k][c] + EPS) {
                    counts[j] = count;
                    pg[j] = m > 0 ? (count > 0 ? cellPages(m, c) : 0) : plan[j];
                    k += count;
                    c = c2;
                    break;
                }
            }
        }
        return new Layout(anchor, counts, e, m, pg, f[0][0][0]);
    }

    /** The CPUs of a layout: vCPU pins in order, emulator CPUs (primary first, then padding), guest cells. */
    Outcome.Allocation build(Layout l) {
        List<Integer> pins = new ArrayList<>();
        List<Integer> padding = new ArrayList<>();
        Integer emulator = null;
        List<Outcome.GuestCell> cells = new ArrayList<>();
        Map<Integer, Long> hugepages = new LinkedHashMap<>();
        int k = 0;
        for (int j = 0; j < n; j++) {
            int count = l.vcpusOnNode()[j];
            int em = j == l.emulatorNode() ? 1 : 0;
            if (l.pagesOnNode()[j] > 0) {
                hugepages.put(hv.nodeIds[j], l.pagesOnNode()[j]);
            }
            if (count == 0 && em == 0) {
                continue;
            }
            int parity = tpc == 2 ? k & 1 : 0;
            Local loc = local[j][parity][count][em];
            NodePacker.Draw d = packers[j].draw(loc.pairs(), loc.singles());
            int[] ps = pairsAndSingles(parity, count);
            var singles = d.singles().iterator();
            var pairs = d.pairs().iterator();
            int start = tpc == 2 && parity == 1 && count > 0 ? 1 : 0;
            if (start == 1) {
                pins.add(singles.next());
            }
            for (int g = 0; g < ps[0]; g++) {
                if (pairs.hasNext()) {
                    int[] p = pairs.next();
                    pins.add(p[0]);
                    pins.add(p[1]);
                } else {
                    pins.add(singles.next());
                    pins.add(singles.next());
                }
            }
            if (ps[1] - start > 0) {
                for (int s = 0; s < ps[1] - start; s++) {
                    pins.add(singles.next());
                }
            }
            if (em == 1) {
                emulator = singles.next();
            }
            padding.addAll(d.padding());
            if (r.numaPassthrough() && count > 0) {
                List<Integer> ids = new ArrayList<>();
                for (int v = k; v < k + count; v++) {
                    ids.add(v);
                }
                cells.add(new Outcome.GuestCell(cells.size(), hv.nodeIds[j], ids, l.pagesOnNode()[j] * pageBytes));
            }
            k += count;
        }
        List<Integer> emulatorCpus = new ArrayList<>();
        if (emulator != null) {
            emulatorCpus.add(emulator);
        }
        padding.stream().sorted().forEach(emulatorCpus::add);
        return new Outcome.Allocation(pins, emulatorCpus, cells, hugepages, 0, "");
    }
}
