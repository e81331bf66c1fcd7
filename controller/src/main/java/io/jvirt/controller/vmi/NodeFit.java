package io.jvirt.controller.vmi;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.kubevirt.Quantity;
import io.jvirt.controller.placement.PlacementCodec;
import io.jvirt.placement.Fitter;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.Request;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Chooses a node for a launcher pod the way the Kubernetes scheduler filters (pure): the node must be Ready and
 * schedulable, carry every label of the pod's nodeSelector, and have room for the pod's requests (cpu, memory,
 * hugepages and extended resources such as {@code devices.kubevirt.io/kvm}) after the pods already bound to it.
 * Among the nodes that fit it picks the one with the most free memory (ties by name, so it is deterministic).
 * When none fits, the message lists why per reason, as kube-scheduler does:
 * {@code 0/1 nodes are available: 1 Insufficient memory}.
 */
public final class NodeFit {
    private NodeFit() {
    }

    public sealed interface Outcome permits Fits, Unschedulable {
    }

    public record Fits(String nodeName) implements Outcome {
    }

    public record Unschedulable(String message) implements Outcome {
    }

    /**
     * @param podSpec the launcher pod's spec (nodeSelector, containers[].resources)
     * @param nodes   all nodes
     * @param pods    all pods that are bound to a node and not finished
     */
    public static Outcome choose(JsonNode podSpec, List<? extends JsonNode> nodes, List<? extends JsonNode> pods) {
        return choose(podSpec, nodes, pods, Optional.empty());
    }

    /**
     * As {@link #choose(JsonNode, List, List)}, and when the VMI needs exclusive CPUs, NUMA cells or hugepages,
     * the node must also fit it by the placement fitter over the topology and usage its node agent publishes;
     * the fitter's per-NUMA-node reasons become the node's reason.
     */
    public static Outcome choose(JsonNode podSpec, List<? extends JsonNode> nodes, List<? extends JsonNode> pods,
                                 Optional<Request> placement) {
        Map<String, BigDecimal> request = requests(podSpec);
        Map<String, Integer> reasons = new TreeMap<>();
        String best = null;
        BigDecimal bestFree = null;
        for (JsonNode node : nodes) {
            String name = node.path("metadata").path("name").asText();
            Optional<String> why = reject(node, podSpec, request, pods);
            if (placement.isPresent() && (why.isEmpty() || why.get().startsWith("Insufficient cpu")
                    || why.get().startsWith("Insufficient hugepages"))) {
                // the fitter's per-NUMA-node reason says more than a bare count (or finds a layout problem)
                Optional<String> layout = rejectPlacement(node, placement.get());
                if (layout.isPresent() || why.isEmpty()) {
                    why = layout.isPresent() ? layout : why;
                }
            }
            if (why.isPresent()) {
                reasons.merge(why.get(), 1, Integer::sum);
                continue;
            }
            BigDecimal free = free(node, pods, name, "memory");
            if (best == null || free.compareTo(bestFree) > 0 || free.compareTo(bestFree) == 0 && name.compareTo(best) < 0) {
                best = name;
                bestFree = free;
            }
        }
        if (best != null) {
            return new Fits(best);
        }
        StringBuilder msg = new StringBuilder("0/").append(nodes.size()).append(" nodes are available");
        if (!reasons.isEmpty()) {
            List<String> parts = new ArrayList<>();
            reasons.forEach((r, n) -> parts.add(n + " " + r));
            parts.sort(null); // kube-scheduler sorts the "<count> <reason>" strings
            msg.append(": ").append(String.join(", ", parts));
        }
        return new Unschedulable(msg.append('.').toString());
    }

