package io.jvirt.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The oracle for small hosts (≤ 8 CPUs): every set of host CPUs for the vCPUs, every emulator CPU, every numbering
 * of the vCPUs (in host-node order, as the fitter documents), every hugepage placement the rules allow — checked
 * against the rules directly from the model, scored with {@link FitScore}. It shares no code with the search.
 */
final class BruteForce {
    private BruteForce() {
    }

    /** The least score of any valid layout, or +∞ when none exists. The request must pass validation. */
    static double minScore(HostTopology h, HostUsage u, Request r) {
        long pageBytes = r.hugepageSize() == null ? 0 : Quantities.parse(r.hugepageSize());
        long pages = pageBytes == 0 ? 0 : r.memoryBytes() / pageBytes;
        Map<Integer, Long> freePages = freePages(h, u, r.hugepageSize());
        double best = Double.POSITIVE_INFINITY;
        if (!r.dedicated()) {
            for (Map<Integer, Long> plan : plans(freePages, pages)) {
                best = Math.min(best, score(h, u, r, List.of(), List.of(), plan));
            }
            return best;
        }
        Map<Integer, Integer> nodeOf = new HashMap<>();
        Map<Integer, String> coreOf = new HashMap<>();
        Map<String, List<Integer>> threads = new HashMap<>();
        for (Cpu c : h.cpus()) {
            nodeOf.put(c.id(), c.numaNode());
            String key = c.socket() + "/" + c.core() + "/" + c.numaNode();
            coreOf.put(c.id(), key);
            threads.computeIfAbsent(key, k -> new ArrayList<>()).add(c.id());
        }
        List<Integer> free = h.cpus().stream().map(Cpu::id)
                .filter(id -> !h.reservedCpus().contains(id) && !u.exclusiveCpus().contains(id)).sorted().toList();
        int v = r.vcpus();
        for (int mask = 0; mask < 1 << free.size(); mask++) {
            if (Integer.bitCount(mask) != v) {
                continue;
            }
            List<Integer> x = new ArrayList<>();
            for (int i = 0; i < free.size(); i++) {
                if ((mask >> i & 1) == 1) {
                    x.add(free.get(i));
                }
            }
            List<Integer> emus = new ArrayList<>();
            if (r.isolateEmulatorThread()) {
                free.stream().filter(c -> !x.contains(c)).forEach(emus::add);
            } else {
                emus.add(null);
            }
            for (Integer emu : emus) {
                Set<Integer> taken = new HashSet<>(x);
                if (emu != null) {
                    taken.add(emu);
                }
                List<Integer> pad = new ArrayList<>();
                boolean ok = true;
                if (r.fullPcpusOnly()) {
                    for (String core : new TreeSet<>(taken.stream().map(coreOf::get).toList())) {
                        for (int t : threads.get(core)) {
                            if (!free.contains(t)) {
                                ok = false;
                            } else if (!taken.contains(t)) {
                                pad.add(t);
                            }
                        }
                    }
                }
                if (!ok) {
                    continue;
                }
                List<Integer> emulatorCpus = new ArrayList<>();
                if (emu != null) {
                    emulatorCpus.add(emu);
                }
                pad.stream().sorted().forEach(emulatorCpus::add);
                TreeMap<Integer, List<Integer>> byNode = new TreeMap<>();
                x.forEach(c -> byNode.computeIfAbsent(nodeOf.get(c), k -> new ArrayList<>()).add(c));
                List<Map<Integer, Long>> plans;
                if (r.numaPassthrough()) {
                    int m = byNode.size();
                    if (pages < m || r.threadsPerCore() == 2
                            && byNode.values().stream().anyMatch(l -> l.size() % 2 == 1)) {
                        continue;
                    }
                    Map<Integer, Long> plan = new TreeMap<>();
                    int c = 0;
                    boolean fits = true;
                    for (int node : byNode.keySet()) {
                        long need = pages / m + (c++ < pages % m ? 1 : 0);
                        fits &= need <= freePages.getOrDefault(node, 0L);
                        plan.put(node, need);
                    }
                    if (!fits) {
                        continue;
                    }
                    plans = List.of(plan);
                } else {
                    plans = plans(freePages, pages);
                }
                for (List<Integer> pins : orderings(new ArrayList<>(byNode.values()), r.threadsPerCore() == 2)) {
                    for (Map<Integer, Long> plan : plans) {
                        best = Math.min(best, score(h, u, r, pins, emulatorCpus, plan));
                    }
                }
            }
        }
        return best;
    }

