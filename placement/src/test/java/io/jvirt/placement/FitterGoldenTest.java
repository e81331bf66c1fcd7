package io.jvirt.placement;

import static io.jvirt.placement.Topologies.GI;
import static io.jvirt.placement.Topologies.MI;
import static io.jvirt.placement.Topologies.dedicated;
import static io.jvirt.placement.Topologies.with;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FitterGoldenTest {

    private static Outcome.Allocation fits(HostTopology h, HostUsage u, Request r) {
        Outcome o = Fitter.fit(h, u, r);
        assertThat(o).as(Fitter.explain(o)).isInstanceOf(Outcome.Allocation.class);
        Outcome.Allocation a = (Outcome.Allocation) o;
        assertThat(a.score()).isCloseTo(FitScore.of(h, u, r, a).total(), org.assertj.core.data.Offset.offset(1e-6));
        return a;
    }

    private static Outcome.Rejection rejects(HostTopology h, HostUsage u, Request r) {
        Outcome o = Fitter.fit(h, u, r);
        assertThat(o).as(Fitter.explain(o)).isInstanceOf(Outcome.Rejection.class);
        return (Outcome.Rejection) o;
    }

    private static HostUsage cpus(Integer... used) {
        return new HostUsage(Set.of(used), Map.of());
    }

    /** The seed 000 guest: cores 2, dedicatedCpuPlacement, guestMappingPassthrough, 4Gi of 2Mi hugepages. */
    private static Request seed000Vm(boolean fullPcpusOnly) {
        return new Request(2, 1, true, false, true, "2Mi", 4 * GI, fullPcpusOnly);
    }

    @Test
    void thisMachineOneDedicatedVcpuWithCpu0ReservedGetsCpu1() {
        HostTopology h = Topologies.builder(1, 2, 1).reserved(0).build();
        Outcome.Allocation a = fits(h, HostUsage.EMPTY, dedicated(1, 1));
        assertThat(a.vcpuPins()).containsExactly(1);
        assertThat(a.emulatorCpus()).isEmpty();
        assertThat(a.cells()).isEmpty();
        assertThat(a.score()).isZero();
        assertThat(a.explanation()).contains("1 vCPU(s) on NUMA node 0: CPUs [1]");
    }

    @Test
    void thisMachineHasNoRoomForTwoDedicatedVcpusBesideTheReservedOne() {
        HostTopology h = Topologies.builder(1, 2, 1).reserved(0).build();
        Outcome.Rejection r = rejects(h, HostUsage.EMPTY, dedicated(2, 1));
        assertThat(r.message()).isEqualTo("2 dedicated CPUs requested, 1 unreserved CPUs free on the host; "
                + "NUMA node 0: 1 free CPUs, needs 2");
    }

    @Test
    void seed000VmOnSeed002ServerTakesOneWholeCoreAndItsNodesHugepages() {
        HostTopology h = Topologies.seed002();
        Outcome.Allocation a = fits(h, HostUsage.EMPTY, seed000Vm(true));
        assertThat(a.vcpuPins()).containsExactly(0, 16);
        assertThat(a.emulatorCpus()).isEmpty();
        assertThat(a.cells()).containsExactly(new Outcome.GuestCell(0, 0, List.of(0, 1), 4 * GI));
        assertThat(a.hugepagesByNode()).isEqualTo(Map.of(0, 2048L));
        // node 0: 14/16 CPUs free vs 2048/4096 pages free → (0.875 - 0.5)²; node 1 untouched and balanced
        assertThat(a.score()).isCloseTo(0.140625, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(a.explanation()).contains("uses 1 whole core(s)", "2048 × hugepages-2Mi on node 0");
    }

    @Test
    void seed000VmLandsOnTheLeastUsedNodeWhenNode0IsBusy() {
        HostTopology h = Topologies.seed002();
        HostUsage u = new HostUsage(Set.of(0, 16, 1, 17), Map.of(0, Map.of("2Mi", 2048L)));
        Outcome.Allocation a = fits(h, u, seed000Vm(true));
        // on node 0 it would strand 10 free CPUs without a single free page ((10/16 - 0)² = 0.39); on node 1 both
        // nodes stay usable: (12/16 - 1/2)² + (14/16 - 1/2)² = 0.20
        assertThat(a.vcpuPins()).containsExactly(8, 24);
        assertThat(a.cells()).extracting(Outcome.GuestCell::hostNode).containsExactly(1);
    }

    @Test
    void seed000VmOnSeed000NodeNeverTouchesReservedCpu2() {
        // The seed's kubelet state shows "2-3" although reserved-cpus=2: jvirt never gives a reserved CPU, and under
        // full-pcpus-only the core {2,3} is split by it, so the whole core {0,1} is taken.
        HostTopology h = Topologies.seed000();
        Outcome.Allocation a = fits(h, HostUsage.EMPTY, seed000Vm(true));
        assertThat(a.vcpuPins()).containsExactly(0, 1);
        assertThat(a.cells()).containsExactly(new Outcome.GuestCell(0, 0, List.of(0, 1), 4 * GI));
        assertThat(a.hugepagesByNode()).isEqualTo(Map.of(0, 2048L));
    }

    @Test
    void withoutFullPcpusOnlyASingleVcpuCompletesTheReservedCpusCore() {
        Outcome.Allocation a = fits(Topologies.seed000(), HostUsage.EMPTY, dedicated(1, 1));
        assertThat(a.vcpuPins()).containsExactly(3);
        assertThat(FitScore.of(Topologies.seed000(), HostUsage.EMPTY, dedicated(1, 1), a).partialCores()).isZero();
    }

    @Test
    void emulatorThreadSharesTheBusiestCellsNodeAndCompletesAPartlyUsedCore() {
        HostTopology h = Topologies.seed002();
        // node 0: core {0,16} fully used, CPU 1 used (its sibling 17 free)
        HostUsage u = cpus(0, 16, 1);
        Request r = with(dedicated(4, 2), true, false, null, GI, false);
        Outcome.Allocation a = fits(h, u, r);
        assertThat(a.vcpuPins()).containsExactly(2, 18, 3, 19);
        assertThat(a.emulatorCpus()).containsExactly(17);
        assertThat(a.explanation()).contains("emulator thread on CPU 17 (node 0, with the busiest guest cell)");
    }

    @Test
    void emulatorThreadGoesWithTheLargerCellWhenTheGuestMustSpread() {
        HostTopology h = Topologies.seed002();
        Request r = with(dedicated(20, 2), true, true, "2Mi", 4 * GI, false);
        Outcome.Allocation a = fits(h, HostUsage.EMPTY, r);
        // 14 vCPUs + the emulator on node 0, 6 vCPUs on node 1: the emulator is local to 14 of the 20 vCPUs
        assertThat(a.cells()).containsExactly(
                new Outcome.GuestCell(0, 0, IntStream.range(0, 14).boxed().toList(), 2 * GI),
                new Outcome.GuestCell(1, 1, IntStream.range(14, 20).boxed().toList(), 2 * GI));
        assertThat(a.emulatorCpus()).containsExactly(7);
        assertThat(a.vcpuPins().subList(0, 4)).containsExactly(0, 16, 1, 17);
        assertThat(a.vcpuPins().subList(14, 20)).containsExactly(8, 24, 9, 25, 10, 26);
        assertThat(a.hugepagesByNode()).isEqualTo(Map.of(0, 1024L, 1, 1024L));
    }

    @Test
    void fullPcpusOnlyPadsTheEmulatorToAWholeCoreLikeKubevirtsEvenParity() {
        Request r = with(dedicated(2, 1), true, false, null, GI, true);
        Outcome.Allocation a = fits(Topologies.seed002(), HostUsage.EMPTY, r);
        assertThat(a.vcpuPins()).containsExactly(0, 16);
        assertThat(a.emulatorCpus()).containsExactly(1, 17);
    }

    @Test
    void fullPcpusOnlyWithAnOddVcpuCountGivesTheSpareSiblingToTheEmulatorInsteadOfSplittingTheCore() {
        Request r = with(dedicated(3, 1), false, false, null, GI, true);
        Outcome.Allocation a = fits(Topologies.seed002(), HostUsage.EMPTY, r);
        assertThat(a.vcpuPins()).containsExactly(0, 16, 1);
        assertThat(a.emulatorCpus()).containsExactly(17);
        assertThat(a.explanation()).contains("CPUs [17] complete whole cores");
    }

    @Test
    void fullPcpusOnlyRejectionNamesEachNodesFreeFullCores() {
        HostTopology h = Topologies.seed002();
        // node 0: one thread of every core used → 8 free CPUs, 0 full cores; node 1: only {14,30} and {15,31} free
        HostUsage u = cpus(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 24, 25, 26, 27, 28, 29);
        Request r = with(dedicated(6, 2), false, false, null, GI, true);
        Outcome.Rejection rj = rejects(h, u, r);
        assertThat(rj.reasons()).extracting(Outcome.Reason::toString).containsExactly(
                "full-pcpus-only: 2 free full cores on the host, needs 3",
                "NUMA node 0: 0 free full cores, needs 3",
                "NUMA node 1: 2 free full cores, needs 3");
        // the same guest without full-pcpus-only spreads over both nodes
        fits(h, u, with(r, false, false, null, GI, false));
    }

    @Test
    void hugepageRejectionNamesTheNodeAndTheAmounts() {
        HostTopology h = Topologies.seed002();
        HostUsage u = new HostUsage(Set.of(), Map.of(0, Map.of("2Mi", 3840L), 1, Map.of("2Mi", 4096L)));
        Outcome.Rejection rj = rejects(h, u, seed000Vm(true));
        assertThat(rj.message()).isEqualTo("512Mi of hugepages-2Mi free on the host, needs 4Gi; "
                + "NUMA node 0: 512Mi of hugepages-2Mi free, needs 4Gi; "
                + "NUMA node 1: 0 of hugepages-2Mi free, needs 4Gi");
    }

    @Test
    void passthroughRejectionNamesTheGuestCellThatLacksPages() {
        HostTopology h = Topologies.seed002();
        // 1.5Gi free on node 0, 3Gi on node 1: 4.5Gi in all, but an even split needs 2Gi per cell
        HostUsage u = new HostUsage(Set.of(), Map.of(0, Map.of("2Mi", 3328L), 1, Map.of("2Mi", 2560L)));
        Outcome.Rejection rj = rejects(h, u, seed000Vm(false));
        assertThat(rj.reasons()).extracting(Outcome.Reason::toString).containsExactly(
                "NUMA node 0: 1536Mi of hugepages-2Mi free, needs 4Gi",
                "NUMA node 1: 3Gi of hugepages-2Mi free, needs 4Gi",
                "NUMA node 0: guest cell 0 of 2 (1 vCPUs): 1536Mi of hugepages-2Mi free, needs 2Gi");
        // without passthrough the pages may go anywhere: the fullest node first, the rest on node 0
        Outcome.Allocation a = fits(h, u, new Request(2, 1, true, false, false, "2Mi", 4 * GI, false));
        assertThat(a.hugepagesByNode()).isEqualTo(Map.of(1, 1536L, 0, 512L));
    }

    @Test
    void bestFitBeatsFirstFitByFillingTheHalfUsedCore() {
        // 1 socket × 4 cores × 2 threads, Linux numbering: siblings are i and i+4; CPU 0 is taken
        HostTopology h = Topologies.builder(1, 4, 2).build();
        HostUsage u = cpus(0);
        Outcome.Allocation best = fits(h, u, dedicated(1, 1));
        assertThat(best.vcpuPins()).containsExactly(4);
        Outcome.Allocation firstFit = new Outcome.Allocation(List.of(1), List.of(), List.of(), Map.of(), 0, "");
        FitScore ff = FitScore.of(h, u, dedicated(1, 1), firstFit);
        assertThat(ff.partialCores()).isEqualTo(2);
        assertThat(best.score()).isLessThan(ff.total());
        // what it buys: a 6-vCPU full-pcpus-only guest still fits after best fit, not after first fit
        Request big = with(dedicated(6, 2), false, false, null, GI, true);
        assertThat(Fitter.fit(h, u.plus(dedicated(1, 1), best), big)).isInstanceOf(Outcome.Allocation.class);
        assertThat(Fitter.fit(h, u.plus(dedicated(1, 1), firstFit), big)).isInstanceOf(Outcome.Rejection.class);
    }

    @Test
    void guestCoresOnANoSmtHostCannotBeSiblingsButStillFit() {
        Outcome.Allocation a = fits(Topologies.thisMachine(), HostUsage.EMPTY, dedicated(2, 2));
        assertThat(a.vcpuPins()).containsExactly(0, 1);
        assertThat(a.explanation()).contains("1 of 1 guest cores not on sibling threads");
    }

    @Test
    void sharedGuestWithHugepagesPrefersOneNodeAndSpreadsOnlyWhenItMust() {
        HostTopology h = Topologies.seed002();
        Request one = new Request(4, 1, false, false, false, "2Mi", GI, false);
        Outcome.Allocation a = fits(h, HostUsage.EMPTY, one);
        assertThat(a.vcpuPins()).isEmpty();
        assertThat(a.hugepagesByNode()).isEqualTo(Map.of(0, 512L));
        HostUsage u = new HostUsage(Set.of(), Map.of(0, Map.of("2Mi", 2048L)));
        Request big = new Request(4, 1, false, false, false, "2Mi", 12 * GI, false);
        assertThat(fits(h, u, big).hugepagesByNode()).isEqualTo(Map.of(1, 4096L, 0, 2048L));
        Outcome.Allocation plain = fits(h, HostUsage.EMPTY, new Request(4, 1, false, false, false, null, GI, false));
        assertThat(plain.hugepagesByNode()).isEmpty();
    }

    @Test
    void eightNodeSpreadStaysInOneSocketAndSplitsPagesRemainderFirst() {
        HostTopology h = Topologies.eightNode();
        // 20 vCPUs need 3 nodes of 8 CPUs; 1001 pages split 334/334/333
        Request r = with(dedicated(20, 2), false, true, "2Mi", 1001 * 2 * MI, false);
        HostUsage u = cpus(0, 32); // node 0 loses a core
        Outcome.Allocation a = fits(h, u, r);
        assertThat(a.cells()).extracting(Outcome.GuestCell::hostNode).allMatch(n -> n < 4); // socket 0's nodes
        assertThat(a.cells()).extracting(Outcome.GuestCell::memoryBytes)
                .containsExactly(334 * 2 * MI, 334 * 2 * MI, 333 * 2 * MI);
        assertThat(a.cells()).extracting(c -> c.vcpus().size()).allMatch(n -> n % 2 == 0);
        System.out.println(Fitter.explain(a));
    }

    @Test
    void fourNodeHostPrefersTheSameSocketForATwoCellGuest() {
        HostTopology h = Topologies.fourNode();
        Request r = with(dedicated(12, 2), false, true, "2Mi", 2 * GI, false);
        Outcome.Allocation a = fits(h, HostUsage.EMPTY, r);
        assertThat(a.cells()).extracting(Outcome.GuestCell::hostNode).containsExactly(0, 1);
    }

    @Test
    void invalidRequestsAreRejectedWithKubevirtsMessages() {
        HostTopology h = Topologies.seed002();
        assertThat(rejects(h, HostUsage.EMPTY, new Request(2, 1, false, true, false, null, GI, false)).message())
                .isEqualTo("IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement");
        assertThat(rejects(h, HostUsage.EMPTY, new Request(2, 1, true, false, true, null, GI, false)).message())
                .startsWith("spec.domain.memory.hugepages must be requested");
        assertThat(rejects(h, HostUsage.EMPTY, new Request(2, 1, true, false, false, "2Mi", 3 * MI, false))
                .message()).isEqualTo("memory 3Mi is not a multiple of the page size 2Mi");
        assertThat(rejects(h, HostUsage.EMPTY, new Request(3, 2, true, false, false, null, GI, false)).message())
                .isEqualTo("3 vCPUs is not a multiple of 2 threads per core");
    }

    @Test
    void reportAndExplainAreReadable() {
        FitterReport rep = Fitter.report(Topologies.seed002(), HostUsage.EMPTY,
                with(dedicated(4, 2), true, true, "2Mi", 4 * GI, true));
        assertThat(rep.fits()).isTrue();
        String s = rep.toString();
        assertThat(s).contains("node 0: 16/16 CPUs free, 8/8 cores fully free, hugepages-2Mi 4096/4096 free",
                "request: 4 vCPU(s) (2 threads/core), dedicated, isolated emulator thread, NUMA passthrough",
                "vCPU → host CPU: 0→0 1→16 2→1 3→17", "emulator thread: CPUs [2, 18]",
                "guest cell 0 → host node 0: vCPUs [0, 1, 2, 3], 4Gi", "score");
        System.out.println(s);
    }
}
