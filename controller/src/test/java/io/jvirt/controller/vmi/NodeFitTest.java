package io.jvirt.controller.vmi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.controller.placement.PlacementCodec;
import io.jvirt.placement.Cpu;
import io.jvirt.placement.Fitter;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.NumaNode;
import io.jvirt.placement.Outcome;
import io.jvirt.placement.Request;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher pod's node filter, node choice and unschedulable message. */
class NodeFitTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A Ready, schedulable node with the kubevirt labels and the given allocatable resources. */
    private static ObjectNode node(String name, String cpu, String memory) {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode meta = n.putObject("metadata");
        meta.put("name", name);
        meta.putObject("labels").put("kubevirt.io/schedulable", "true").put("kubernetes.io/arch", "amd64");
        n.putObject("spec");
        ObjectNode status = n.putObject("status");
        status.putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        ObjectNode alloc = status.putObject("allocatable");
        alloc.put("cpu", cpu).put("memory", memory).put("ephemeral-storage", "100Gi")
                .put("devices.kubevirt.io/kvm", "1k").put("devices.kubevirt.io/tun", "1k");
        return n;
    }

    private static ObjectNode node(String name) {
        return node(name, "8", "16Gi");
    }

    private static ObjectNode podSpec(Map<String, String> requests, Map<String, String> limits) {
        ObjectNode spec = JSON.createObjectNode();
        spec.putObject("nodeSelector").put("kubevirt.io/schedulable", "true").put("kubernetes.io/arch", "amd64");
        ObjectNode res = spec.putArray("containers").addObject().put("name", "compute").putObject("resources");
        ObjectNode req = res.putObject("requests");
        requests.forEach(req::put);
        ObjectNode lim = res.putObject("limits");
        limits.forEach(lim::put);
        return spec;
    }

    /** A typical non-dedicated launcher: 100m cpu, 1Gi + overhead memory, kvm/tun as limits only. */
    private static ObjectNode launcher(String memory) {
        return podSpec(Map.of("cpu", "100m", "memory", memory, "ephemeral-storage", "50M"),
                Map.of("devices.kubevirt.io/kvm", "1", "devices.kubevirt.io/tun", "1"));
    }

    /** A pod bound to {@code nodeName} requesting cpu and memory. */
    private static ObjectNode boundPod(String nodeName, String cpu, String memory) {
        ObjectNode pod = JSON.createObjectNode();
        pod.putObject("metadata").put("name", "p-" + nodeName + "-" + memory);
        ObjectNode spec = podSpec(Map.of("cpu", cpu, "memory", memory), Map.of());
        spec.put("nodeName", nodeName);
        pod.set("spec", spec);
        return pod;
    }

    private static NodeFit.Outcome choose(JsonNode spec, List<? extends JsonNode> nodes, List<? extends JsonNode> pods) {
        return NodeFit.choose(spec, nodes, pods);
    }

    private static String unschedulable(NodeFit.Outcome o) {
        assertThat(o).isInstanceOf(NodeFit.Unschedulable.class);
        return ((NodeFit.Unschedulable) o).message();
    }

    @Nested
    class Filtering {
        @Test
        void aFittingNodeIsChosen() {
            assertThat(choose(launcher("1290Mi"), List.of(node("n1")), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void notReadyNodesAreSkipped() {
            ObjectNode notReady = node("n1");
            ((ObjectNode) notReady.path("status").path("conditions").get(0)).put("status", "False");
            ObjectNode unknown = node("n2");
            ((ObjectNode) unknown.path("status").path("conditions").get(0)).put("status", "Unknown");
            ObjectNode noConditions = node("n3");
            noConditions.withObjectProperty("status").remove("conditions");
            assertThat(unschedulable(choose(launcher("1Gi"), List.of(notReady, unknown, noConditions), List.of())))
                    .isEqualTo("0/3 nodes are available: 3 node(s) were not ready.");
        }

        @Test
        void aReadyConditionAmongOthersCounts() {
            ObjectNode n = node("n1");
            n.withObjectProperty("status").withArrayProperty("conditions").insertObject(0)
                    .put("type", "MemoryPressure").put("status", "False");
            assertThat(choose(launcher("1Gi"), List.of(n), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void unschedulableNodesAreSkipped() {
            ObjectNode cordoned = node("n1");
            cordoned.withObjectProperty("spec").put("unschedulable", true);
            assertThat(unschedulable(choose(launcher("1Gi"), List.of(cordoned), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 node(s) were unschedulable.");
            cordoned.withObjectProperty("spec").put("unschedulable", false);
            assertThat(choose(launcher("1Gi"), List.of(cordoned), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void notReadyIsReportedBeforeUnschedulable() {
            ObjectNode n = node("n1");
            n.withObjectProperty("spec").put("unschedulable", true);
            ((ObjectNode) n.path("status").path("conditions").get(0)).put("status", "False");
            assertThat(unschedulable(choose(launcher("1Gi"), List.of(n), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 node(s) were not ready.");
        }

        @Test
        void aNodeSelectorLabelMissingFromTheNode() {
            ObjectNode spec = launcher("1Gi");
            spec.withObjectProperty("nodeSelector").put("disktype", "ssd");
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector "
                            + "(disktype=ssd).");
        }

        @Test
        void aNodeSelectorLabelWithAnotherValue() {
            ObjectNode spec = launcher("1Gi");
            spec.withObjectProperty("nodeSelector").put("kubernetes.io/arch", "arm64");
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector "
                            + "(kubernetes.io/arch=arm64).");
        }

        @Test
        void anEmptySelectorValueStillNeedsTheLabel() {
            ObjectNode spec = launcher("1Gi");
            spec.withObjectProperty("nodeSelector").put("feature", "");
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .contains("didn't match Pod's node affinity/selector (feature=)");
            ObjectNode labelled = node("n1");
            labelled.withObjectProperty("metadata").withObjectProperty("labels").put("feature", "");
            assertThat(choose(spec, List.of(labelled), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void theCpuManagerSelectorExplainsHowToGetOne() {
            ObjectNode spec = launcher("1Gi");
            spec.withObjectProperty("nodeSelector").put("kubevirt.io/cpumanager", "true");
            String msg = unschedulable(choose(spec, List.of(node("n1")), List.of()));
            assertThat(msg).isEqualTo("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector "
                    + "(kubevirt.io/cpumanager=true; dedicated CPUs need a node with the static CPU manager policy "
                    + "and the CPUManager feature gate enabled in the KubeVirt CR).");
            ObjectNode cpuManager = node("n1");
            cpuManager.withObjectProperty("metadata").withObjectProperty("labels").put("kubevirt.io/cpumanager", "true");
            assertThat(choose(spec, List.of(cpuManager), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void insufficientCpu() {
            ObjectNode spec = podSpec(Map.of("cpu", "8500m", "memory", "1Gi"), Map.of());
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient cpu.");
            assertThat(choose(podSpec(Map.of("cpu", "8", "memory", "1Gi"), Map.of()), List.of(node("n1")), List.of()))
                    .isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void insufficientMemory() {
            assertThat(unschedulable(choose(launcher("17Gi"), List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient memory.");
            assertThat(choose(launcher("16Gi"), List.of(node("n1")), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void insufficientEphemeralStorage() {
            ObjectNode spec = podSpec(Map.of("ephemeral-storage", "101Gi"), Map.of());
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient ephemeral-storage.");
        }

        @Test
        void anExtendedResourceTheNodeDoesNotHave() {
            ObjectNode noKvm = node("n1");
            noKvm.withObjectProperty("status").withObjectProperty("allocatable").remove("devices.kubevirt.io/kvm");
            assertThat(unschedulable(choose(launcher("1Gi"), List.of(noKvm), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient devices.kubevirt.io/kvm.");
        }

        @Test
        void anExtendedResourceUsedUp() {
            ObjectNode n = node("n1");
            n.withObjectProperty("status").withObjectProperty("allocatable").put("nvidia.com/gpu", "1");
            ObjectNode gpuPod = JSON.createObjectNode();
            ObjectNode spec = podSpec(Map.of(), Map.of("nvidia.com/gpu", "1"));
            spec.put("nodeName", "n1");
            gpuPod.set("spec", spec);
            ObjectNode wantsGpu = podSpec(Map.of("cpu", "1"), Map.of("nvidia.com/gpu", "1"));
            assertThat(choose(wantsGpu, List.of(n), List.of())).isEqualTo(new NodeFit.Fits("n1"));
            assertThat(unschedulable(choose(wantsGpu, List.of(n), List.of(gpuPod))))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
        }

        @Test
        void limitsStandInForMissingRequests() {
            ObjectNode spec = podSpec(Map.of(), Map.of("cpu", "9", "memory", "1Gi"));
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient cpu.");
        }

        @Test
        void requestsWinOverLimits() {
            // the request is what is reserved: a 9-cpu limit with a 1-cpu request fits an 8-cpu node
            ObjectNode spec = podSpec(Map.of("cpu", "1"), Map.of("cpu", "9"));
            assertThat(choose(spec, List.of(node("n1")), List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void requestsOfAllContainersAddUp() {
            ObjectNode spec = launcher("10Gi");
            spec.withArrayProperty("containers").addObject().put("name", "sidecar").putObject("resources")
                    .putObject("requests").put("memory", "7Gi");
            assertThat(unschedulable(choose(spec, List.of(node("n1")), List.of())))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient memory.");
        }

        @Test
        void podsBoundToTheNodeUseItsRoom() {
            List<ObjectNode> pods = List.of(boundPod("n1", "1", "10Gi"));
            assertThat(unschedulable(choose(launcher("7Gi"), List.of(node("n1")), pods)))
                    .isEqualTo("0/1 nodes are available: 1 Insufficient memory.");
            assertThat(choose(launcher("6Gi"), List.of(node("n1")), pods)).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void podsOnOtherNodesDoNotCount() {
            List<ObjectNode> pods = List.of(boundPod("n2", "1", "15Gi"), boundPod("n2", "1", "1Gi"));
            assertThat(choose(launcher("15Gi"), List.of(node("n1")), pods)).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void freeIsAllocatableMinusBoundRequests() {
            List<ObjectNode> pods = List.of(boundPod("n1", "500m", "1Gi"), boundPod("n1", "250m", "3Gi"),
                    boundPod("n2", "1", "2Gi"));
            assertThat(NodeFit.free(node("n1"), pods, "n1", "memory")).isEqualByComparingTo(
                    BigDecimal.valueOf(12L << 30));
            assertThat(NodeFit.free(node("n1"), pods, "n1", "cpu")).isEqualByComparingTo("7.25");
            assertThat(NodeFit.free(node("n1"), pods, "n1", "example.com/missing")).isEqualByComparingTo("0");
        }

        @Test
        void effectiveRequests() {
            ObjectNode spec = podSpec(Map.of("cpu", "500m", "memory", "1Gi"),
                    Map.of("cpu", "2", "memory", "1Gi", "devices.kubevirt.io/kvm", "1"));
            spec.withArrayProperty("containers").addObject().putObject("resources").putObject("limits")
                    .put("memory", "512Mi");
            Map<String, BigDecimal> r = NodeFit.requests(spec);
            assertThat(r).containsOnlyKeys("cpu", "memory", "devices.kubevirt.io/kvm");
            assertThat(r.get("cpu")).isEqualByComparingTo("0.5");
            assertThat(r.get("memory")).isEqualByComparingTo(BigDecimal.valueOf(1536L << 20));
            assertThat(r.get("devices.kubevirt.io/kvm")).isEqualByComparingTo("1");
        }
    }

    @Nested
    class Choice {
        @Test
        void theNodeWithTheMostFreeMemoryWins() {
            List<ObjectNode> nodes = List.of(node("a", "8", "16Gi"), node("b", "8", "32Gi"), node("c", "8", "24Gi"));
            assertThat(choose(launcher("1Gi"), nodes, List.of())).isEqualTo(new NodeFit.Fits("b"));
        }

        @Test
        void freeMemoryCountsBoundPods() {
            List<ObjectNode> nodes = List.of(node("a", "8", "16Gi"), node("b", "8", "32Gi"));
            List<ObjectNode> pods = List.of(boundPod("b", "1", "20Gi"));
            assertThat(choose(launcher("1Gi"), nodes, pods)).isEqualTo(new NodeFit.Fits("a"));
        }

        @Test
        void tiesGoToTheSmallestNameWhateverTheOrder() {
            List<ObjectNode> nodes = new ArrayList<>(List.of(node("n3"), node("n1"), node("n2")));
            assertThat(choose(launcher("1Gi"), nodes, List.of())).isEqualTo(new NodeFit.Fits("n1"));
            java.util.Collections.reverse(nodes);
            assertThat(choose(launcher("1Gi"), nodes, List.of())).isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void cpuDoesNotDecide() {
            List<ObjectNode> nodes = List.of(node("a", "64", "16Gi"), node("b", "2", "17Gi"));
            assertThat(choose(launcher("1Gi"), nodes, List.of())).isEqualTo(new NodeFit.Fits("b"));
        }

        @Test
        void rejectedNodesAreNeverChosenEvenWithMoreMemory() {
            ObjectNode big = node("big", "8", "512Gi");
            big.withObjectProperty("spec").put("unschedulable", true);
            assertThat(choose(launcher("1Gi"), List.of(big, node("small")), List.of()))
                    .isEqualTo(new NodeFit.Fits("small"));
        }
    }

    @Nested
    class Message {
        @Test
        void noNodesAtAll() {
            assertThat(unschedulable(choose(launcher("1Gi"), List.of(), List.of())))
                    .isEqualTo("0/0 nodes are available.");
        }

        @Test
        void reasonsAreCountedAndSortedLikeKubeScheduler() {
            ObjectNode notReady = node("a");
            ((ObjectNode) notReady.path("status").path("conditions").get(0)).put("status", "False");
            ObjectNode cordoned = node("b");
            cordoned.withObjectProperty("spec").put("unschedulable", true);
            List<ObjectNode> nodes = List.of(notReady, cordoned, node("c", "8", "2Gi"), node("d", "8", "2Gi"));
            // kube-scheduler sorts the "<count> <reason>" strings
            assertThat(unschedulable(choose(launcher("4Gi"), nodes, List.of())))
                    .isEqualTo("0/4 nodes are available: 1 node(s) were not ready, 1 node(s) were unschedulable, "
                            + "2 Insufficient memory.");
        }
    }

    @Nested
    class Placement {
        /** One NUMA node, 2 cores × 2 threads, no hugepages. */
        private static HostTopology smallHost() {
            return new HostTopology(
                    List.of(new Cpu(0, 0, 0, 0), new Cpu(1, 1, 0, 0), new Cpu(2, 0, 0, 0), new Cpu(3, 1, 0, 0)),
                    List.of(new NumaNode(0, 8L << 30, Map.of("2Mi", 0L), List.of(10))), Set.of());
        }

        private static ObjectNode withTopology(ObjectNode node, HostTopology t, HostUsage usage) {
            ObjectNode ann = node.withObjectProperty("metadata").withObjectProperty("annotations");
            ann.put(PlacementCodec.TOPOLOGY, PlacementCodec.topology(t).toString());
            if (usage != null) {
                ann.put(PlacementCodec.USAGE, PlacementCodec.usage(usage).toString());
            }
            node.withObjectProperty("metadata").withObjectProperty("labels").put("kubevirt.io/cpumanager", "true");
            return node;
        }

        private static ObjectNode dedicatedSpec(int cpus) {
            ObjectNode spec = podSpec(Map.of("cpu", Integer.toString(cpus), "memory", "1Gi"),
                    Map.of("cpu", Integer.toString(cpus), "memory", "1Gi", "devices.kubevirt.io/kvm", "1"));
            spec.withObjectProperty("nodeSelector").put("kubevirt.io/cpumanager", "true");
            return spec;
        }

        private static Request dedicated(int vcpus) {
            return new Request(vcpus, 1, true, false, false, null, 1L << 30, false);
        }

        @Test
        void aDedicatedRequestThatFitsTheTopology() {
            ObjectNode n = withTopology(node("n1"), smallHost(), null);
            assertThat(NodeFit.choose(dedicatedSpec(2), List.of(n), List.of(), Optional.of(dedicated(2))))
                    .isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void aDedicatedRequestThatDoesNotFitGivesTheFittersReason() {
            // the node has 8 allocatable cpus, so the count check passes; its topology has only 4 CPUs
            ObjectNode n = withTopology(node("n1"), smallHost(), null);
            Request req = dedicated(6);
            Outcome direct = Fitter.fit(smallHost(), HostUsage.EMPTY, req);
            assertThat(direct).isInstanceOf(Outcome.Rejection.class);
            String reason = ((Outcome.Rejection) direct).message();
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(6), List.of(n), List.of(), Optional.of(req))))
                    .isEqualTo("0/1 nodes are available: 1 node(s) had no CPU/NUMA/hugepage fit (n1: " + reason + ").");
        }

        @Test
        void thePublishedUsageIsTakenIntoAccount() {
            HostUsage usage = new HostUsage(Set.of(0, 1, 2), Map.of());
            ObjectNode n = withTopology(node("n1"), smallHost(), usage);
            Request req = dedicated(2);
            Outcome direct = Fitter.fit(smallHost(), usage, req);
            assertThat(direct).isInstanceOf(Outcome.Rejection.class);
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(2), List.of(n), List.of(), Optional.of(req))))
                    .contains("n1: " + ((Outcome.Rejection) direct).message());
            ObjectNode free = withTopology(node("n1"), smallHost(), HostUsage.EMPTY);
            assertThat(NodeFit.choose(dedicatedSpec(2), List.of(free), List.of(), Optional.of(req)))
                    .isEqualTo(new NodeFit.Fits("n1"));
        }

        @Test
        void theFittersReasonReplacesInsufficientCpu() {
            ObjectNode n = withTopology(node("n1", "4", "16Gi"), smallHost(), null);
            Request req = dedicated(6);
            String reason = ((Outcome.Rejection) Fitter.fit(smallHost(), HostUsage.EMPTY, req)).message();
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(6), List.of(n), List.of(), Optional.of(req))))
                    .isEqualTo("0/1 nodes are available: 1 node(s) had no CPU/NUMA/hugepage fit (n1: " + reason + ").");
        }

        @Test
        void insufficientCpuStaysWhenTheTopologyWouldFit() {
            // the kubelet's allocatable says no even though the published topology has room
            ObjectNode n = withTopology(node("n1", "1", "16Gi"), smallHost(), null);
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(2), List.of(n), List.of(),
                    Optional.of(dedicated(2))))).isEqualTo("0/1 nodes are available: 1 Insufficient cpu.");
        }

        @Test
        void otherReasonsAreNotReplaced() {
            ObjectNode n = withTopology(node("n1", "8", "512Mi"), smallHost(), null);
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(6), List.of(n), List.of(),
                    Optional.of(dedicated(6))))).isEqualTo("0/1 nodes are available: 1 Insufficient memory.");
        }

        @Test
        void aNodeWithoutPublishedTopology() {
            ObjectNode n = node("n1");
            n.withObjectProperty("metadata").withObjectProperty("labels").put("kubevirt.io/cpumanager", "true");
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(2), List.of(n), List.of(),
                    Optional.of(dedicated(2))))).isEqualTo("0/1 nodes are available: 1 node(s) did not publish "
                    + "their CPU/NUMA topology (n1).");
        }

        @Test
        void anUnreadableTopology() {
            ObjectNode n = node("n1");
            n.withObjectProperty("metadata").withObjectProperty("labels").put("kubevirt.io/cpumanager", "true");
            n.withObjectProperty("metadata").withObjectProperty("annotations").put(PlacementCodec.TOPOLOGY, "{not json");
            assertThat(unschedulable(NodeFit.choose(dedicatedSpec(2), List.of(n), List.of(),
                    Optional.of(dedicated(2))))).startsWith("0/1 nodes are available: 1 node(s) published an "
                    + "unreadable topology (n1: ");
        }

        @Test
        void theFitterPicksAmongNodesThatFit() {
            ObjectNode small = withTopology(node("small", "8", "64Gi"), smallHost(), null);
            HostTopology big = new HostTopology(List.of(new Cpu(0, 0, 0, 0), new Cpu(1, 1, 0, 0), new Cpu(2, 2, 0, 0),
                    new Cpu(3, 3, 0, 0), new Cpu(4, 4, 0, 0), new Cpu(5, 5, 0, 0), new Cpu(6, 6, 0, 0),
                    new Cpu(7, 7, 0, 0)), List.of(new NumaNode(0, 16L << 30, Map.of(), List.of(10))), Set.of());
            ObjectNode bigNode = withTopology(node("big", "8", "16Gi"), big, null);
            // "small" has more free memory but cannot hold 6 dedicated CPUs; "big" can
            assertThat(NodeFit.choose(dedicatedSpec(6), List.of(small, bigNode), List.of(), Optional.of(dedicated(6))))
                    .isEqualTo(new NodeFit.Fits("big"));
        }

        @Test
        void withoutPlacementTheTopologyIsNotConsulted() {
            ObjectNode n = node("n1");
            n.withObjectProperty("metadata").withObjectProperty("labels").put("kubevirt.io/cpumanager", "true");
            assertThat(NodeFit.choose(dedicatedSpec(2), List.of(n), List.of(), Optional.empty()))
                    .isEqualTo(new NodeFit.Fits("n1"));
        }
    }
}