    private static double score(HostTopology h, HostUsage u, Request r, List<Integer> pins, List<Integer> emulator,
                                Map<Integer, Long> plan) {
        Map<Integer, Long> pages = new HashMap<>(plan);
        pages.values().removeIf(p -> p == 0);
        return FitScore.of(h, u, r, new Outcome.Allocation(pins, emulator, List.of(), pages, 0, "")).total();
    }

    /** Non-passthrough hugepages: each single node with room, else the fewest nodes filled most-free-first. */
    private static List<Map<Integer, Long>> plans(Map<Integer, Long> free, long pages) {
        List<Map<Integer, Long>> out = new ArrayList<>();
        if (pages == 0) {
            out.add(Map.of());
            return out;
        }
        free.forEach((node, f) -> {
            if (f >= pages) {
                out.add(Map.of(node, pages));
            }
        });
        if (out.isEmpty()) {
            List<Integer> order = new ArrayList<>(free.keySet());
            order.sort(Comparator.comparingLong((Integer n) -> -free.get(n)).thenComparingInt(n -> n));
            Map<Integer, Long> plan = new HashMap<>();
            long left = pages;
            for (int n : order) {
                long take = Math.min(left, free.get(n));
                plan.put(n, take);
                left -= take;
            }
            if (left == 0) {
                out.add(plan);
            }
        }
        return out;
    }

    private static Map<Integer, Long> freePages(HostTopology h, HostUsage u, String size) {
        Map<Integer, Long> out = new TreeMap<>();
        long bytes = size == null ? 0 : Quantities.parse(size);
        for (NumaNode n : h.nodes()) {
            long total = 0;
            long used = 0;
            for (var e : n.hugepagesTotal().entrySet()) {
                total += Quantities.parse(e.getKey()) == bytes ? e.getValue() : 0;
            }
            for (var e : u.hugepagesUsed().getOrDefault(n.id(), Map.of()).entrySet()) {
                used += Quantities.parse(e.getKey()) == bytes ? e.getValue() : 0;
            }
            out.put(n.id(), Math.max(0, total - used));
        }
        return out;
    }

    /** vCPU numberings in host-node order: every permutation within each node (one when pairs do not matter). */
    private static List<List<Integer>> orderings(List<List<Integer>> groups, boolean permute) {
        List<List<Integer>> out = new ArrayList<>();
        out.add(new ArrayList<>());
        for (List<Integer> g : groups) {
            List<List<Integer>> perms = permute ? permutations(g) : List.of(g);
            List<List<Integer>> next = new ArrayList<>();
            for (List<Integer> prefix : out) {
                for (List<Integer> p : perms) {
                    List<Integer> l = new ArrayList<>(prefix);
                    l.addAll(p);
                    next.add(l);
                }
            }
            out = next;
        }
        return out;
    }

    private static List<List<Integer>> permutations(List<Integer> l) {
        if (l.size() <= 1) {
            return List.of(l);
        }
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            List<Integer> rest = new ArrayList<>(l);
            Integer head = rest.remove(i);
            for (List<Integer> p : permutations(rest)) {
                List<Integer> q = new ArrayList<>();
                q.add(Objects.requireNonNull(head));
                q.addAll(p);
                out.add(q);
            }
        }
        return out;
    }
}
