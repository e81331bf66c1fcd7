package io.jvirt.node.topology;

import io.jvirt.placement.Cpu;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.NumaNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SysfsTopologyTest {
    private static final long GI = 1L << 30;

    private static HostTopology fixture(String name, Set<Integer> reserved) {
        return SysfsTopology.read(SysfsFixtures.resource(name).resolve("sys"), reserved);
    }

    private static long sockets(HostTopology t) {
        return t.cpus().stream().map(Cpu::socket).distinct().count();
    }

    /** (socket, core) → CPUs: the physical cores. */
    private static Map<List<Integer>, Set<Integer>> cores(HostTopology t) {
        Map<List<Integer>, Set<Integer>> out = new TreeMap<>((a, b) -> a.get(0).equals(b.get(0))
                ? Integer.compare(a.get(1), b.get(1)) : Integer.compare(a.get(0), b.get(0)));
        t.cpus().forEach(c -> out.computeIfAbsent(List.of(c.socket(), c.core()), k -> new TreeSet<>()).add(c.id()));
        return out;
    }

    private static Cpu cpu(HostTopology t, int id) {
        return t.cpus().stream().filter(c -> c.id() == id).findFirst().orElseThrow();
    }

    private static Set<Integer> nodeCpus(HostTopology t, int node) {
        return t.cpus().stream().filter(c -> c.numaNode() == node).map(Cpu::id).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void seed002XeonServer() {
        HostTopology t = fixture("seed002-xeon4208", Set.of(0, 16));
        assertThat(t.cpus()).hasSize(32);
        assertThat(sockets(t)).isEqualTo(2);
        assertThat(cores(t)).hasSize(16).allSatisfy((core, cpus) -> assertThat(cpus).hasSize(2));
        assertThat(cores(t)).containsEntry(List.of(0, 0), Set.of(0, 16)).containsEntry(List.of(1, 0), Set.of(8, 24))
                .containsEntry(List.of(1, 11), Set.of(15, 31));
        assertThat(cpu(t, 12)).isEqualTo(new Cpu(12, 8, 1, 1)); // core ids with gaps are kept as the kernel has them
        assertThat(nodeCpus(t, 0)).isEqualTo(CpuList.parse("0-7,16-23"));
        assertThat(nodeCpus(t, 1)).isEqualTo(CpuList.parse("8-15,24-31"));
        assertThat(t.nodes()).extracting(NumaNode::id).containsExactly(0, 1);
        assertThat(t.nodes().get(0).distances()).containsExactly(10, 21);
        assertThat(t.nodes().get(1).distances()).containsExactly(21, 10);
        assertThat(t.nodes().get(0).memoryBytes()).isEqualTo(16281764L * 1024).isBetween(15 * GI, 16 * GI);
        assertThat(t.nodes().get(1).memoryBytes()).isEqualTo(16505016L * 1024);
        assertThat(t.nodes()).allSatisfy(n -> assertThat(n.hugepagesTotal()).isEqualTo(Map.of("2Mi", 1024L, "1Gi", 0L)));
        assertThat(t.reservedCpus()).containsExactlyInAnyOrder(0, 16);
    }

    @Test
    void seed000HarvesterNode() {
        HostTopology t = fixture("seed000-harvester", CpuList.parse("2"));
        assertThat(t.cpus()).hasSize(20);
        assertThat(sockets(t)).isEqualTo(1);
        assertThat(cores(t)).hasSize(10).containsEntry(List.of(0, 1), Set.of(2, 3)).containsEntry(List.of(0, 9), Set.of(18, 19));
        assertThat(t.nodes()).hasSize(1);
        NumaNode n = t.nodes().get(0);
        assertThat(n.distances()).containsExactly(10);
        assertThat(n.memoryBytes()).isEqualTo(65654336L * 1024);
        assertThat(n.hugepagesTotal()).isEqualTo(Map.of("2Mi", 4196L, "1Gi", 0L));
        assertThat(nodeCpus(t, 0)).hasSize(20);
    }

    @Test
    void fourNodeHost() {
        HostTopology t = fixture("four-node", Set.of(0, 24));
        assertThat(t.cpus()).hasSize(48);
        assertThat(sockets(t)).isEqualTo(4);
        assertThat(cores(t)).hasSize(24).allSatisfy((core, cpus) -> assertThat(cpus).hasSize(2));
        assertThat(cores(t)).containsEntry(List.of(3, 5), Set.of(23, 47));
        assertThat(nodeCpus(t, 2)).isEqualTo(CpuList.parse("12-17,36-41"));
        assertThat(t.nodes()).extracting(NumaNode::distances).containsExactly(
                List.of(10, 16, 16, 22), List.of(16, 10, 22, 16), List.of(16, 22, 10, 16), List.of(22, 16, 16, 10));
        assertThat(t.nodes()).extracting(n -> n.hugepagesTotal().get("1Gi")).containsExactly(4L, 4L, 0L, 0L);
        assertThat(t.nodes()).extracting(n -> n.hugepagesTotal().get("2Mi")).containsExactly(512L, 512L, 512L, 512L);
        Map<Integer, Map<String, HugepageCount>> huge = SysfsTopology.hugepages(SysfsFixtures.resource("four-node").resolve("sys"));
        assertThat(huge.get(2).get("2Mi")).isEqualTo(new HugepageCount(512, 312));
        assertThat(huge.get(0).get("1Gi")).isEqualTo(new HugepageCount(4, 4));
    }

    @Test
    void eightNodeHost() {
        HostTopology t = fixture("eight-node", Set.of(0, 32));
        assertThat(t.cpus()).hasSize(64);
        assertThat(sockets(t)).isEqualTo(2);
        assertThat(cores(t)).hasSize(32).allSatisfy((core, cpus) -> assertThat(cpus).hasSize(2));
        assertThat(t.nodes()).hasSize(8);
        for (int n = 0; n < 8; n++) {
            assertThat(nodeCpus(t, n)).hasSize(8);
        }
        assertThat(nodeCpus(t, 3)).isEqualTo(CpuList.parse("12-15,44-47"));
        assertThat(cpu(t, 4)).isEqualTo(new Cpu(4, 8, 0, 1));
        assertThat(cpu(t, 36)).isEqualTo(new Cpu(36, 8, 0, 1));
        assertThat(t.nodes().get(0).distances()).containsExactly(10, 12, 12, 12, 32, 32, 32, 32);
        assertThat(t.nodes().get(6).distances()).containsExactly(32, 32, 32, 32, 12, 12, 10, 12);
        assertThat(t.nodes()).allSatisfy(n -> assertThat(n.hugepagesTotal()).containsEntry("1Gi", 8L).containsEntry("2Mi", 0L));
        assertThat(SysfsTopology.hugepages(SysfsFixtures.resource("eight-node").resolve("sys")).get(5).get("1Gi"))
                .isEqualTo(new HugepageCount(8, 6));
    }

    @Test
    void withoutNumaSupportTheHostIsOneNode(@TempDir Path dir) throws Exception {
        List<SysfsFixtures.CpuSpec> cpus = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            cpus.add(new SysfsFixtures.CpuSpec(c, 0, 0, c % 2, 0, true));
        }
        Path root = SysfsFixtures.write(new SysfsFixtures.Host("flat", cpus, List.of(new SysfsFixtures.NodeSpec(0,
                8_000_000, List.of(10), Map.of(2048L, new long[] {64, 60}))), false, 2048, List.of()), dir);
        assertThat(root.resolve("sys/devices/system/node")).doesNotExist();
        HostTopology t = SysfsTopology.read(root.resolve("sys"), Set.of(0));
        assertThat(t.nodes()).containsExactly(new NumaNode(0, 8_000_000L * 1024, Map.of("2Mi", 64L), List.of(10)));
        assertThat(t.cpus()).extracting(Cpu::numaNode).containsOnly(0);
        assertThat(cores(t)).containsEntry(List.of(0, 0), Set.of(0, 2)).containsEntry(List.of(0, 1), Set.of(1, 3));
        assertThat(SysfsTopology.hugepages(root.resolve("sys"))).isEqualTo(Map.of(0, Map.of("2Mi", new HugepageCount(64, 60))));
    }

    @Test
    void offlineCpusAreLeftOut(@TempDir Path dir) throws Exception {
        Path root = SysfsFixtures.write(SysfsFixtures.seed002(), dir);
        Path sys = root.resolve("sys");
        Files.writeString(sys.resolve("devices/system/cpu/online"), "0-30\n");
        HostTopology t = SysfsTopology.read(sys, Set.of());
        assertThat(t.cpus()).hasSize(31).noneMatch(c -> c.id() == 31);
        assertThat(cores(t).get(List.of(1, 11))).containsExactly(15); // its sibling is offline
        assertThatThrownBy(() -> SysfsTopology.read(sys, Set.of(31)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not online").hasMessageContaining("\"31\"");
    }

    @Test
    void coreIdsRepeatingAcrossDiesFallBackToSiblings(@TempDir Path dir) throws Exception {
        List<SysfsFixtures.CpuSpec> cpus = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            for (int die = 0; die < 2; die++) {
                for (int core = 0; core < 2; core++) {
                    cpus.add(new SysfsFixtures.CpuSpec(t * 4 + die * 2 + core, 0, die, core, 0, true));
                }
            }
        }
        Path root = SysfsFixtures.write(new SysfsFixtures.Host("dies", cpus, List.of(new SysfsFixtures.NodeSpec(0,
                1_000_000, List.of(10), Map.of())), true, 2048, List.of()), dir);
        HostTopology t = SysfsTopology.read(root.resolve("sys"), Set.of());
        assertThat(cores(t)).hasSize(4).containsEntry(List.of(0, 0), Set.of(0, 4)).containsEntry(List.of(0, 2), Set.of(2, 6));
    }

    @Test
    void readsThisMachine() {
        Path sys = Path.of("/sys");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(sys.resolve("devices/system/cpu")));
        HostTopology t = SysfsTopology.read(sys, Set.of());
        Set<Integer> online = SysfsTopology.onlineCpus(sys);
        assertThat(t.cpus()).extracting(Cpu::id).containsExactlyElementsOf(online);
        Set<Integer> nodeIds = t.nodes().stream().map(NumaNode::id).collect(Collectors.toSet());
        assertThat(t.cpus()).allSatisfy(c -> assertThat(nodeIds).contains(c.numaNode()));
        assertThat(t.nodes()).allSatisfy(n -> {
            assertThat(n.memoryBytes()).isPositive();
            assertThat(n.distances().get(n.id())).isEqualTo(10);
        });
        assertThat(cores(t).values()).allSatisfy(s -> assertThat(s).isNotEmpty());
    }

    @Test
    void pageSizeNames() {
        assertThat(SysfsTopology.sizeName(2048)).isEqualTo("2Mi");
        assertThat(SysfsTopology.sizeName(1048576)).isEqualTo("1Gi");
        assertThat(SysfsTopology.sizeName(64)).isEqualTo("64Ki");
        assertThat(SysfsTopology.sizeName(16384)).isEqualTo("16Mi");
        assertThat(SysfsTopology.sizeBytes("2Mi")).isEqualTo(2L << 20);
        assertThat(SysfsTopology.sizeBytes("1Gi")).isEqualTo(GI);
        assertThatThrownBy(() -> SysfsTopology.sizeBytes("2M")).isInstanceOf(IllegalArgumentException.class);
    }
}
