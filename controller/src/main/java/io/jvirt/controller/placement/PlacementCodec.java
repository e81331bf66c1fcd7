package io.jvirt.controller.placement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.placement.Cpu;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.NumaNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a node agent publishes its CPU/NUMA topology and current exclusive allocations on its Node (annotations
 * {@link #TOPOLOGY} and {@link #USAGE}), so the scheduler can run the same fitter the node will run.
 */
public final class PlacementCodec {
    public static final String TOPOLOGY = "jvirt.io/cpu-topology";
    public static final String USAGE = "jvirt.io/cpu-usage";

    private PlacementCodec() {
    }

    public static ObjectNode topology(HostTopology t) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        ArrayNode cpus = o.putArray("cpus");
        for (Cpu c : t.cpus()) {
            cpus.addArray().add(c.id()).add(c.core()).add(c.socket()).add(c.numaNode());
        }
        ArrayNode nodes = o.putArray("nodes");
        for (NumaNode n : t.nodes()) {
            ObjectNode no = nodes.addObject();
            no.put("id", n.id());
            no.put("memory", n.memoryBytes());
            ObjectNode hp = no.putObject("hugepages");
            n.hugepagesTotal().forEach(hp::put);
            ArrayNode d = no.putArray("distances");
            n.distances().forEach(d::add);
        }
        ArrayNode reserved = o.putArray("reserved");
        t.reservedCpus().stream().sorted().forEach(reserved::add);
        return o;
    }

    public static HostTopology topology(JsonNode o) {
        List<Cpu> cpus = new ArrayList<>();
        for (JsonNode c : o.path("cpus")) {
            cpus.add(new Cpu(c.get(0).asInt(), c.get(1).asInt(), c.get(2).asInt(), c.get(3).asInt()));
        }
        List<NumaNode> nodes = new ArrayList<>();
        for (JsonNode n : o.path("nodes")) {
            Map<String, Long> hp = new HashMap<>();
            n.path("hugepages").fields().forEachRemaining(e -> hp.put(e.getKey(), e.getValue().asLong()));
            List<Integer> d = new ArrayList<>();
            n.path("distances").forEach(x -> d.add(x.asInt()));
            nodes.add(new NumaNode(n.path("id").asInt(), n.path("memory").asLong(), hp, d));
        }
        Set<Integer> reserved = new HashSet<>();
        o.path("reserved").forEach(x -> reserved.add(x.asInt()));
        return new HostTopology(cpus, nodes, reserved);
    }

    public static ObjectNode usage(HostUsage u) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode ex = o.putArray("exclusive");
        u.exclusiveCpus().stream().sorted().forEach(ex::add);
        ObjectNode hp = o.putObject("hugepages");
        u.hugepagesUsed().forEach((node, sizes) -> {
            ObjectNode s = hp.putObject(Integer.toString(node));
            sizes.forEach(s::put);
        });
        return o;
    }

    public static HostUsage usage(JsonNode o) {
        Set<Integer> ex = new HashSet<>();
        o.path("exclusive").forEach(x -> ex.add(x.asInt()));
        Map<Integer, Map<String, Long>> hp = new HashMap<>();
        o.path("hugepages").fields().forEachRemaining(e -> {
            Map<String, Long> sizes = new HashMap<>();
            e.getValue().fields().forEachRemaining(s -> sizes.put(s.getKey(), s.getValue().asLong()));
            hp.put(Integer.parseInt(e.getKey()), sizes);
        });
        return new HostUsage(ex, hp);
    }
}
