package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.SysfsFixtures;
import io.jvirt.node.topology.SysfsTopology;
import io.jvirt.placement.Fitter;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.Outcome;
import io.jvirt.placement.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The node agent's loop: fit against the CPU manager's and hugepage accounting's usage, then record. */
class FitAndAllocateTest {
    @TempDir
    Path data;

    @Test
    void fillsTheSeed002ServerWithoutTouchingReservedCpus() throws Exception {
        CpuManagerOptions o = CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0,16",
                "--cpu-manager-policy-options=full-pcpus-only=true");
        Path sys = SysfsFixtures.resource("seed002-xeon4208").resolve("sys");
        HostTopology host = SysfsTopology.read(sys, o.reservedCpus());
        StaticCpuManager cpus = StaticCpuManager.open(data, o, host);
        HugepageAccounting huge = HugepageAccounting.open(data, host);
        Request req = new Request(4, 2, true, false, false, "2Mi", 1L << 30, true);
        Set<Integer> seen = new HashSet<>();
        int placed = 0;
        for (int i = 0; i < 10; i++) {
            HostUsage usage = huge.usage(cpus.usage(), SysfsTopology.hugepages(sys));
            Outcome out = Fitter.fit(host, usage, req);
            if (!(out instanceof Outcome.Allocation a)) {
                break;
            }
            String pod = "pod-" + i;
            Set<Integer> got = cpus.allocate(pod, StaticCpuManager.COMPUTE_CONTAINER, a);
            huge.allocate(pod, req, a);
            assertThat(got).hasSize(4).doesNotContain(0, 16);
            assertThat(seen.addAll(got)).isTrue();
            placed++;
        }
        // 30 unreserved CPUs = 14 whole free cores + 2 half-reserved; 2 cores a guest; 2048 2Mi pages = 4 guests of 1Gi
        assertThat(placed).isEqualTo(4);
        assertThat(huge.used().values().stream().mapToLong(m -> m.getOrDefault("2Mi", 0L)).sum()).isEqualTo(2048);
        StaticCpuManager reopened = StaticCpuManager.open(data, o, host);
        assertThat(reopened.exclusiveCpus()).isEqualTo(cpus.exclusiveCpus()).hasSize(16);
    }
}
