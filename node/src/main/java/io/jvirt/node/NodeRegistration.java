package io.jvirt.node;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import io.jvirt.controller.placement.PlacementCodec;
import io.jvirt.node.cpumanager.NodePlacement;
import io.jvirt.node.cpumanager.NodeResources;

import java.util.function.BooleanSupplier;

/**
 * Registers this host as a Node and keeps it alive: capacity and allocatable (cpu, memory, hugepages,
 * {@code devices.kubevirt.io/kvm|tun|vhost-net} with 1000 each as KubeVirt's device plugins advertise), labels
 * ({@code kubevirt.io/schedulable}, arch, os, hostname, emulation), the Ready condition and the
 * {@code kubevirt.io/heartbeat} annotation, refreshed by {@link #heartbeat()}.
 */
public final class NodeRegistration {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRegistration.class);
    public static final String HEARTBEAT = "kubevirt.io/heartbeat";
    public static final String ENDPOINT_ANNOTATION = "jvirt.io/node-agent-endpoint";
    public static final String EMULATION_LABEL = "jvirt.io/software-emulation";

    private final KubeApi api;
    private final HostFacts host;
    private final boolean kvm;
    private final String endpoint;
    private final NodePlacement placement;
    private final BooleanSupplier cpuManagerGate;

    /**
     * @param placement      the node's CPU manager / topology (capacity, labels, published topology and usage)
     * @param cpuManagerGate whether the CPUManager feature gate is on (read at every heartbeat)
     */
    public NodeRegistration(KubeApi api, HostFacts host, boolean kvm, String endpoint, NodePlacement placement,
                            BooleanSupplier cpuManagerGate) {
        this.api = api;
        this.host = host;
        this.kvm = kvm;
        this.endpoint = endpoint;
        this.placement = placement;
        this.cpuManagerGate = cpuManagerGate;
    }

    public String nodeName() {
        return host.hostname();
    }

    public void register() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = node.putObject("metadata");
        meta.put("name", host.hostname());
        meta.set("labels", labels(true));
        ObjectNode ann = meta.putObject("annotations");
        ann.put(HEARTBEAT, now());
        ann.put(ENDPOINT_ANNOTATION, endpoint);
        ann.put(PlacementCodec.TOPOLOGY, placement.topologyAnnotation().toString());
        ann.put(PlacementCodec.USAGE, placement.usageAnnotation().toString());
        node.putObject("spec");
        node.set("status", status());
        try {
            api.create(Kind.NODE, null, node);
            LOG.info("registered node {}", host.hostname());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            ObjectNode patch = JsonNodeFactory.instance.objectNode();
            ObjectNode pm = patch.putObject("metadata");
            pm.set("labels", labels(true));
            pm.set("annotations", ann);
            api.patch(Kind.NODE, null, host.hostname(), patch);
            api.patchStatus(Kind.NODE, null, host.hostname(), status());
            LOG.info("updated node {}", host.hostname());
        }
    }

    private ObjectNode labels(boolean schedulable) {
        ObjectNode l = JsonNodeFactory.instance.objectNode();
        l.put("kubernetes.io/hostname", host.hostname());
        l.put("kubernetes.io/arch", "amd64");
        l.put("kubernetes.io/os", "linux");
        l.put("kubevirt.io/schedulable", Boolean.toString(schedulable));
        l.put(EMULATION_LABEL, Boolean.toString(!kvm));
        l.put("node-role.kubernetes.io/control-plane", "");
        l.setAll(resources().labels());
        return l;
    }

    private ObjectNode status() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode s = f.objectNode();
        NodeResources res = resources();
        ObjectNode capacity = res.capacity();
        capacity.put("pods", "110");
        s.set("capacity", capacity);
        ObjectNode allocatable = res.allocatable();
        allocatable.put("pods", "110");
        s.set("allocatable", allocatable);
        s.set("conditions", conditions());
        ObjectNode info = s.putObject("nodeInfo");
        info.put("kubeletVersion", "v1.30.0-jvirt");
        info.put("kernelVersion", host.kernelVersion());
        info.put("osImage", host.osImage());
        info.put("operatingSystem", "linux");
        info.put("architecture", "amd64");
        info.put("containerRuntimeVersion", "jvirt://embedded");
        ArrayNode addr = s.putArray("addresses");
        ObjectNode ip = addr.addObject();
        ip.put("type", "InternalIP");
        ip.put("address", host.internalIp());
        ObjectNode hn = addr.addObject();
        hn.put("type", "Hostname");
        hn.put("address", host.hostname());
        return s;
    }

    private ArrayNode conditions() {
        ArrayNode conds = JsonNodeFactory.instance.arrayNode();
        ObjectNode ready = conds.addObject();
        ready.put("type", "Ready");
        ready.put("status", "True");
        ready.put("reason", "NodeAgentReady");
        ready.put("message", "jvirt node agent is posting ready status"
                + (kvm ? "" : "; guests run under software emulation (KVM unusable here)"));
        ready.put("lastHeartbeatTime", now());
        ready.put("lastTransitionTime", now());
        return conds;
    }

    private NodeResources resources() {
        return placement.resources(cpuManagerGate.getAsBoolean(), host.ephemeralStorageBytes());
    }

    /**
     * Refreshes the heartbeat, the labels that depend on configuration (the cpumanager labels follow the
     * CPUManager gate), the published CPU usage and the status (allocatable hugepages follow what is free).
     */
    public void heartbeat() {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = patch.putObject("metadata");
        ObjectNode ann = meta.putObject("annotations");
        ann.put(HEARTBEAT, now());
        ann.put(PlacementCodec.USAGE, placement.usageAnnotation().toString());
        meta.set("labels", resources().labels());
        api.patch(Kind.NODE, null, host.hostname(), patch);
        api.patchStatus(Kind.NODE, null, host.hostname(), status());
    }

    /** Publishes the CPU/hugepage usage right after an allocation changed (the scheduler reads it). */
    public void publishUsage() {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.putObject("metadata").putObject("annotations")
                .put(PlacementCodec.USAGE, placement.usageAnnotation().toString());
        api.patch(Kind.NODE, null, host.hostname(), patch);
        api.patchStatus(Kind.NODE, null, host.hostname(), status());
    }

    /** On the way out: no new VMIs for this node until it is back. */
    public void markUnschedulable() {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.putObject("metadata").putObject("labels").put("kubevirt.io/schedulable", "false");
        api.patch(Kind.NODE, null, host.hostname(), patch);
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
