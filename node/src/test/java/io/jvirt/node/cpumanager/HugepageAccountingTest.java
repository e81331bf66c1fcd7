package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.HugepageCount;
import io.jvirt.node.topology.SysfsFixtures;
import io.jvirt.node.topology.SysfsTopology;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.Outcome;
import io.jvirt.placement.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HugepageAccountingTest {
    @TempDir
    Path data;

    private final Path sys = SysfsFixtures.resource("four-node").resolve("sys");
    private final HostTopology host = SysfsTopology.read(sys, Set.of());
    private final Map<Integer, Map<String, HugepageCount>> observed = SysfsTopology.hugepages(sys);

    @Test
    void tracksPagesPerNodeAndSize() throws Exception {
        HugepageAccounting a = HugepageAccounting.open(data, host);
        a.allocate("pod-a", "2Mi", Map.of(0, 256L, 1, 256L));
        a.allocate("pod-b", "1Gi", Map.of(1, 4L));
        assertThat(a.used()).isEqualTo(Map.of(0, Map.of("2Mi", 256L), 1, Map.of("2Mi", 256L, "1Gi", 4L)));
        assertThatThrownBy(() -> a.allocate("pod-c", "2Mi", Map.of(0, 300L)))
                .hasMessage("NUMA node 0: 300 hugepages-2Mi requested, 256 of 512 left");
        assertThatThrownBy(() -> a.allocate("pod-c", "1Gi", Map.of(2, 1L)))
                .hasMessage("NUMA node 2: 1 hugepages-1Gi requested, 0 of 0 left");
        assertThatThrownBy(() -> a.allocate("pod-c", "16Gi", Map.of(0, 1L))).hasMessageContaining("has no hugepages-16Gi pool");
        a.allocate("pod-a", "2Mi", Map.of(0, 256L, 1, 256L)); // same again: no-op
        assertThatThrownBy(() -> a.allocate("pod-a", "2Mi", Map.of(0, 1L))).hasMessageContaining("already holds");

        HugepageAccounting again = HugepageAccounting.open(data, host);
        assertThat(again.entries()).isEqualTo(a.entries());
        assertThat(again.release("pod-a")).isEqualTo(Map.of(0, 256L, 1, 256L));
        assertThat(again.retainOnly(List.of())).containsExactly("pod-b");
        assertThat(again.used()).isEmpty();
        assertThat(HugepageAccounting.open(data, host).used()).isEmpty();
    }

    @Test
    void foreignUseIsNeverPromised() {
        HugepageAccounting a = HugepageAccounting.inMemory(host);
        a.allocate("pod-a", "2Mi", Map.of(0, 100L));
        // node 2: 200 of its 512 2Mi pages are held by something outside jvirt (free 312)
        Map<Integer, Map<String, Long>> used = a.effectiveUsed(observed);
        assertThat(used.get(0)).containsEntry("2Mi", 100L).containsEntry("1Gi", 0L);
        assertThat(used.get(2)).containsEntry("2Mi", 200L);
        assertThat(a.promisable(observed).get(2)).containsEntry("2Mi", 312L);
        assertThat(a.promisable(observed).get(0)).containsEntry("2Mi", 512L);
        // once pod-a's guest runs, its pages are no longer free in sysfs but still count once
        Map<Integer, Map<String, HugepageCount>> running = Map.of(0, Map.of("2Mi", new HugepageCount(512, 412)));
        assertThat(a.effectiveUsed(running).get(0)).containsEntry("2Mi", 100L);
        assertThat(a.promisable(running).get(0)).containsEntry("2Mi", 512L);

        HostUsage u = a.usage(new HostUsage(Set.of(3, 27), Map.of()), observed);
        assertThat(u.exclusiveCpus()).containsExactlyInAnyOrder(3, 27);
        assertThat(u.hugepagesUsed().get(2)).containsEntry("2Mi", 200L);
    }

    @Test
    void recordsPlacementOutcomes() {
        HugepageAccounting a = HugepageAccounting.inMemory(host);
        Outcome.Allocation alloc = new Outcome.Allocation(List.of(1, 25), List.of(), List.of(), Map.of(0, 2L, 1, 2L), 0, "");
        a.allocate("pod-a", new Request(2, 2, true, false, true, "1Gi", 4L << 30, false), alloc);
        a.allocate("pod-b", new Request(2, 1, false, false, false, null, 1L << 30, false),
                new Outcome.Allocation(List.of(), List.of(), List.of(), Map.of(), 0, ""));
        assertThat(a.entries()).containsOnlyKeys("pod-a");
        assertThat(a.used()).isEqualTo(Map.of(0, Map.of("1Gi", 2L), 1, Map.of("1Gi", 2L)));
    }

    @Test
    void corruptedOrForeignStateIsRefused() throws Exception {
        HugepageAccounting.open(data, host).allocate("pod-a", "2Mi", Map.of(0, 10L));
        Path f = data.resolve("hugepages_state");
        Files.writeString(f, Files.readString(f).replace(":10}", ":11}"));
        assertThatThrownBy(() -> HugepageAccounting.open(data, host)).hasMessageContaining("is corrupted")
                .hasMessageContaining("drain this node and delete");
        Files.delete(f);
        HugepageAccounting.open(data, host).allocate("pod-a", "1Gi", Map.of(1, 4L));
        HostTopology small = SysfsTopology.read(SysfsFixtures.resource("seed002-xeon4208").resolve("sys"), Set.of());
        assertThatThrownBy(() -> HugepageAccounting.open(data, small)).hasMessageContaining("does not fit this host")
                .hasMessageContaining("NUMA node 1: 4 hugepages-1Gi requested, 0 of 0 left");
    }
}
