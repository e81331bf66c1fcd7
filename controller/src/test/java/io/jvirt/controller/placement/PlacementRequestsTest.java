package io.jvirt.controller.placement;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.placement.Request;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What a VMI asks of the host's CPUs, NUMA nodes and hugepages. */
class PlacementRequestsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long GI = 1L << 30;

    private static ObjectNode vmi() {
        ObjectNode vmi = JSON.createObjectNode();
        vmi.putObject("metadata").put("name", "vm").put("namespace", "default");
        vmi.putObject("spec").putObject("domain");
        return vmi;
    }

    private static ObjectNode domain(ObjectNode vmi) {
        return vmi.withObjectProperty("spec").withObjectProperty("domain");
    }

    private static ObjectNode cpu(ObjectNode vmi) {
        return domain(vmi).withObjectProperty("cpu");
    }

    private static ObjectNode memory(ObjectNode vmi) {
        return domain(vmi).withObjectProperty("memory");
    }

    private static Request request(ObjectNode vmi, boolean fullPcpusOnly) {
        Optional<Request> r = PlacementRequests.of(vmi, fullPcpusOnly);
        assertThat(r).isPresent();
        return r.get();
    }

    @Test
    void sharedCpusWithOrdinaryMemoryNeedNothing() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("cores", 4);
        memory(vmi).put("guest", "2Gi");
        assertThat(PlacementRequests.of(vmi, false)).isEmpty();
        assertThat(PlacementRequests.of(vmi, true)).isEmpty();
        assertThat(PlacementRequests.of(vmi(), false)).isEmpty();
    }

    @Test
    void explicitlyNotDedicatedIsShared() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", false).put("cores", 2);
        assertThat(PlacementRequests.of(vmi, false)).isEmpty();
    }

    @Test
    void dedicatedWithTopology() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("sockets", 2).put("cores", 2).put("threads", 2);
        memory(vmi).put("guest", "4Gi");
        assertThat(request(vmi, false)).isEqualTo(new Request(8, 2, true, false, false, null, 4 * GI, false));
    }

    @Test
    void missingTopologyFieldsCountAsOne() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 3);
        memory(vmi).put("guest", "1Gi");
        Request r = request(vmi, false);
        assertThat(r.vcpus()).isEqualTo(3);
        assertThat(r.threadsPerCore()).isEqualTo(1);
    }

    @Test
    void topologyWinsOverResources() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 2);
        domain(vmi).putObject("resources").putObject("limits").put("cpu", "6").put("memory", "1Gi");
        assertThat(request(vmi, false).vcpus()).isEqualTo(2);
    }

    @Test
    void withoutTopologyTheCpuLimitGivesTheVcpus() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true);
        ObjectNode res = domain(vmi).putObject("resources");
        res.putObject("requests").put("cpu", "2").put("memory", "2Gi");
        res.putObject("limits").put("cpu", "4").put("memory", "2Gi");
        Request r = request(vmi, false);
        assertThat(r.vcpus()).isEqualTo(4);
        assertThat(r.threadsPerCore()).isEqualTo(1);
        assertThat(r.memoryBytes()).isEqualTo(2 * GI);
    }

    @Test
    void withoutTopologyOrLimitTheCpuRequestGivesTheVcpus() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true);
        domain(vmi).putObject("resources").putObject("requests").put("cpu", "3").put("memory", "1Gi");
        assertThat(request(vmi, false).vcpus()).isEqualTo(3);
    }

    @Test
    void fractionalCpuRoundsUpAndNothingMeansOne() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true);
        domain(vmi).putObject("resources").putObject("requests").put("cpu", "1500m").put("memory", "1Gi");
        assertThat(request(vmi, false).vcpus()).isEqualTo(2);

        ObjectNode bare = vmi();
        cpu(bare).put("dedicatedCpuPlacement", true);
        memory(bare).put("guest", "1Gi");
        assertThat(request(bare, false).vcpus()).isEqualTo(1);
    }

    @Test
    void memoryFromGuestThenRequestsThenLimits() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 1);
        ObjectNode res = domain(vmi).putObject("resources");
        res.putObject("limits").put("memory", "3Gi");
        assertThat(request(vmi, false).memoryBytes()).isEqualTo(3 * GI);
        res.putObject("requests").put("memory", "2Gi");
        assertThat(request(vmi, false).memoryBytes()).isEqualTo(2 * GI);
        memory(vmi).put("guest", "1536Mi");
        assertThat(request(vmi, false).memoryBytes()).isEqualTo(1536L << 20);
    }

    @Test
    void noMemoryAtAllIsZero() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 1);
        assertThat(request(vmi, false).memoryBytes()).isZero();
    }

    @Test
    void sharedCpusWithHugepagesAreResourcesOnly() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("cores", 2);
        memory(vmi).put("guest", "2Gi").putObject("hugepages").put("pageSize", "2Mi");
        assertThat(request(vmi, false)).isEqualTo(new Request(2, 1, false, false, false, "2Mi", 2 * GI, false));
    }

    @Test
    void dedicatedWithHugepages() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 4);
        memory(vmi).put("guest", "4Gi").putObject("hugepages").put("pageSize", "1Gi");
        Request r = request(vmi, false);
        assertThat(r.dedicated()).isTrue();
        assertThat(r.hugepageSize()).isEqualTo("1Gi");
        assertThat(r.memoryBytes()).isEqualTo(4 * GI);
    }

    @Test
    void hugepagesWithoutPageSizeAreOrdinaryMemory() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("cores", 2);
        memory(vmi).put("guest", "2Gi").putObject("hugepages");
        assertThat(PlacementRequests.of(vmi, false)).isEmpty();
    }

    @Test
    void isolateEmulatorThread() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 2).put("isolateEmulatorThread", true);
        memory(vmi).put("guest", "1Gi");
        assertThat(request(vmi, false).isolateEmulatorThread()).isTrue();
        cpu(vmi).put("isolateEmulatorThread", false);
        assertThat(request(vmi, false).isolateEmulatorThread()).isFalse();
    }

    @Test
    void numaPassthrough() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 4).put("threads", 2)
                .putObject("numa").putObject("guestMappingPassthrough");
        memory(vmi).put("guest", "8Gi").putObject("hugepages").put("pageSize", "2Mi");
        assertThat(request(vmi, true)).isEqualTo(new Request(8, 2, true, false, true, "2Mi", 8 * GI, true));
    }

    @Test
    void aNumaBlockWithoutPassthroughIsNoPassthrough() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 2).putObject("numa");
        memory(vmi).put("guest", "1Gi");
        assertThat(request(vmi, false).numaPassthrough()).isFalse();
    }

    @Test
    void fullPcpusOnlyIsTheNodesSetting() {
        ObjectNode vmi = vmi();
        cpu(vmi).put("dedicatedCpuPlacement", true).put("cores", 2);
        memory(vmi).put("guest", "1Gi");
        assertThat(request(vmi, true).fullPcpusOnly()).isTrue();
        assertThat(request(vmi, false).fullPcpusOnly()).isFalse();
    }
}
