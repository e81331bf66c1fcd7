package io.jvirt.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Random hosts and request streams (allocate until rejections pile up, sometimes free). On every step: nothing is
 * given twice, reserved CPUs never, cores never split under full-pcpus-only, hugepages never beyond what is free,
 * NUMA cells follow KubeVirt's split; on small hosts every rejection is checked against a brute-force search, and
 * every allocation's score against the brute-force optimum.
 */
class FitterPropertyTest {
    private static final long MI2 = 2L << 20;

    private record Live(Request request, Outcome.Allocation allocation) {
    }

    private int fits;
    private int rejections;
    private int optimalityChecks;
    private int subtleRejections;

    @Test
    void smallHostsAgainstBruteForce() {
        Random rnd = new Random(20240517L);
        for (int iter = 0; iter < 600; iter++) {
            stream(rnd, randomSmallHost(rnd), 4, true);
        }
        System.out.printf("small hosts: %d fits (all checked optimal by brute force), %d rejections (%d with "
                + "enough CPUs and pages on the host, all confirmed by brute force)%n", fits, rejections,
                subtleRejections);
        assertThat(fits).isGreaterThan(1400);
        assertThat(rejections).isGreaterThan(500);
        assertThat(optimalityChecks).isEqualTo(fits);
    }

    @Test
    void randomSnapshotsAgainstBruteForce() {
        Random rnd = new Random(4196L);
        int checked = 0;
        for (int iter = 0; iter < 50_000 && checked < 2500; iter++) {
            HostTopology h = randomSmallHost(rnd);
            Set<Integer> used = new HashSet<>();
            h.cpus().forEach(c -> {
                if (!h.reservedCpus().contains(c.id()) && rnd.nextInt(5) == 0) {
                    used.add(c.id());
                }
            });
            Map<Integer, Map<String, Long>> pages = new HashMap<>();
            h.nodes().forEach(n -> {
                long total = n.hugepagesTotal().getOrDefault("2Mi", 0L);
                pages.put(n.id(), Map.of("2Mi", total == 0 ? 0 : (long) rnd.nextInt((int) total + 1)));
            });
            HostUsage u = new HostUsage(used, pages);
            Request base = randomRequest(rnd, 4);
            boolean hp = base.dedicated() && rnd.nextBoolean();
            Request r = hp ? new Request(base.vcpus(), base.threadsPerCore(), true, base.isolateEmulatorThread(),
                    rnd.nextBoolean(), "2Mi", MI2 * (1 + rnd.nextInt(6)), rnd.nextBoolean()) : base;
            if (!Fitter.validate(r).isEmpty() || !enoughInTotal(h, u, r)) {
                continue; // only cases where the layout rules, not the host's totals, decide
            }
            checked++;
            Outcome o = Fitter.fit(h, u, r);
            String ctx = "\nhost " + h + "\nusage " + u + "\nrequest " + r + "\n" + Fitter.explain(o);
            if (o instanceof Outcome.Allocation a) {
                fits++;
                checkAllocation(h, u, r, a, ctx);
                assertThat(a.score()).as("optimal" + ctx)
                        .isCloseTo(BruteForce.minScore(h, u, r), org.assertj.core.data.Offset.offset(1e-6));
            } else {
                rejections++;
                assertThat(BruteForce.minScore(h, u, r)).as("rejection is real" + ctx)
                        .isEqualTo(Double.POSITIVE_INFINITY);
            }
        }
        System.out.printf("snapshots with enough CPUs and pages in total: %d fits (all optimal), %d rejections (all "
                + "confirmed by brute force)%n", fits, rejections);
        assertThat(checked).isEqualTo(2500);
        assertThat(rejections).isGreaterThan(300);
    }

    @Test
    void fixtureHostsKeepTheInvariants() {
        Random rnd = new Random(7L);
        List<HostTopology> hosts = List.of(Topologies.seed002(), Topologies.seed000(), Topologies.fourNode(),
                Topologies.eightNode());
        for (int iter = 0; iter < 40; iter++) {
            stream(rnd, hosts.get(iter % hosts.size()), 12, false);
        }
        assertThat(fits).isGreaterThan(200);
    }

    @Test
    void fitIsDeterministicAndDoesNotDependOnInputOrder() {
        Random rnd = new Random(99L);
        for (int i = 0; i < 200; i++) {
            HostTopology h = randomSmallHost(rnd);
            Request r = randomRequest(rnd, 4);
            List<Cpu> shuffled = new ArrayList<>(h.cpus());
            java.util.Collections.shuffle(shuffled, rnd);
            HostTopology h2 = new HostTopology(shuffled, h.nodes(), h.reservedCpus());
            assertThat(Fitter.fit(h2, HostUsage.EMPTY, r)).isEqualTo(Fitter.fit(h, HostUsage.EMPTY, r));
        }
    }

