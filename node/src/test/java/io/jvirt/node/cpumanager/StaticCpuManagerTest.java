package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.CpuList;
import io.jvirt.node.topology.SysfsFixtures;
import io.jvirt.node.topology.SysfsTopology;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StaticCpuManagerTest {
    @TempDir
    Path data;

    static CpuManagerOptions opts(String... flags) {
        return CpuManagerOptions.parse(flags);
    }

    static HostTopology host(String fixture, CpuManagerOptions o) {
        return SysfsTopology.read(SysfsFixtures.resource(fixture).resolve("sys"), o.reservedCpus());
    }

    static Outcome.Allocation pins(List<Integer> vcpus, List<Integer> emulator) {
        return new Outcome.Allocation(vcpus, emulator, List.of(), Map.of(), 0, "test");
    }

    private final CpuManagerOptions seed002 = opts("--cpu-manager-policy=static", "--reserved-cpus=0,16");

    private StaticCpuManager open(CpuManagerOptions o, String fixture) throws Exception {
        return StaticCpuManager.open(data, o, host(fixture, o));
    }

    private String stateFile() throws Exception {
        return Files.readString(data.resolve("cpu_manager_state"));
    }

    @Test
    void freshStateIsByteForByteTheKubelets() throws Exception {
        // Seed 000: "cat /var/lib/kubelet/cpu_manager_state" on a fresh 20-CPU node with the static policy
        open(opts("cpu-manager-policy=static", "reserved-cpus=2"), "seed000-harvester");
        assertThat(stateFile()).isEqualTo("{\"policyName\":\"static\",\"defaultCpuSet\":\"0-19\",\"checksum\":31209605}");
        Files.delete(data.resolve("cpu_manager_state"));
        open(CpuManagerOptions.DEFAULT, "seed000-harvester");
        assertThat(stateFile()).isEqualTo("{\"policyName\":\"none\",\"defaultCpuSet\":\"\",\"checksum\":1353318690}");
    }

    @Test
    void seed000StateWithEntriesLoadsAndIsCheckedAgainstReservedCpus() throws Exception {
        String harvester = CpuManagerCheckpointTest.KUBELET_FILES.get(1); // compute holds 2-3
        Files.writeString(data.resolve("cpu_manager_state"), harvester);
        StaticCpuManager m = open(opts("--cpu-manager-policy=static", "--reserved-cpus=0"), "seed000-harvester");
        assertThat(m.assignments()).containsOnlyKeys("5e2cd290-38d7-4749-9218-dfe7132d86df");
        assertThat(m.cpusOf("5e2cd290-38d7-4749-9218-dfe7132d86df", "compute")).containsExactly(2, 3);
        assertThat(m.sharedPool()).isEqualTo(CpuList.parse("0-1,4-19"));
        // with reserved-cpus=2, as seed 000 passes it, CPU 2 may never be exclusive: the file is refused
        assertThatThrownBy(() -> open(opts("--cpu-manager-policy=static", "--reserved-cpus=2"), "seed000-harvester"))
                .isInstanceOf(StaticCpuManager.CheckpointException.class)
                .hasMessageContaining("not all reserved cpus: \"2\" are present in defaultCpuSet: \"0-1,4-19\"");
    }

    @Test
    void stateRoundTrips() throws Exception {
        StaticCpuManager m = open(seed002, "seed002-xeon4208");
        assertThat(m.allocate("pod-a", "compute", pins(List.of(1, 17), List.of(2)))).containsExactly(1, 2, 17);
        assertThat(m.allocate("pod-b", "compute", pins(List.of(8, 24, 9, 25), List.of()))).containsExactly(8, 9, 24, 25);
        CpuManagerCheckpoint onDisk = CpuManagerCheckpoint.parse(stateFile());
        assertThat(onDisk.checksumValid()).isTrue();
        assertThat(onDisk.checksum()).isNotZero();
        assertThat(onDisk.defaultCpuSet()).isEqualTo("0,3-7,10-16,18-23,26-31");
        assertThat(onDisk.entries()).isEqualTo(Map.of("pod-a", Map.of("compute", "1-2,17"), "pod-b", Map.of("compute", "8-9,24-25")));

        StaticCpuManager again = open(seed002, "seed002-xeon4208");
        assertThat(again.assignments()).isEqualTo(m.assignments());
        assertThat(again.usage().exclusiveCpus()).containsExactlyInAnyOrder(1, 2, 17, 8, 9, 24, 25);
        assertThat(again.sharedPool()).isEqualTo(CpuList.parse("0,3-7,10-16,18-23,26-31"));
        assertThat(stateFile()).isEqualTo(onDisk.toJson());
        try (Stream<Path> files = Files.list(data)) {
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("cpu_manager_state");
        }
    }

    @Test
    void checksumIsVerifiedOnLoad() throws Exception {
        StaticCpuManager m = open(seed002, "seed002-xeon4208");
        m.allocate("pod-a", "compute", pins(List.of(1, 17), List.of()));
        String tampered = stateFile().replace("\"compute\":\"1,17\"", "\"compute\":\"1-2,17\"")
                .replace("\"0,2-16,18-31\"", "\"0,3-16,18-31\"");
        assertThat(tampered).isNotEqualTo(stateFile());
        Files.writeString(data.resolve("cpu_manager_state"), tampered);
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208"))
                .isInstanceOf(StaticCpuManager.CheckpointException.class)
                .hasMessageStartingWith("could not restore state from checkpoint: checkpoint is corrupted, please drain this node");
    }

    @Test
    void stateFromAnotherPolicyIsRefused() throws Exception {
        open(CpuManagerOptions.DEFAULT, "seed002-xeon4208");
        Path file = data.resolve("cpu_manager_state");
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208"))
                .isInstanceOf(StaticCpuManager.CheckpointException.class)
                .hasMessage("could not restore state from checkpoint: configured policy \"static\" differs from state "
                        + "checkpoint policy \"none\", please drain this node and delete the CPU manager checkpoint file \""
                        + file + "\" before restarting the jvirt node agent");
        Files.delete(file); // seed 000's reboot cleanup
        assertThat(open(seed002, "seed002-xeon4208").sharedPool()).hasSize(32);
        assertThatThrownBy(() -> open(CpuManagerOptions.DEFAULT, "seed002-xeon4208"))
                .hasMessageContaining("configured policy \"none\" differs from state checkpoint policy \"static\"");
        assertThat(StaticCpuManager.recordedPolicy(file)).contains("static");
    }

    @Test
    void reservedCpusAreNeverExclusive() throws Exception {
        StaticCpuManager m = open(seed002, "seed002-xeon4208");
        String before = stateFile();
        assertThatThrownBy(() -> m.allocate("pod-a", "compute", pins(List.of(3, 16), List.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CPUs \"16\" are reserved (reserved-cpus \"0,16\") and stay in the shared pool");
        assertThatThrownBy(() -> m.allocate("pod-a", "compute", pins(List.of(1), List.of(0))))
                .hasMessageContaining("CPUs \"0\" are reserved");
        assertThat(stateFile()).isEqualTo(before);
        assertThat(m.sharedPool()).contains(0, 16).hasSize(32);
        // a file that hands a reserved CPU out exclusively is refused
        Files.writeString(data.resolve("cpu_manager_state"), CpuManagerCheckpoint.of("static", "1-15,17-31",
                Map.of("pod-x", Map.of("compute", "0,16"))).toJson());
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208"))
                .hasMessageContaining("not all reserved cpus: \"0,16\" are present in defaultCpuSet");
    }

    @Test
    void releaseReturnsCpusToTheSharedPool() throws Exception {
        StaticCpuManager m = open(seed002, "seed002-xeon4208");
        m.allocate("pod-a", "compute", pins(List.of(1, 17), List.of()));
        m.allocate("pod-b", "compute", pins(List.of(2, 18), List.of()));
        assertThat(m.sharedPool()).doesNotContain(1, 17, 2, 18).hasSize(28);
        assertThat(m.release("pod-a")).containsExactly(1, 17);
        assertThat(m.sharedPool()).contains(1, 17).hasSize(30);
        assertThat(m.release("pod-a")).isEmpty();
        assertThat(m.retainOnly(Set.of("pod-c"))).containsExactly("pod-b");
        assertThat(m.sharedPool()).hasSize(32);
        assertThat(stateFile()).isEqualTo(CpuManagerCheckpoint.of("static", "0-31", Map.of()).toJson());
    }

    @Test
    void conflictsAndPolicyNone() throws Exception {
        StaticCpuManager m = open(seed002, "seed002-xeon4208");
        m.allocate("pod-a", "compute", pins(List.of(1, 17), List.of()));
        assertThat(m.allocate("pod-a", "compute", pins(List.of(17, 1), List.of()))).containsExactly(1, 17); // idempotent
        assertThatThrownBy(() -> m.allocate("pod-b", "compute", pins(List.of(17, 18), List.of())))
                .hasMessageContaining("CPUs \"17\" are already assigned to pod pod-a container compute");
        assertThatThrownBy(() -> m.allocate("pod-a", "compute", pins(List.of(3), List.of())))
                .hasMessageContaining("already holds CPUs \"1,17\"");
        assertThatThrownBy(() -> m.allocate("pod-c", "compute", pins(List.of(40), List.of())))
                .hasMessageContaining("CPUs \"40\" are not online CPUs");
        assertThat(m.allocate("pod-shared", "compute", pins(List.of(), List.of()))).isEmpty();
        assertThat(m.cpusOf("pod-shared", "compute")).isEqualTo(m.sharedPool());

        Files.delete(data.resolve("cpu_manager_state"));
        StaticCpuManager none = open(CpuManagerOptions.DEFAULT, "seed002-xeon4208");
        assertThat(none.allocate("pod-a", "compute", pins(List.of(), List.of()))).isEmpty();
        assertThatThrownBy(() -> none.allocate("pod-a", "compute", pins(List.of(1), List.of())))
                .hasMessageContaining("CPU manager policy is \"none\"");
        assertThat(none.sharedPool()).hasSize(32);
    }

    @Test
    void fullPcpusOnlyWantsWholeCores() throws Exception {
        StaticCpuManager m = open(opts("--cpu-manager-policy=static", "--reserved-cpus=0,16",
                "--cpu-manager-policy-options=full-pcpus-only=true"), "seed002-xeon4208");
        assertThatThrownBy(() -> m.allocate("pod-a", "compute", pins(List.of(1, 17), List.of(2))))
                .hasMessage("SMT Alignment Error: requested 3 cpus not multiple cpus per core = 2");
        assertThatThrownBy(() -> m.allocate("pod-a", "compute", pins(List.of(1, 2), List.of())))
                .hasMessageContaining("are not whole physical cores").hasMessageContaining("\"17-18\" missing");
        assertThat(m.allocate("pod-a", "compute", pins(List.of(1, 17), List.of(2, 18)))).containsExactly(1, 2, 17, 18);
    }

    @Test
    void stateThatDoesNotMatchTheHostIsRefused() throws Exception {
        Files.writeString(data.resolve("cpu_manager_state"), CpuManagerCheckpoint.of("static", "0-19", Map.of()).toJson());
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208"))
                .hasMessageContaining("current set of available CPUs \"0-31\" doesn't match with CPUs in state \"0-19\"");
        Files.writeString(data.resolve("cpu_manager_state"), CpuManagerCheckpoint.of("static", "0-5,16-31",
                Map.of("p", Map.of("compute", "5-15"))).toJson());
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208"))
                .hasMessageContaining("pod: p, container: compute cpuset: \"5-15\" overlaps with default cpuset \"0-5,16-31\"");
        Files.writeString(data.resolve("cpu_manager_state"), CpuManagerCheckpoint.of("static", "",
                Map.of("p", Map.of("compute", "5-15"))).toJson());
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208")).hasMessageContaining("default cpuset cannot be empty");
        Files.writeString(data.resolve("cpu_manager_state"), "{\"policyName\":\"static\",\"defaultCpuSet\":\"x\"}");
        assertThatThrownBy(() -> open(seed002, "seed002-xeon4208")).hasMessageContaining("checkpoint is corrupted: invalid CPU list");
    }

    @Test
    void failedWriteChangesNothing() throws Exception {
        StaticCpuManager m = open(seed002, "seed002-xeon4208");
        Path file = data.resolve("cpu_manager_state");
        Files.delete(file);
        Files.createDirectories(file.resolve("blocker")); // a non-empty directory cannot be renamed over
        assertThatThrownBy(() -> m.allocate("pod-a", "compute", pins(List.of(1), List.of())))
                .isInstanceOf(UncheckedIOException.class);
        assertThat(m.assignments()).isEmpty();
        try (Stream<Path> files = Files.list(data)) {
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("cpu_manager_state");
        }
    }

    @Test
    void optionsAndTopologyMustAgree() {
        HostTopology t = host("seed002-xeon4208", opts("--cpu-manager-policy=static", "--reserved-cpus=0"));
        assertThatThrownBy(() -> StaticCpuManager.open(data, seed002, t)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserve \"0,16\"");
    }
}
