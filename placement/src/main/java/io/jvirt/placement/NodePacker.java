package io.jvirt.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact packing inside one host NUMA node. For every demand of {@code a} sibling pairs (two threads of one core)
 * and {@code u} single threads it knows the least "fragmentation cost" — cores left partly used, plus padding
 * threads under full-pcpus-only — over every way of drawing them from the node's cores, by a suffix dynamic program
 * over the cores (ordered by lowest CPU id). Ties go to heavier use of the lower cores.
 */
final class NodePacker {
    static final int INF = Integer.MAX_VALUE / 4;

    /** Threads drawn from one node: sibling pairs, single threads, and padding (full-pcpus-only). */
    record Draw(List<int[]> pairs, List<Integer> singles, List<Integer> padding) {
    }

    private final List<HostView.Core> cores;
    private final int maxPairs;
    private final int maxSingles;
    private final int basePartial;
    private final boolean fullPcpusOnly;
    /** Per core: options {pairs, singles, cost}, most threads first, then most pairs. */
    private final int[][][] options;
    /** best[i][a * (maxSingles + 1) + u]: least cost for cores i.. to provide exactly a pairs and u singles. */
    private final int[][] best;

    NodePacker(List<HostView.Core> cores, int maxPairs, int maxSingles, boolean fullPcpusOnly) {
        this.cores = cores;
        this.maxPairs = maxPairs;
        this.maxSingles = maxSingles;
        this.fullPcpusOnly = fullPcpusOnly;
        this.basePartial = (int) cores.stream().filter(HostView.Core::partial).count();
        int n = cores.size();
        options = new int[n][][];
        for (int i = 0; i < n; i++) {
            options[i] = optionsFor(cores.get(i));
        }
        int width = (maxPairs + 1) * (maxSingles + 1);
        best = new int[n + 1][width];
        Arrays.fill(best[n], INF);
        best[n][0] = 0;
        for (int i = n - 1; i >= 0; i--) {
            int[] next = best[i + 1];
            int[] cur = best[i];
            Arrays.fill(cur, INF);
            for (int a = 0; a <= maxPairs; a++) {
                for (int u = 0; u <= maxSingles; u++) {
                    int base = next[a * (maxSingles + 1) + u];
                    if (base >= INF) {
                        continue;
                    }
                    for (int[] o : options[i]) {
                        int na = a + o[0];
                        int nu = u + o[1];
                        if (na > maxPairs || nu > maxSingles) {
                            continue;
                        }
                        int idx = na * (maxSingles + 1) + nu;
                        cur[idx] = Math.min(cur[idx], base + o[2]);
                    }
                }
            }
        }
    }

    private int[][] optionsFor(HostView.Core c) {
        List<int[]> out = new ArrayList<>();
        int f = c.freeCount();
        int t = c.total();
        if (fullPcpusOnly) {
            if (c.fullFree()) {
                for (int used = t; used >= 1; used--) {
                    for (int da = Math.min(used / 2, maxPairs); da >= 0; da--) {
                        out.add(new int[] {da, used - 2 * da, t - used});
                    }
                }
            }
            out.add(new int[] {0, 0, c.partial() ? 1 : 0});
        } else {
            for (int used = f; used >= 0; used--) {
                for (int da = Math.min(used / 2, maxPairs); da >= 0; da--) {
                    int left = f - used;
                    out.add(new int[] {da, used - 2 * da, left > 0 && left < t ? 1 : 0});
                }
            }
        }
        return out.toArray(int[][]::new);
    }

    /** Least cost (partial cores left in this node + padding threads), or {@link #INF} when impossible. */
    int cost(int a, int u) {
        if (a < 0 || u < 0 || a > maxPairs || u > maxSingles) {
            return INF;
        }
        return best[0][a * (maxSingles + 1) + u];
    }

    /** Padding threads of the cheapest draw (non-zero only under full-pcpus-only). */
    int padding(int a, int u) {
        int c = cost(a, u);
        return fullPcpusOnly && c < INF ? c - basePartial : 0;
    }

    /** The cheapest draw itself; the lowest cores are used as much as the optimum allows. */
    Draw draw(int a, int u) {
        if (cost(a, u) >= INF) {
            throw new IllegalStateException("no draw for " + a + " pairs, " + u + " singles");
        }
        List<int[]> pairs = new ArrayList<>();
        List<Integer> singles = new ArrayList<>();
        List<Integer> padding = new ArrayList<>();
        for (int i = 0; i < cores.size(); i++) {
            int target = best[i][a * (maxSingles + 1) + u];
            for (int[] o : options[i]) {
                int ra = a - o[0];
                int ru = u - o[1];
                if (ra < 0 || ru < 0 || best[i + 1][ra * (maxSingles + 1) + ru] + o[2] != target) {
                    continue;
                }
                int[] fr = cores.get(i).free();
                int k = 0;
                for (int p = 0; p < o[0]; p++, k += 2) {
                    pairs.add(new int[] {fr[k], fr[k + 1]});
                }
                for (int s = 0; s < o[1]; s++) {
                    singles.add(fr[k++]);
                }
                if (fullPcpusOnly && o[0] + o[1] > 0) {
                    while (k < fr.length) {
                        padding.add(fr[k++]);
                    }
                }
                a = ra;
                u = ru;
                break;
            }
        }
        return new Draw(pairs, singles, padding);
    }
}