    private void stream(Random rnd, HostTopology h, int maxVcpus, boolean bruteForce) {
        HostUsage u = HostUsage.EMPTY;
        List<Live> live = new ArrayList<>();
        int rejected = 0;
        for (int step = 0; step < 40 && rejected < 4; step++) {
            if (!live.isEmpty() && rnd.nextInt(5) == 0) {
                Live l = live.remove(rnd.nextInt(live.size()));
                u = u.minus(l.request(), l.allocation());
                continue;
            }
            Request r = randomRequest(rnd, maxVcpus);
            Outcome o = Fitter.fit(h, u, r);
            String ctx = "\nhost " + h + "\nusage " + u + "\nrequest " + r + "\n" + Fitter.explain(o);
            if (o instanceof Outcome.Allocation a) {
                fits++;
                checkAllocation(h, u, r, a, ctx);
                if (bruteForce && r.vcpus() <= 4) {
                    optimalityChecks++;
                    double best = BruteForce.minScore(h, u, r);
                    assertThat(a.score()).as("optimal" + ctx).isCloseTo(best, org.assertj.core.data.Offset.offset(1e-6));
                }
                u = u.plus(r, a);
                live.add(new Live(r, a));
                checkUsage(h, u, ctx);
            } else {
                rejections++;
                rejected++;
                Outcome.Rejection rj = (Outcome.Rejection) o;
                assertThat(rj.reasons()).as(ctx).isNotEmpty();
                if (Fitter.validate(r).isEmpty() && bruteForce) {
                    assertThat(BruteForce.minScore(h, u, r)).as("rejection is real" + ctx)
                            .isEqualTo(Double.POSITIVE_INFINITY);
                    subtleRejections += enoughInTotal(h, u, r) ? 1 : 0;
                }
            }
        }
    }

    private static void checkAllocation(HostTopology h, HostUsage u, Request r, Outcome.Allocation a, String ctx) {
        Map<Integer, Cpu> cpus = new HashMap<>();
        h.cpus().forEach(c -> cpus.put(c.id(), c));
        List<Integer> all = new ArrayList<>(a.vcpuPins());
        all.addAll(a.emulatorCpus());
        assertThat(new HashSet<>(all)).as("no CPU twice in one allocation" + ctx).hasSize(all.size());
        for (int c : all) {
            assertThat(cpus).as("exists" + ctx).containsKey(c);
            assertThat(h.reservedCpus()).as("never reserved" + ctx).doesNotContain(c);
            assertThat(u.exclusiveCpus()).as("never given twice" + ctx).doesNotContain(c);
        }
        assertThat(a.score()).as("score" + ctx)
                .isCloseTo(FitScore.of(h, u, r, a).total(), org.assertj.core.data.Offset.offset(1e-6));
        if (!r.dedicated()) {
            assertThat(all).as(ctx).isEmpty();
        } else {
            assertThat(a.vcpuPins()).as(ctx).hasSize(r.vcpus());
            if (r.isolateEmulatorThread()) {
                assertThat(a.emulatorCpus()).as(ctx).isNotEmpty();
            } else if (!r.fullPcpusOnly()) {
                assertThat(a.emulatorCpus()).as(ctx).isEmpty();
            }
        }
        if (r.fullPcpusOnly() && r.dedicated()) {
            Set<Integer> taken = new HashSet<>(all);
            for (int c : all) {
                Cpu cpu = cpus.get(c);
                h.cpus().stream().filter(t -> t.socket() == cpu.socket() && t.core() == cpu.core()
                                && t.numaNode() == cpu.numaNode())
                        .forEach(t -> assertThat(taken).as("core of CPU " + c + " not split" + ctx).contains(t.id()));
            }
        }
        long pageBytes = r.hugepageSize() == null ? 0 : Quantities.parse(r.hugepageSize());
        long pages = pageBytes == 0 ? 0 : r.memoryBytes() / pageBytes;
        assertThat(a.hugepagesByNode().values().stream().mapToLong(Long::longValue).sum()).as(ctx).isEqualTo(pages);
        if (r.numaPassthrough()) {
            TreeSet<Integer> nodes = new TreeSet<>();
            a.vcpuPins().forEach(c -> nodes.add(cpus.get(c).numaNode()));
            assertThat(a.cells()).extracting(Outcome.GuestCell::hostNode).as(ctx).containsExactlyElementsOf(nodes);
            int m = a.cells().size();
            int next = 0;
            for (Outcome.GuestCell cell : a.cells()) {
                long need = pages / m + (cell.id() < pages % m ? 1 : 0);
                assertThat(cell.memoryBytes()).as("even split, remainder first" + ctx).isEqualTo(need * pageBytes);
                assertThat(a.hugepagesByNode().get(cell.hostNode())).as(ctx).isEqualTo(need);
                for (int v : cell.vcpus()) {
                    assertThat(v).as(ctx).isEqualTo(next++);
                    assertThat(cpus.get(a.vcpuPins().get(v)).numaNode()).as(ctx).isEqualTo(cell.hostNode());
                }
                if (r.threadsPerCore() == 2) {
                    assertThat(cell.vcpus().size() % 2).as("guest cores stay in one cell" + ctx).isZero();
                }
            }
        }
        if (r.dedicated() && r.threadsPerCore() == 2) {
            Set<Integer> nodes = new HashSet<>();
            a.vcpuPins().forEach(c -> nodes.add(cpus.get(c).numaNode()));
            if (nodes.size() == 1) {
                int node = nodes.iterator().next();
                HostView hv = new HostView(h, u);
                int full = (int) hv.cores.get(hv.indexOfNode.get(node)).stream()
                        .filter(c -> c.fullFree() && c.total() >= 2).count();
                if (full >= r.vcpus() / 2) {
                    for (int g = 0; g < r.vcpus(); g += 2) {
                        Cpu x = cpus.get(a.vcpuPins().get(g));
                        Cpu y = cpus.get(a.vcpuPins().get(g + 1));
                        assertThat(x.core() == y.core() && x.socket() == y.socket())
                                .as("guest core " + g / 2 + " on sibling threads" + ctx).isTrue();
                    }
                }
            }
        }
    }

