package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.placement.NumaNode;
import io.jvirt.placement.Outcome;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Dedicated CPUs, NUMA passthrough, hugepages, IOThreads and multi-queue: behaviour and error cases around the
 * {@code harvester-numa} fixture (seed 000's VM on seed 002's 32-CPU host) and the {@code cirros} fixture.
 */
class PlacementConverterTest {

    private static final Map<Integer, List<Integer>> DISTANCES = Map.of(0, List.of(10, 21), 1, List.of(21, 10));

    // ---------------------------------------------------------------- helpers

    private static ObjectNode harvester() {
        return (ObjectNode) Fixtures.vmi("harvester-numa").deepCopy();
    }

    private static ObjectNode cirros() {
        return (ObjectNode) Fixtures.vmi("cirros").deepCopy();
    }

    private static ObjectNode domain(ObjectNode vmi) {
        return (ObjectNode) vmi.get("spec").get("domain");
    }

    private static ObjectNode cpu(ObjectNode vmi) {
        return (ObjectNode) domain(vmi).get("cpu");
    }

    private static ObjectNode devices(ObjectNode vmi) {
        return (ObjectNode) domain(vmi).get("devices");
    }

    private static ConverterContext harvesterCtx() {
        return Fixtures.context("harvester-numa");
    }

    private static ConverterContext with(ConverterContext c, Outcome.Allocation placement) {
        return c.withPlacement(placement, c.sharedCpus(), c.numaDistances());
    }

    private static Outcome.Allocation allocation(List<Integer> pins, List<Integer> emulator,
                                                 List<Outcome.GuestCell> cells, Map<Integer, Long> pages) {
        return new Outcome.Allocation(pins, emulator, cells, pages, 0, "test");
    }

    private static Outcome.GuestCell cell(int id, int node, List<Integer> vcpus, long bytes) {
        return new Outcome.GuestCell(id, node, vcpus, bytes);
    }

    private static String xml(JsonNode vmi, ConverterContext ctx) {
        String out = DomainConverter.toXml(vmi, ctx);
        DomainConverterGoldenTest.assertWellFormed("test", out);
        return out;
    }

    private static void assertFails(JsonNode vmi, ConverterContext ctx, String... fragments) {
        assertThatThrownBy(() -> DomainConverter.toXml(vmi, ctx))
                .isInstanceOf(ConversionException.class)
                .satisfies(e -> {
                    for (String fragment : fragments) {
                        assertThat(e.getMessage()).contains(fragment);
                    }
                });
    }

    private static void assertHarvesterFails(Consumer<ObjectNode> edit, ConverterContext ctx, String... fragments) {
        ObjectNode vmi = harvester();
        edit.accept(vmi);
        assertFails(vmi, ctx, fragments);
    }

    /** The harvester VMI with 4 vCPUs (1 socket × 4 cores), no NUMA, no hugepages, and the given placement. */
    private static ObjectNode fourDedicatedVcpus() {
        ObjectNode vmi = harvester();
        cpu(vmi).put("cores", 4);
        cpu(vmi).remove("numa");
        ((ObjectNode) domain(vmi).get("memory")).remove("hugepages");
        ((ObjectNode) domain(vmi).get("memory")).put("guest", "4Gi");
        return vmi;
    }

    // ---------------------------------------------------------------- dedicated CPUs

    @Test
    void dedicatedCpusWithoutAPlacementAreRefused() {
        ConverterContext ctx = harvesterCtx().withPlacement(null, List.of(), Map.of());
        assertFails(harvester(), ctx, "spec.domain.cpu.dedicatedCpuPlacement",
                "the node must place the VMI (allocate its exclusive CPUs) before its domain is defined");
    }

    @Test
    void aPlacementWithPinsForASharedCpuVmiIsRefused() {
        ConverterContext ctx = with(Fixtures.context("cirros"), allocation(List.of(1), List.of(), List.of(),
                Map.of()));
        assertFails(cirros(), ctx, "spec.domain.cpu.dedicatedCpuPlacement", "pins CPUs for a VMI without dedicated");
    }