    private static Optional<String> reject(JsonNode node, JsonNode podSpec, Map<String, BigDecimal> request,
                                           List<? extends JsonNode> pods) {
        boolean ready = false;
        for (JsonNode c : node.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True")) {
                ready = true;
            }
        }
        if (!ready) {
            return Optional.of("node(s) were not ready");
        }
        if (node.path("spec").path("unschedulable").asBoolean(false)) {
            return Optional.of("node(s) were unschedulable");
        }
        JsonNode labels = node.path("metadata").path("labels");
        for (Iterator<Map.Entry<String, JsonNode>> it = podSpec.path("nodeSelector").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!labels.path(e.getKey()).asText("\u0000").equals(e.getValue().asText())) {
                String hint = e.getKey().equals("kubevirt.io/cpumanager")
                        ? "; dedicated CPUs need a node with the static CPU manager policy and the CPUManager feature "
                        + "gate enabled in the KubeVirt CR" : "";
                return Optional.of("node(s) didn't match Pod's node affinity/selector (" + e.getKey() + "="
                        + e.getValue().asText() + hint + ")");
            }
        }
        String name = node.path("metadata").path("name").asText();
        for (Map.Entry<String, BigDecimal> r : request.entrySet()) {
            BigDecimal free = free(node, pods, name, r.getKey());
            if (free.compareTo(r.getValue()) < 0) {
                return Optional.of("Insufficient " + r.getKey());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> rejectPlacement(JsonNode node, Request req) {
        JsonNode ann = node.path("metadata").path("annotations");
        String name = node.path("metadata").path("name").asText();
        if (!ann.has(PlacementCodec.TOPOLOGY)) {
            return Optional.of("node(s) did not publish their CPU/NUMA topology (" + name + ")");
        }
        try {
            HostTopology topo = PlacementCodec.topology(JSON.readTree(ann.get(PlacementCodec.TOPOLOGY).asText()));
            HostUsage usage = ann.has(PlacementCodec.USAGE)
                    ? PlacementCodec.usage(JSON.readTree(ann.get(PlacementCodec.USAGE).asText())) : HostUsage.EMPTY;
            io.jvirt.placement.Outcome out = Fitter.fit(topo, usage, req);
            if (out instanceof io.jvirt.placement.Outcome.Rejection r) {
                return Optional.of("node(s) had no CPU/NUMA/hugepage fit (" + name + ": " + r.message() + ")");
            }
            return Optional.empty();
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.of("node(s) published an unreadable topology (" + name + ": " + e.getMessage() + ")");
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Allocatable minus the requests of the pods bound to the node. */
    static BigDecimal free(JsonNode node, List<? extends JsonNode> pods, String nodeName, String resource) {
        JsonNode alloc = node.path("status").path("allocatable").path(resource);
        BigDecimal free = alloc.isMissingNode() ? BigDecimal.ZERO : Quantity.parse(alloc.asText()).amount();
        for (JsonNode pod : pods) {
            if (!pod.path("spec").path("nodeName").asText().equals(nodeName)) {
                continue;
            }
            BigDecimal used = requests(pod.path("spec")).get(resource);
            if (used != null) {
                free = free.subtract(used);
            }
        }
        return free;
    }

    /**
     * A pod's effective requests: the sum over its containers (init containers aside) of requests, with limits
     * standing in for missing requests (Kubernetes defaults requests to limits; extended resources only have limits).
     */
    static Map<String, BigDecimal> requests(JsonNode podSpec) {
        Map<String, BigDecimal> sum = new LinkedHashMap<>();
        for (JsonNode c : podSpec.path("containers")) {
            JsonNode req = c.path("resources").path("requests");
            JsonNode lim = c.path("resources").path("limits");
            Map<String, JsonNode> effective = new LinkedHashMap<>();
            lim.fields().forEachRemaining(e -> effective.put(e.getKey(), e.getValue()));
            req.fields().forEachRemaining(e -> effective.put(e.getKey(), e.getValue()));
            effective.forEach((k, v) -> sum.merge(k, Quantity.parse(v.asText()).amount(), BigDecimal::add));
        }
        return sum;
    }
}