    /** The host has enough free CPUs and hugepages in total: only the layout rules can refuse the request. */
    private static boolean enoughInTotal(HostTopology h, HostUsage u, Request r) {
        long free = h.cpus().stream().filter(c -> !h.reservedCpus().contains(c.id())
                && !u.exclusiveCpus().contains(c.id())).count();
        long freePages = 0;
        for (NumaNode n : h.nodes()) {
            freePages += n.hugepagesTotal().getOrDefault("2Mi", 0L)
                    - u.hugepagesUsed().getOrDefault(n.id(), Map.of()).getOrDefault("2Mi", 0L);
        }
        long pages = r.hugepageSize() == null ? 0 : r.memoryBytes() / MI2;
        return free >= (r.dedicated() ? r.vcpus() + (r.isolateEmulatorThread() ? 1 : 0) : 0) && freePages >= pages;
    }

    private static void checkUsage(HostTopology h, HostUsage u, String ctx) {
        for (NumaNode n : h.nodes()) {
            for (var e : u.hugepagesUsed().getOrDefault(n.id(), Map.of()).entrySet()) {
                assertThat(e.getValue()).as("pages within node " + n.id() + ctx)
                        .isLessThanOrEqualTo(n.hugepagesTotal().getOrDefault(e.getKey(), 0L));
            }
        }
        if (!h.cpus().stream().map(Cpu::id).toList().containsAll(u.exclusiveCpus())) {
            fail("usage names CPUs outside the host" + ctx);
        }
    }

    /** ≤ 8 CPUs: 1-2 sockets, 1-2 threads per core, 1-4 NUMA nodes, random reserved CPUs and hugepages. */
    static HostTopology randomSmallHost(Random rnd) {
        int threads = 1 + rnd.nextInt(2);
        int sockets = 1 + rnd.nextInt(2);
        int cores = 1 + rnd.nextInt(Math.max(1, 8 / (sockets * threads)));
        int totalCores = sockets * cores;
        int nodes = 1 + rnd.nextInt(Math.min(4, totalCores));
        Topologies.Builder b = Topologies.builder(sockets, cores, threads).nodes(nodes);
        if (rnd.nextBoolean()) {
            b.adjacentSiblings();
        }
        for (int i = 0; i < totalCores * threads; i++) {
            if (rnd.nextInt(7) == 0) {
                b.reserved(i);
            }
        }
        for (int n = 0; n < nodes; n++) {
            b.hugepagesOn(n, "2Mi", rnd.nextInt(7));
            if (rnd.nextInt(4) == 0) {
                b.hugepagesOn(n, "1Gi", rnd.nextInt(3));
            }
        }
        return b.build();
    }

    static Request randomRequest(Random rnd, int maxVcpus) {
        boolean dedicated = rnd.nextInt(8) != 0;
        int tpc = dedicated && rnd.nextInt(5) < 2 ? 2 : 1;
        int vcpus = tpc * (1 + rnd.nextInt(Math.max(1, maxVcpus / tpc)));
        boolean hugepages = rnd.nextInt(5) < 3;
        long memory = hugepages ? MI2 * (1 + rnd.nextInt(maxVcpus > 4 ? 200 : 6)) : Topologies.GI;
        boolean passthrough = dedicated && hugepages && rnd.nextInt(5) < 2;
        boolean isolate = dedicated && rnd.nextInt(10) < 3;
        if (rnd.nextInt(30) == 0) { // now and then an invalid combination
            isolate = true;
            dedicated = false;
        }
        return new Request(vcpus, tpc, dedicated, isolate, passthrough, hugepages ? "2Mi" : null, memory,
                rnd.nextInt(5) < 2);
    }
}