    @Test
    void sharedCpuHugepagesStayOnTheNodesTheyWereAccountedOn() {
        // the Fitter's answer for a shared-CPU 1Gi guest: nothing pinned, 4 pages on node 0
        ObjectNode vmi = (ObjectNode) Fixtures.vmi("hugepages-1gi").deepCopy();
        ConverterContext ctx = with(Fixtures.context("hugepages-1gi"), allocation(List.of(), List.of(), List.of(),
                Map.of(0, 4L)));
        assertThat(xml(vmi, ctx)).contains("<numatune>\n    <memory mode='strict' nodeset='0'/>\n  </numatune>")
                .doesNotContain("<cputune>", "memnode", "hint-dedicated");
        assertThat(xml(vmi, Fixtures.context("hugepages-1gi"))).doesNotContain("<numatune>");
    }

    @Test
    void paddingCpusOfAWholeCoreRunTheEmulator() {
        // full-pcpus-only, 1 vCPU: the Fitter gives the core's other thread to the emulator thread
        ObjectNode vmi = fourDedicatedVcpus();
        cpu(vmi).put("cores", 1);
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(8), List.of(24), List.of(), Map.of()));
        assertThat(xml(vmi, ctx)).contains("<vcpupin vcpu='0' cpuset='8'/>", "<emulatorpin cpuset='24'/>");
    }

    @Test
    void sharedCpuVmiGetsNoCputune() {
        String out = xml(cirros(), Fixtures.context("cirros"));
        assertThat(out).doesNotContain("<cputune>", "<numatune>", "hint-dedicated", "<iothreads>");
    }

    @Test
    void pinCountMustMatchTheVcpus() {
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1), List.of(),
                harvesterCtx().placement().cells(), Map.of()));
        assertFails(harvester(), ctx, "pins 1 vCPU(s) but the guest has 2");
    }

    @Test
    void aHostCpuCannotBackTwoVcpus() {
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 1), List.of(),
                harvesterCtx().placement().cells(), Map.of()));
        assertFails(harvester(), ctx, "pins vCPU 1 to host CPU 1, which is already pinned to another vCPU");
    }

    @Test
    void emulatorRunsOnTheSharedPoolWithoutThisGuestsCpus() {
        // a pool still listing the guest's own CPUs (computed before the allocation) must not pin the emulator there
        ConverterContext c = harvesterCtx();
        ConverterContext ctx = c.withPlacement(c.placement(), IntStream.range(0, 32).boxed().toList(), DISTANCES);
        assertThat(xml(harvester(), ctx)).contains("<emulatorpin cpuset='0,2-16,18-31'/>");
    }

    @Test
    void withoutASharedPoolTheEmulatorSharesTheVcpuCpus() {
        ConverterContext c = harvesterCtx();
        ConverterContext ctx = c.withPlacement(c.placement(), null, DISTANCES);
        assertThat(xml(harvester(), ctx)).contains("<emulatorpin cpuset='1,17'/>");
    }

    @Test
    void isolatedEmulatorThreadNeedsAnEmulatorCpu() {
        assertHarvesterFails(vmi -> cpu(vmi).put("isolateEmulatorThread", true), harvesterCtx(),
                "spec.domain.cpu.isolateEmulatorThread", "no CPU for the isolated emulator thread");
    }

    @Test
    void isolatedEmulatorThreadNeedsDedicatedCpus() {
        ObjectNode vmi = cirros();
        ((ObjectNode) domain(vmi).get("cpu")).put("isolateEmulatorThread", true);
        assertFails(vmi, Fixtures.context("cirros"), "spec.domain.cpu.isolateEmulatorThread",
                "IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement");
    }

    @Test
    void hintDedicatedOnlyUnderKvmAndMergedWithKvmHiding() {
        assertThat(xml(harvester(), harvesterCtx().withKvm(false))).doesNotContain("hint-dedicated", "<kvm>");
        ObjectNode vmi = harvester();
        ((ObjectNode) domain(vmi).get("features")).putObject("kvm").put("hidden", true);
        assertThat(xml(vmi, harvesterCtx()))
                .contains("    <kvm>\n      <hidden state='on'/>\n      <hint-dedicated state='on'/>\n    </kvm>");
    }

    @Test
    void guestTopologyIsTheVmis() {
        ObjectNode vmi = fourDedicatedVcpus();
        cpu(vmi).put("cores", 2).put("threads", 2);
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 17, 2, 18), List.of(), List.of(),
                Map.of()));
        assertThat(xml(vmi, ctx)).contains("<topology sockets='1' cores='2' threads='2'/>",
                "<vcpupin vcpu='1' cpuset='17'/>", "<vcpupin vcpu='3' cpuset='18'/>");
    }

    // ---------------------------------------------------------------- NUMA passthrough and hugepages

    @Test
    void numaPassthroughNeedsHugepages() {
        assertHarvesterFails(vmi -> ((ObjectNode) domain(vmi).get("memory")).remove("hugepages"), harvesterCtx(),
                "spec.domain.cpu.numa.guestMappingPassthrough", "spec.domain.memory.hugepages must be requested");
    }

    @Test
    void numaPassthroughNeedsDedicatedCpus() {
        assertHarvesterFails(vmi -> cpu(vmi).remove("dedicatedCpuPlacement"),
                harvesterCtx().withPlacement(null, null, null),
                "spec.domain.cpu.dedicatedCpuPlacement must be set to true when NUMA topology strategy is set");
    }

    @Test
    void realtimeNeedsNumaPassthrough() {
        assertHarvesterFails(vmi -> {
            cpu(vmi).remove("numa");
            cpu(vmi).putObject("realtime");
        }, harvesterCtx(), "spec.domain.cpu.numa.guestMappingPassthrough must be defined when "
                + "spec.domain.cpu.realtime is used");
    }

    @Test
    void realtimeMaskIsPassedOnAndChecked() {
        ObjectNode vmi = harvester();
        cpu(vmi).putObject("realtime").put("mask", "1");
        assertThat(xml(vmi, harvesterCtx())).contains("<vcpusched vcpus='1' scheduler='fifo' priority='1'/>",
                "<pmu state='off'/>", "<nosharepages/>");
        cpu(vmi).putObject("realtime").put("mask", "0-1; rm -rf");
        assertFails(vmi, harvesterCtx(), "spec.domain.cpu.realtime.mask");
    }

    @Test
    void placementWithoutCellsIsRefusedForNumaPassthrough() {
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 17), List.of(), List.of(), Map.of()));
        assertFails(harvester(), ctx, "spec.domain.cpu.numa.guestMappingPassthrough", "no guest NUMA cells");
    }

    @Test
    void everyVcpuMustBeInACell() {
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 17), List.of(),
                List.of(cell(0, 0, List.of(0), 4L << 30)), Map.of(0, 2048L)));
        assertFails(harvester(), ctx, "puts vCPU 1 in no guest NUMA cell");
    }

    @Test
    void cellMemoryMustAddUpToTheGuestMemory() {
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 17), List.of(),
                List.of(cell(0, 0, List.of(0, 1), 2L << 30)), Map.of(0, 2048L)));
        assertFails(harvester(), ctx, "gives the guest cells 2147483648 bytes in all, but the guest has 4294967296");
    }

    @Test
    void reservedHugepagesMustCoverTheCell() {
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 17), List.of(),
                harvesterCtx().placement().cells(), Map.of(0, 1024L)));
        assertFails(harvester(), ctx, "guest cell 0 needs 2048 hugepages on host node 0 but the node's placement "
                + "reserved 1024");
    }

    @Test
    void cellsWithoutMemoryAreSplitInWholePagesAsKubevirtDoes() {
        ObjectNode vmi = harvester();
        ((ObjectNode) domain(vmi).get("resources").get("requests")).put("memory", "4098Mi");
        ((ObjectNode) domain(vmi).get("resources").get("limits")).put("memory", "4098Mi");
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 8), List.of(),
                List.of(cell(0, 0, List.of(0), 0), cell(1, 1, List.of(1), 0)), Map.of()));
        String out = xml(vmi, ctx);
        // 2049 pages: 1025 on the first cell, 1024 on the second
        assertThat(out).contains("<cell id='0' cpus='0' memory='" + 1025L * 2 * 1024 * 1024 + "' unit='b'>",
                "<cell id='1' cpus='1' memory='" + 1024L * 2 * 1024 * 1024 + "' unit='b'>",
                "<sibling id='1' value='21'/>", "<memory mode='strict' nodeset='0-1'/>",
                "<memnode cellid='1' mode='strict' nodeset='1'/>", "<page size='2097152' unit='b' nodeset='1'/>");
    }

    @Test
    void distancesNeedTheHostMatrix() {
        ConverterContext c = harvesterCtx();
        Outcome.Allocation twoCells = allocation(List.of(1, 8), List.of(),
                List.of(cell(0, 0, List.of(0), 2L << 30), cell(1, 1, List.of(1), 2L << 30)),
                Map.of(0, 1024L, 1, 1024L));
        assertThat(xml(harvester(), c.withPlacement(twoCells, c.sharedCpus(), null))).doesNotContain("<distances>");
        List<NumaNode> nodes = List.of(new NumaNode(0, 16L << 30, Map.of(), List.of(10, 32)),
                new NumaNode(1, 16L << 30, Map.of(), List.of(32, 10)));
        assertThat(xml(harvester(), c.withPlacement(twoCells, c.sharedCpus(), ConverterContext.distancesOf(nodes))))
                .contains("<sibling id='1' value='32'/>");
    }

    @Test
    void hugepageMemoryMustBeWholePages() {
        ObjectNode vmi = cirros();
        ((ObjectNode) domain(vmi).get("memory")).put("guest", "129Mi").putObject("hugepages").put("pageSize", "2Mi");
        assertFails(vmi, Fixtures.context("cirros"), "spec.domain.memory.hugepages.pageSize",
                "not a multiple of the page size");
    }

    @Test
    void memfdCanBeTurnedOffByAnnotation() {
        ObjectNode vmi = cirros();
        ((ObjectNode) domain(vmi).get("memory")).putObject("hugepages").put("pageSize", "2Mi");
        String plain = xml(vmi, Fixtures.context("cirros"));
        assertThat(plain).contains("<page size='2097152' unit='b'/>", "<source type='memfd'/>",
                "<cell id='0' cpus='0' memory='134217728' unit='b'/>");
        ((ObjectNode) vmi.get("metadata")).putObject("annotations").put("kubevirt.io/memfd", "false");
        String noMemfd = xml(vmi, Fixtures.context("cirros"));
        assertThat(noMemfd).contains("<page size='2097152' unit='b'/>").doesNotContain("memfd", "<numa>");
    }

    // ---------------------------------------------------------------- IOThreads

    @Test
    void fewerIoThreadsThanVcpusArePinnedToBalancedGroups() {
        ObjectNode vmi = fourDedicatedVcpus();
        cpu(vmi).put("cores", 8);
        domain(vmi).put("ioThreadsPolicy", "auto");
        ((ObjectNode) domain(vmi).get("resources").get("requests")).put("cpu", "1");
        // auto with 1 CPU requested: pool of 2, two disks → 2 IOThreads over 8 vCPUs
        ConverterContext ctx = with(harvesterCtx(), allocation(List.of(1, 17, 2, 18, 3, 19, 4, 20), List.of(),
                List.of(), Map.of()));
        assertThat(xml(vmi, ctx)).contains("<iothreads>2</iothreads>", "<iothreadpin iothread='1' cpuset='1-4'/>",
                "<iothreadpin iothread='2' cpuset='17-20'/>");
        // 3 IOThreads over 8 CPUs → 3, 3, 2
        ((ArrayNode) devices(vmi).get("disks")).addObject().put("name", "data").putObject("disk");
        ((ArrayNode) vmi.get("spec").get("volumes")).addObject().put("name", "data").putObject("emptyDisk")
                .put("capacity", "1Gi");
        ((ObjectNode) domain(vmi).get("resources").get("requests")).put("cpu", "2");
        Map<String, PreparedDisk> disks = new HashMap<>(ctx.disks());
        disks.put("data", disks.get("disk-0"));
        ConverterContext three = new ConverterContext(ctx.kvm(), ctx.emulator(), disks, ctx.serialSocket(),
                ctx.vncSocket(), ctx.guestAgentSocket(), ctx.efiCode(), ctx.efiSecureBootCode(), ctx.efiVarsTemplate(),
                ctx.efiVars(), ctx.kernelBootDir(), ctx.efiSecureBootVarsTemplate(), ctx.placement(),
                ctx.sharedCpus(), ctx.numaDistances());
        assertThat(xml(vmi, three)).contains("<iothreads>3</iothreads>", "<iothreadpin iothread='1' cpuset='1-3'/>",
                "<iothreadpin iothread='2' cpuset='4,17-18'/>", "<iothreadpin iothread='3' cpuset='19-20'/>");
    }

    @Test
    void dedicatedIoThreadOnlyOnVirtio() {
        ObjectNode vmi = cirros();
        ObjectNode disk = (ObjectNode) devices(vmi).get("disks").get(1);
        disk.put("dedicatedIOThread", true);
        ((ObjectNode) disk.get("disk")).put("bus", "sata");
        assertFails(vmi, Fixtures.context("cirros"), "spec.domain.devices.disks[1].dedicatedIOThread",
                "IOThreads are not supported for disks on a sata bus");
    }

    @Test
    void ioThreadsPolicyIsChecked() {
        ObjectNode vmi = cirros();
        domain(vmi).put("ioThreadsPolicy", "dedicated");
        assertFails(vmi, Fixtures.context("cirros"), "spec.domain.ioThreadsPolicy", "Invalid IOThreadsPolicy");
        domain(vmi).put("ioThreadsPolicy", "supplementalPool");
        assertFails(vmi, Fixtures.context("cirros"), "spec.domain.ioThreads.supplementalPoolThreadCount");
    }

    @Test
    void sharedCpuVmiWithIoThreadsGetsThemUnpinned() {
        ObjectNode vmi = cirros();
        domain(vmi).put("ioThreadsPolicy", "shared");
        String out = xml(vmi, Fixtures.context("cirros"));
        assertThat(out).contains("<iothreads>1</iothreads>", "discard='unmap' iothread='1'/>")
                .doesNotContain("<cputune>");
    }

    // ---------------------------------------------------------------- multi-queue

    @Test
    void interfaceQueuesOnlyWhereLibvirtSupportsThem() {
        ObjectNode vmi = cirros();
        devices(vmi).put("networkInterfaceMultiqueue", true);
        Vmi view = new Vmi(vmi);
        DomainSpec domain = new DomainSpec();
        domain.vcpus = 400;
        XmlElement tap = new XmlElement("interface").attr("type", "ethernet");
        tap.child("model").attr("type", "virtio");
        NetworkConfigurator.multiqueue(view, domain, tap);
        assertThat(tap.find("driver").attr("queues")).isEqualTo("256");
        assertThat(tap.find("driver").attr("name")).isEqualTo("vhost");
        XmlElement user = new XmlElement("interface").attr("type", "user");
        user.child("model").attr("type", "virtio");
        NetworkConfigurator.multiqueue(view, domain, user);
        assertThat(user.find("driver")).isNull();
    }

    @Test
    void cpuListsAreWrittenAsRanges() {
        assertThat(CpuSets.format(List.of(3, 1, 2, 7, 9, 10, 2))).isEqualTo("1-3,7,9-10");
        assertThat(CpuSets.format(List.of(5))).isEqualTo("5");
        assertThat(CpuSets.format(List.of())).isEmpty();
    }
}
