package io.jvirt.controller.vmi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.controller.runtime.ControllerLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;

/**
 * The VirtualMachineInstance controller: schedules a VMI onto a node (the launcher Pod, bound to the node the
 * fit chose), and drives the phases the controller owns — Pending → Scheduling → Scheduled, Failed when the
 * launcher pod is lost — writing {@code status.nodeName}, the {@code kubevirt.io/nodeName} label and phase
 * transition timestamps. An unschedulable VMI gets {@code PodScheduled=False/Unschedulable} with the reason.
 * From Scheduled on, the node agent on that node owns the VMI's phase.
 */
public final class VmiController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmiController.class);
    /** The finalizer the VMI mutator adds; the node agent removes it once the domain is gone. */
    public static final String NODE_FINALIZER = "kubevirt.io/foregroundDeleteVirtualMachine";
    private static final Duration UNSCHEDULABLE_RETRY = Duration.ofSeconds(5);
    /** Where KubeVirt reports a VMI's computed memory overhead. */
    public static final String OVERHEAD_ANNOTATION = "kubevirt.io/memory-overhead-bytes";

    private final KubeApi api;
    private final ToLongFunction<JsonNode> overhead;
    private final BiFunction<JsonNode, Long, ObjectNode> podResources;
    private final ControllerLoop loop;
    private SharedIndexInformer<GenericKubernetesResource> vmis;
    private SharedIndexInformer<GenericKubernetesResource> pods;
    private SharedIndexInformer<GenericKubernetesResource> nodes;
    /**
     * Pods created but possibly not yet seen by the informer (client-go's "expectations"): VMI uid → when. Without
     * it a reconcile racing its own informer would create a second launcher pod.
     */
    private final java.util.Map<String, Instant> podsInFlight = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Duration IN_FLIGHT_GRACE = Duration.ofSeconds(30);

    /**
     * @param overhead     the memory overhead of a VMI (bytes), reported as KubeVirt does in the
     *                     {@code kubevirt.io/memory-overhead-bytes} annotation
     * @param podResources the launcher's compute-container resources for a VMI and its overhead
     */
    public VmiController(KubeApi api, ToLongFunction<JsonNode> overhead,
                         BiFunction<JsonNode, Long, ObjectNode> podResources) {
        this.api = api;
        this.overhead = overhead;
        this.podResources = podResources;
        this.loop = new ControllerLoop("vmi-controller", this::reconcile);
    }

    public void start() {
        vmis = api.inform(Kind.VIRTUAL_MACHINE_INSTANCE, (o, prev) -> loop.enqueue(KubeApi.ns(o), KubeApi.name(o)));
        pods = api.inform(Kind.POD, (o, prev) -> {
            for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
                if (ref.path("kind").asText().equals("VirtualMachineInstance")) {
                    loop.enqueue(KubeApi.ns(o), ref.path("name").asText());
                }
            }
        });
        // A node that changes may make waiting VMIs schedulable (or its loss fail them): look at all again.
        nodes = api.inform(Kind.NODE, (o, prev) -> {
            if (vmis != null) {
                vmis.getStore().list().forEach(v -> loop.enqueue(v.getMetadata().getNamespace(),
                        v.getMetadata().getName()));
            }
        });
        loop.start(2);
    }

    static String phase(JsonNode vmi) {
        return vmi.path("status").path("phase").asText("");
    }

    private List<ObjectNode> launcherPods(JsonNode vmi) {
        String uid = KubeApi.uid(vmi);
        return pods.getStore().list().stream().map(KubeApi::tree)
                .filter(p -> p.path("metadata").path("labels").path(LauncherPod.CREATED_BY).asText().equals(uid))
                .toList();
    }

    Duration reconcile(String ns, String name) {
        ObjectNode vmi = KubeApi.tree(vmis.getStore().getByKey(ns + "/" + name));
        if (vmi == null) {
            return null;
        }
        String phase = phase(vmi);
        List<ObjectNode> launchers = launcherPods(vmi);
        boolean deleting = vmi.path("metadata").has("deletionTimestamp");
        if (deleting) {
            if (vmi.path("status").path("nodeName").asText("").isEmpty()) {
                // never reached a node: no node agent will clean up after it
                launchers.forEach(p -> api.deleteNow(Kind.POD, ns, KubeApi.name(p)));
                api.removeFinalizer(Kind.VIRTUAL_MACHINE_INSTANCE, vmi, NODE_FINALIZER);
            }
            return null;
        }
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            for (ObjectNode p : launchers) {
                if (!p.path("metadata").has("deletionTimestamp")) {
                    api.delete(Kind.POD, ns, KubeApi.name(p));
                }
            }
            return null;
        }
        ObjectNode pod = launchers.stream().filter(p -> !p.path("metadata").has("deletionTimestamp")).findFirst()
                .orElse(null);
        if (pod != null) {
            podsInFlight.remove(KubeApi.uid(vmi));
        }
        switch (phase) {
            case "", "Pending" -> {
                if (pod == null) {
                    return schedule(vmi);
                }
                setPhase(vmi, "Scheduling", null);
            }
            case "Scheduling" -> {
                if (pod == null) {
                    return schedule(vmi);
                }
                String podPhase = pod.path("status").path("phase").asText("");
                if (podPhase.equals("Failed") || podPhase.equals("Succeeded")) {
                    fail(vmi, "the launcher pod " + KubeApi.name(pod) + " ended (" + podPhase + ") before the VMI started");
                } else if (podReady(pod)) {
                    ObjectNode patch = JsonNodeFactory.instance.objectNode();
                    patch.put("nodeName", pod.path("spec").path("nodeName").asText());
                    labelNode(vmi, pod.path("spec").path("nodeName").asText());
                    setPhase(vmi, "Scheduled", patch);
                }
            }
            case "Scheduled", "Running" -> {
                if (pod == null && launchers.isEmpty()) {
                    fail(vmi, "the launcher pod is gone");
                } else if (pod != null && pod.path("status").path("phase").asText("").equals("Failed")) {
                    fail(vmi, "the launcher pod " + KubeApi.name(pod) + " failed");
                }
            }
            default -> {
            }
        }
        return null;
    }

    private static boolean podReady(JsonNode pod) {
        if (!pod.path("status").path("phase").asText("").equals("Running")) {
            return false;
        }
        for (JsonNode c : pod.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                return c.path("status").asText().equals("True");
            }
        }
        return false;
    }

    private Duration schedule(ObjectNode vmi) {
        Instant pending = podsInFlight.get(KubeApi.uid(vmi));
        if (pending != null && pending.plus(IN_FLIGHT_GRACE).isAfter(Instant.now())) {
            return Duration.ofMillis(500); // our pod exists; the informer has not shown it yet
        }
        long overheadBytes = overhead.applyAsLong(vmi);
        String annotated = vmi.path("metadata").path("annotations").path(OVERHEAD_ANNOTATION).asText("");
        if (!annotated.equals(Long.toString(overheadBytes))) {
            ObjectNode patch = JsonNodeFactory.instance.objectNode();
            patch.putObject("metadata").putObject("annotations").put(OVERHEAD_ANNOTATION, Long.toString(overheadBytes));
            vmi = api.patch(Kind.VIRTUAL_MACHINE_INSTANCE, KubeApi.ns(vmi), KubeApi.name(vmi), patch);
        }
        ObjectNode resources = podResources.apply(vmi, overheadBytes);
        ObjectNode podTemplate = LauncherPod.render(vmi, resources, null);
        List<ObjectNode> allNodes = nodes.getStore().list().stream().map(KubeApi::tree).toList();
        List<ObjectNode> activePods = pods.getStore().list().stream().map(KubeApi::tree)
                .filter(p -> !p.path("spec").path("nodeName").asText("").isEmpty())
                .filter(p -> {
                    String ph = p.path("status").path("phase").asText("");
                    return !ph.equals("Succeeded") && !ph.equals("Failed");
                })
                .toList();
        NodeFit.Outcome outcome = NodeFit.choose(podTemplate.path("spec"), allNodes, activePods,
                io.jvirt.controller.placement.PlacementRequests.of(vmi, false));
        switch (outcome) {
            case NodeFit.Fits fits -> {
                ObjectNode pod = LauncherPod.render(vmi, resources, fits.nodeName());
                try {
                    ObjectNode created = api.create(Kind.POD, KubeApi.ns(vmi), pod);
                    podsInFlight.put(KubeApi.uid(vmi), Instant.now());
                    LOG.info("VMI {}/{}: launcher pod {} on node {}", KubeApi.ns(vmi), KubeApi.name(vmi),
                            KubeApi.name(created), fits.nodeName());
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                }
                ObjectNode extra = JsonNodeFactory.instance.objectNode();
                extra.set("conditions", withoutCondition(vmi, "PodScheduled"));
                setPhase(vmi, "Scheduling", extra);
                return null;
            }
            case NodeFit.Unschedulable u -> {
                ArrayNode conds = withoutCondition(vmi, "PodScheduled");
                ObjectNode c = conds.addObject();
                c.put("type", "PodScheduled");
                c.put("status", "False");
                c.put("reason", "Unschedulable");
                c.put("message", u.message());
                c.putNull("lastProbeTime");
                c.put("lastTransitionTime", now());
                if (!sameCondition(vmi, c)) {
                    ObjectNode patch = JsonNodeFactory.instance.objectNode();
                    patch.set("conditions", conds);
                    if (phase(vmi).isEmpty()) {
                        patch.put("phase", "Pending");
                    }
                    api.patchStatus(Kind.VIRTUAL_MACHINE_INSTANCE, KubeApi.ns(vmi), KubeApi.name(vmi), patch);
                    LOG.info("VMI {}/{} is unschedulable: {}", KubeApi.ns(vmi), KubeApi.name(vmi), u.message());
                    api.event(vmi, "Warning", "FailedScheduling", u.message(), "virt-controller");
                }
                return UNSCHEDULABLE_RETRY;
            }
        }
    }

    private static boolean sameCondition(JsonNode vmi, JsonNode c) {
        for (JsonNode old : vmi.path("status").path("conditions")) {
            if (old.path("type").asText().equals(c.path("type").asText())) {
                return old.path("status").equals(c.path("status")) && old.path("reason").equals(c.path("reason"))
                        && old.path("message").equals(c.path("message"));
            }
        }
        return false;
    }

    private static ArrayNode withoutCondition(JsonNode vmi, String type) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (JsonNode c : vmi.path("status").path("conditions")) {
            if (!c.path("type").asText().equals(type)) {
                out.add(c);
            }
        }
        return out;
    }

    private void labelNode(JsonNode vmi, String node) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.putObject("metadata").putObject("labels").put("kubevirt.io/nodeName", node);
        api.patch(Kind.VIRTUAL_MACHINE_INSTANCE, KubeApi.ns(vmi), KubeApi.name(vmi), patch);
    }

    private void fail(ObjectNode vmi, String reason) {
        LOG.info("VMI {}/{} failed: {}", KubeApi.ns(vmi), KubeApi.name(vmi), reason);
        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("reason", "PodTerminating");
        ArrayNode conds = withoutCondition(vmi, "Ready");
        ObjectNode ready = conds.addObject();
        ready.put("type", "Ready");
        ready.put("status", "False");
        ready.put("reason", "PodTerminating");
        ready.put("message", reason);
        ready.putNull("lastProbeTime");
        ready.put("lastTransitionTime", now());
        extra.set("conditions", conds);
        setPhase(vmi, "Failed", extra);
    }

    /** Writes a new phase with its transition timestamp (plus {@code extra} status fields) when it changes. */
    private void setPhase(ObjectNode vmi, String phase, ObjectNode extra) {
        if (phase(vmi).equals(phase) && (extra == null || extra.isEmpty())) {
            return;
        }
        ObjectNode patch = extra == null ? JsonNodeFactory.instance.objectNode() : extra;
        VmiPhases.transition(vmi, phase, patch);
        // Guarded by the resourceVersion this decision was made on: a transition computed from a stale informer copy
        // is refused (409) instead of being recorded twice; the newer copy brings the VMI back here.
        api.patchStatusIfUnchanged(Kind.VIRTUAL_MACHINE_INSTANCE, vmi, patch);
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @Override
    public void close() {
        loop.close();
        for (var inf : new SharedIndexInformer<?>[] {vmis, pods, nodes}) {
            if (inf != null) {
                inf.close();
            }
        }
    }
}
