package io.jvirt.node.cpumanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.node.topology.HugepageCount;
import io.jvirt.node.topology.SysfsFixtures;
import io.jvirt.node.topology.SysfsTopology;
import io.jvirt.placement.HostTopology;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class NodeResourcesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static NodeResources resources(String fixture, CpuManagerOptions o, boolean gate) {
        Path sys = SysfsFixtures.resource(fixture).resolve("sys");
        HostTopology t = SysfsTopology.read(sys, o.reservedCpus());
        return new NodeResources(t, SysfsTopology.hugepages(sys), o, gate);
    }

    @Test
    void seed002ServerWithReservedCpus0And16() throws Exception {
        CpuManagerOptions o = CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0,16");
        NodeResources r = resources("seed002-xeon4208", o, true);
        assertThat(r.capacity()).isEqualTo(JSON.readTree("""
                {"cpu":"32","devices.kubevirt.io/kvm":"1k","devices.kubevirt.io/tun":"1k",
                 "devices.kubevirt.io/vhost-net":"1k","hugepages-1Gi":"0","hugepages-2Mi":"4Gi","memory":"32786780Ki"}"""));
        // memory: 32786780Ki - 100Mi eviction threshold - 4Gi of hugepages
        assertThat(r.allocatable()).isEqualTo(JSON.readTree("""
                {"cpu":"30","devices.kubevirt.io/kvm":"1k","devices.kubevirt.io/tun":"1k",
                 "devices.kubevirt.io/vhost-net":"1k","hugepages-1Gi":"0","hugepages-2Mi":"4Gi","memory":"28490076Ki"}"""));
        assertThat(r.labels()).isEqualTo(JSON.readTree("{\"kubevirt.io/cpumanager\":\"true\",\"cpumanager\":\"true\"}"));
        assertThat(r.status().get("allocatable")).isEqualTo(r.allocatable());
        assertThat(r.warnings()).isEmpty();
    }

    @Test
    void cpuManagerLabelNeedsStaticPolicyAndGate() {
        CpuManagerOptions stat = CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0");
        assertThat(resources("seed002-xeon4208", stat, false).labels().get("kubevirt.io/cpumanager").asText()).isEqualTo("false");
        assertThat(resources("seed002-xeon4208", stat, false).warnings()).anySatisfy(w -> assertThat(w).contains("feature gate is off"));
        NodeResources none = resources("seed002-xeon4208", CpuManagerOptions.DEFAULT, true);
        assertThat(none.labels().get("cpumanager").asText()).isEqualTo("false");
        assertThat(none.allocatable().get("cpu").asText()).isEqualTo("32");
    }

    /** Seed 000's "kubectl describe nodes" after starting a 2-CPU VM with 4Gi of 2Mi hugepages. */
    @Test
    void seed000DescribeReadsTheSame() throws Exception {
        CpuManagerOptions o = CpuManagerOptions.parse("cpu-manager-policy=static",
                "cpu-manager-policy-options=full-pcpus-only=true", "reserved-cpus=2");
        Path sys = SysfsFixtures.resource("seed000-harvester").resolve("sys");
        HostTopology t = SysfsTopology.read(sys, o.reservedCpus());
        HugepageAccounting acct = HugepageAccounting.inMemory(t);
        acct.allocate("5e2cd290-38d7-4749-9218-dfe7132d86df", "2Mi", Map.of(0, 2048L));
        // the running guest has faulted its 2048 pages in: sysfs shows them as not free
        Map<Integer, Map<String, HugepageCount>> observed = Map.of(0, Map.of("2Mi", new HugepageCount(4196, 2148),
                "1Gi", new HugepageCount(0, 0)));
        NodeResources r = new NodeResources(t, observed, o, true).accountedHugepages(acct.used())
                .ephemeralStorage(149527126718L);
        JsonNode alloc = r.allocatable();
        assertThat(alloc.get("cpu").asText()).isEqualTo("19");
        assertThat(alloc.get("devices.kubevirt.io/kvm").asText()).isEqualTo("1k");
        assertThat(alloc.get("ephemeral-storage").asText()).isEqualTo("149527126718");
        assertThat(alloc.get("hugepages-1Gi").asText()).isEqualTo("0");
        assertThat(alloc.get("hugepages-2Mi").asText()).isEqualTo("8392Mi");
        assertThat(alloc.get("memory").asText()).isEqualTo("56958528Ki");

        JsonNode launcher = JSON.readTree("""
                {"spec":{"containers":[{"name":"compute","resources":{
                  "requests":{"cpu":"2","memory":"450Mi","hugepages-2Mi":"4Gi","ephemeral-storage":"50M"},
                  "limits":{"cpu":"2","memory":"450Mi","hugepages-2Mi":"4Gi","devices.kubevirt.io/kvm":"1",
                            "devices.kubevirt.io/tun":"1","devices.kubevirt.io/vhost-net":"1"}}}],
                  "initContainers":[{"name":"container-disk-binary","resources":{"requests":{"cpu":"10m","memory":"40M"},
                                     "limits":{"cpu":"10m","memory":"40M"}}}]},
                 "status":{"phase":"Running"}}""");
        JsonNode system = JSON.readTree("""
                {"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"4"},"limits":{"cpu":"5"}}},
                  {"name":"b","resources":{"requests":{"cpu":"815m","memory":"5178099457"},
                                           "limits":{"cpu":"1215m","memory":"8884815617"}}}]},
                 "status":{"phase":"Running"}}""");
        JsonNode finished = JSON.readTree("""
                {"spec":{"containers":[{"name":"done","resources":{"requests":{"cpu":"8","memory":"8Gi"}}}]},
                 "status":{"phase":"Succeeded"}}""");
        NodeResources.Allocated a = r.allocated(List.of(launcher, system, finished));
        assertThat(a.describe()).isEqualTo("""
                Allocated resources:
                  (Total limits may be over 100 percent, i.e., overcommitted.)
                  Resource                       Requests         Limits
                  --------                       --------         ------
                  cpu                            6815m (35%)      8215m (43%)
                  memory                         5649958657 (9%)  9356674817 (16%)
                  ephemeral-storage              50M (0%)         0 (0%)
                  hugepages-1Gi                  0 (0%)           0 (0%)
                  hugepages-2Mi                  4Gi (48%)        4Gi (48%)
                  devices.kubevirt.io/kvm        1                1
                  devices.kubevirt.io/tun        1                1
                  devices.kubevirt.io/vhost-net  1                1
                """);
        assertThat(a.toJson().get("hugepages-2Mi")).hasToString(
                "{\"requests\":\"4Gi\",\"requestsPercent\":48,\"limits\":\"4Gi\",\"limitsPercent\":48}");
        assertThat(a.toJson().get("devices.kubevirt.io/kvm")).isEqualTo(JSON.readTree("{\"requests\":\"1\",\"limits\":\"1\"}"));
        assertThat(r.labels().get("kubevirt.io/cpumanager").asText()).isEqualTo("true");
    }

    @Test
    void hugepagesAreNeverPromisedBeyondWhatIsFree() {
        CpuManagerOptions o = CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0,24");
        // four-node: node 2 has 200 of its 512 2Mi pages held by a process outside jvirt
        NodeResources r = resources("four-node", o, true);
        assertThat(r.capacity().get("hugepages-2Mi").asText()).isEqualTo("4Gi");
        assertThat(r.allocatable().get("hugepages-2Mi").asText()).isEqualTo("3696Mi"); // (512*3 + 312) * 2Mi
        assertThat(r.allocatable().get("hugepages-1Gi").asText()).isEqualTo("8Gi");
        assertThat(r.warnings()).singleElement().asString().contains("200 of 2048 pages are held by processes outside jvirt");
        // memory allocatable subtracts hugepage capacity, not what is allocatable
        long memKi = (32856276L + 33025312 + 33025312 + 33009036) - 102400 - 4 * 1024 * 1024 - 8 * 1024 * 1024;
        assertThat(r.allocatable().get("memory").asText()).isEqualTo(memKi + "Ki");
        assertThat(r.allocatable().get("cpu").asText()).isEqualTo("46");

        // without a hugetlbfs mount for a size, none of it is advertised
        Path root = SysfsFixtures.resource("four-node");
        HugetlbfsCheck only2M = new HugetlbfsCheck("2Mi", 0, 0, 0, 0, Map.of(), Map.of("2Mi", List.of(Path.of("/dev/hugepages"))));
        NodeResources unmounted = resources("four-node", o, true).hugetlbfs(only2M);
        assertThat(unmounted.allocatable().get("hugepages-1Gi").asText()).isEqualTo("0");
        assertThat(unmounted.capacity().get("hugepages-1Gi").asText()).isEqualTo("8Gi");
        assertThat(unmounted.warnings()).anySatisfy(w -> assertThat(w).contains("hugepages-1Gi: 8 pages reserved but no hugetlbfs"));
        assertThat(resources("four-node", o, true).hugetlbfs(HugetlbfsCheck.read(root.resolve("proc"), root.resolve("sys")))
                .allocatable().get("hugepages-1Gi").asText()).isEqualTo("8Gi");
    }

    @Test
    void quantities() {
        assertThat(Quantities.binary(8799649792L)).isEqualTo("8392Mi");
        assertThat(Quantities.binary(0)).isEqualTo("0");
        assertThat(Quantities.binary(1L << 30)).isEqualTo("1Gi");
        assertThat(Quantities.binary(1000)).isEqualTo("1000");
        assertThat(Quantities.decimal(Quantities.parse("6.815"))).isEqualTo("6815m");
        assertThat(Quantities.decimal(Quantities.parse("1000"))).isEqualTo("1k");
        assertThat(Quantities.decimal(Quantities.parse("100m"))).isEqualTo("100m");
        assertThat(Quantities.bytes(Quantities.parse("50M"))).isEqualTo("50M");
        assertThat(Quantities.bytes(Quantities.parse("4Gi"))).isEqualTo("4Gi");
        assertThat(Quantities.parse("1k")).isEqualByComparingTo("1000");
    }
}
