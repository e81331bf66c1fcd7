package io.jvirt.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Why a valid request does not fit: host-wide totals first, then, per host NUMA node, what the node lacks to hold
 * the guest alone, then (NUMA passthrough) what each guest cell of the smallest CPU-feasible split lacks.
 */
final class Shortfalls {
    private Shortfalls() {
    }

    static List<Outcome.Reason> of(Search s) {
        HostView hv = s.hv;
        Request r = s.r;
        List<Outcome.Reason> out = new ArrayList<>();
        int emulator = r.isolateEmulatorThread() ? 1 : 0;
        int need = s.vcpus + emulator;
        String pageName = "hugepages-" + r.hugepageSize();
        if (r.dedicated()) {
            int free = hv.totalFree();
            if (free < need) {
                out.add(host(need + " dedicated CPUs requested"
                        + (emulator > 0 ? " (" + s.vcpus + " vCPUs + 1 emulator thread)" : "")
                        + ", " + free + " unreserved CPUs free on the host"));
            }
            if (r.fullPcpusOnly()) {
                List<HostView.Core> full = new ArrayList<>();
                hv.cores.forEach(cs -> cs.stream().filter(HostView.Core::fullFree).forEach(full::add));
                int cores = coresFor(full, need, widest(hv.cores.stream().flatMap(List::stream).toList()));
                if (cores > full.size()) {
                    out.add(host("full-pcpus-only: " + full.size() + " free full cores on the host, needs "
                            + cores));
                }
            }
        }
        boolean pagesShortOnHost = false;
        if (s.pages > 0) {
            long free = 0;
            for (int j = 0; j < hv.nodeCount(); j++) {
                free += hv.freePages(j, s.pageBytes);
            }
            pagesShortOnHost = free < s.pages;
            if (pagesShortOnHost) {
                out.add(host(bytes(free, s) + " of " + pageName + " free on the host, needs " + bytes(s.pages, s)));
            }
        }
        for (int j = 0; j < hv.nodeCount(); j++) {
            List<String> parts = new ArrayList<>();
            if (r.dedicated()) {
                if (r.fullPcpusOnly()) {
                    List<HostView.Core> full = hv.cores.get(j).stream().filter(HostView.Core::fullFree).toList();
                    int cores = coresFor(full, s.vcpus, widest(hv.cores.get(j)));
                    if (cores > full.size()) {
                        parts.add(full.size() + " free full cores, needs " + cores);
                    }
                } else if (hv.free[j] < s.vcpus) {
                    parts.add(hv.free[j] + " free CPUs, needs " + s.vcpus);
                }
            }
            if (s.pages > 0 && hv.freePages(j, s.pageBytes) < s.pages) {
                parts.add(bytes(hv.freePages(j, s.pageBytes), s) + " of " + pageName + " free, needs "
                        + bytes(s.pages, s));
            }
            if (!parts.isEmpty()) {
                out.add(new Outcome.Reason(hv.nodeIds[j], String.join(", ", parts)));
            }
        }
        if (r.dedicated() && r.numaPassthrough() && !pagesShortOnHost) {
            cells(s, out, pageName);
        }
        if (out.isEmpty()) {
            out.add(host("no layout satisfies every constraint (" + Fitter.describe(r) + ")"));
        }
        return out;
    }

    /** For the smallest split over several guest cells whose CPUs fit, the cells whose pages do not. */
    private static void cells(Search s, List<Outcome.Reason> out, String pageName) {
        HostView hv = s.hv;
        int maxByCpu = (int) Math.min(hv.nodeCount(), s.tpc == 2 ? s.vcpus / 2 : s.vcpus);
        for (int m = 2; m <= maxByCpu; m++) {
            if (s.pages < m) {
                out.add(host("split over " + m + " guest cells: " + Quantities.format(s.r.memoryBytes())
                        + " is less than one " + s.r.hugepageSize() + " page per cell"));
                return;
            }
            Search.Layout l = s.cpuOnly(m);
            if (l == null) {
                continue;
            }
            int c = 0;
            for (int j = 0; j < hv.nodeCount(); j++) {
                if (l.vcpusOnNode()[j] == 0) {
                    continue;
                }
                long needPages = s.cellPages(m, c);
                long free = hv.freePages(j, s.pageBytes);
                if (needPages > free) {
                    out.add(new Outcome.Reason(hv.nodeIds[j], "guest cell " + c + " of " + m + " ("
                            + l.vcpusOnNode()[j] + " vCPUs): " + bytes(free, s) + " of " + pageName
                            + " free, needs " + bytes(needPages, s)));
                }
                c++;
            }
            return;
        }
    }

    /** Fewest of these whole cores covering {@code threads} (largest first); beyond them, at the widest size. */
    static int coresFor(List<HostView.Core> full, int threads, int widest) {
        List<Integer> sizes = full.stream().map(HostView.Core::total).sorted(Comparator.reverseOrder()).toList();
        int count = 0;
        int left = threads;
        for (int size : sizes) {
            if (left <= 0) {
                break;
            }
            left -= size;
            count++;
        }
        if (left > 0) {
            count += (left + widest - 1) / widest;
        }
        return count;
    }

    private static int widest(List<HostView.Core> cores) {
        return Math.max(1, cores.stream().mapToInt(HostView.Core::total).max().orElse(1));
    }

    private static String bytes(long pages, Search s) {
        return Quantities.format(pages * s.pageBytes);
    }

    private static Outcome.Reason host(String message) {
        return new Outcome.Reason(null, message);
    }
}
