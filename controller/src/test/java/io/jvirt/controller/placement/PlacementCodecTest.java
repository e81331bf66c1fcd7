package io.jvirt.controller.placement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.placement.Cpu;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.NumaNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The Node annotations a node agent publishes its topology and exclusive usage in. */
class PlacementCodecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Two sockets, one NUMA node each, 4 cores × 2 threads per socket, siblings n and n+8. */
    static HostTopology twoNodeHost() {
        List<Cpu> cpus = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 2; s++) {
                for (int c = 0; c < 4; c++) {
                    cpus.add(new Cpu(t * 8 + s * 4 + c, c, s, s));
                }
            }
        }
        List<NumaNode> nodes = List.of(
                new NumaNode(0, 32L << 30, Map.of("2Mi", 1024L, "1Gi", 4L), List.of(10, 21)),
                new NumaNode(1, 32L << 30, Map.of("2Mi", 512L), List.of(21, 10)));
        return new HostTopology(cpus, nodes, Set.of(0, 8));
    }

    @Test
    void topologyRoundTrip() {
        HostTopology t = twoNodeHost();
        assertThat(PlacementCodec.topology(PlacementCodec.topology(t))).isEqualTo(t);
    }

    @Test
    void topologyRoundTripThroughTheAnnotationString() throws Exception {
        HostTopology t = twoNodeHost();
        String annotation = PlacementCodec.topology(t).toString();
        assertThat(PlacementCodec.topology(JSON.readTree(annotation))).isEqualTo(t);
    }

    @Test
    void topologyWireFormat() {
        JsonNode o = PlacementCodec.topology(twoNodeHost());
        // each CPU as [id, core, socket, numaNode]
        assertThat(o.path("cpus")).hasSize(16);
        assertThat(o.path("cpus").get(5).toString()).isEqualTo("[5,1,1,1]");
        assertThat(o.path("nodes").get(0).path("id").asInt()).isZero();
        assertThat(o.path("nodes").get(0).path("memory").asLong()).isEqualTo(32L << 30);
        assertThat(o.path("nodes").get(0).path("hugepages").path("2Mi").asLong()).isEqualTo(1024);
        assertThat(o.path("nodes").get(0).path("hugepages").path("1Gi").asLong()).isEqualTo(4);
        assertThat(o.path("nodes").get(1).path("distances").toString()).isEqualTo("[21,10]");
        // reserved CPUs sorted, whatever the set's order
        assertThat(o.path("reserved").toString()).isEqualTo("[0,8]");
    }

    @Test
    void emptyTopologyRoundTrip() {
        HostTopology t = new HostTopology(List.of(), List.of(), Set.of());
        assertThat(PlacementCodec.topology(PlacementCodec.topology(t))).isEqualTo(t);
        // an empty object reads as an empty topology
        assertThat(PlacementCodec.topology(JSON.createObjectNode())).isEqualTo(t);
    }

    @Test
    void nodeWithoutHugepagesRoundTrip() {
        HostTopology t = new HostTopology(List.of(new Cpu(0, 0, 0, 0), new Cpu(1, 0, 0, 0)),
                List.of(new NumaNode(0, 4L << 30, Map.of(), List.of(10))), Set.of());
        assertThat(PlacementCodec.topology(PlacementCodec.topology(t))).isEqualTo(t);
    }

    @Test
    void usageRoundTrip() throws Exception {
        HostUsage u = new HostUsage(Set.of(9, 1, 2, 3),
                Map.of(0, Map.of("2Mi", 512L), 1, Map.of("2Mi", 8L, "1Gi", 1L)));
        assertThat(PlacementCodec.usage(PlacementCodec.usage(u))).isEqualTo(u);
        assertThat(PlacementCodec.usage(JSON.readTree(PlacementCodec.usage(u).toString()))).isEqualTo(u);
    }

    @Test
    void usageWireFormat() {
        HostUsage u = new HostUsage(Set.of(9, 1, 2), Map.of(1, Map.of("2Mi", 8L)));
        JsonNode o = PlacementCodec.usage(u);
        assertThat(o.path("exclusive").toString()).isEqualTo("[1,2,9]");
        assertThat(o.path("hugepages").path("1").path("2Mi").asLong()).isEqualTo(8);
    }

    @Test
    void emptyUsageRoundTrip() {
        assertThat(PlacementCodec.usage(PlacementCodec.usage(HostUsage.EMPTY))).isEqualTo(HostUsage.EMPTY);
        assertThat(PlacementCodec.usage(JSON.createObjectNode())).isEqualTo(HostUsage.EMPTY);
    }

    @Test
    void annotationKeys() {
        assertThat(PlacementCodec.TOPOLOGY).isEqualTo("jvirt.io/cpu-topology");
        assertThat(PlacementCodec.USAGE).isEqualTo("jvirt.io/cpu-usage");
    }
}
