package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.controller.runtime.ControllerLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jvirt.controller.placement.PlacementRequests;
import io.jvirt.node.cpumanager.NodePlacement;
import io.jvirt.placement.Outcome;
import io.jvirt.placement.Request;

import java.time.Duration;
import java.util.Optional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The kubelet's part for launcher pods in embedded mode: a pod bound to this node is reported Running and Ready
 * (jvirt has no per-VM process to start — the pod is the VM's scheduling and accounting unit), and a pod being
 * deleted is confirmed gone (grace 0) once its VMI's guest no longer runs here.
 */
public final class LauncherPodRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LauncherPodRunner.class);

    private final KubeApi api;
    private final String nodeName;
    private final String nodeIp;
    private final VmiSync sync;
    private final NodePlacement placement;
    private final Runnable usageChanged;
    private final ControllerLoop loop;
    private SharedIndexInformer<GenericKubernetesResource> pods;

    /**
     * @param placement    the node's CPU manager and topology manager: pods of VMIs with dedicated CPUs, NUMA cells
     *                     or hugepages are admitted through it (or fail, as the kubelet's topology manager fails them)
     * @param usageChanged called after an allocation was made or released (to republish the node's usage)
     */
    public LauncherPodRunner(KubeApi api, String nodeName, String nodeIp, VmiSync sync, NodePlacement placement,
                             Runnable usageChanged) {
        this.api = api;
        this.nodeName = nodeName;
        this.nodeIp = nodeIp;
        this.sync = sync;
        this.placement = placement;
        this.usageChanged = usageChanged;
        this.loop = new ControllerLoop("pod-runner", this::reconcile);
    }

    public void start() {
        pods = api.inform(Kind.POD, (o, prev) -> {
            if (nodeName.equals(o.path("spec").path("nodeName").asText(""))) {
                loop.enqueue(KubeApi.ns(o), KubeApi.name(o));
            }
        });
        loop.start(1);
    }

    Duration reconcile(String ns, String name) {
        ObjectNode pod = KubeApi.tree(pods.getStore().getByKey(ns + "/" + name));
        if (pod == null || !nodeName.equals(pod.path("spec").path("nodeName").asText(""))) {
            return null;
        }
        String vmi = vmiName(pod);
        if (pod.path("metadata").has("deletionTimestamp")) {
            if (vmi != null && sync.guestActive(ns, vmi)) {
                return Duration.ofSeconds(1); // the guest is still shutting down
            }
            LOG.info("pod {}/{} terminated", ns, name);
            placement.release(KubeApi.uid(pod), vmiUid(pod));
            usageChanged.run();
            api.deleteNow(Kind.POD, ns, name);
            return null;
        }
        String phase = pod.path("status").path("phase").asText("");
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            placement.release(KubeApi.uid(pod), vmiUid(pod));
            usageChanged.run();
            return null;
        }
        if (phase.equals("Running")) {
            return null;
        }
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        if (vmi != null) {
            Optional<ObjectNode> vmiObj = api.get(Kind.VIRTUAL_MACHINE_INSTANCE, ns, vmi);
            Optional<Request> req = vmiObj.flatMap(v -> PlacementRequests.of(v, placement.options().fullPcpusOnly()));
            if (req.isPresent()) {
                Outcome out = placement.admit(KubeApi.uid(pod), vmiUid(pod), req.get());
                if (out instanceof Outcome.Rejection r) {
                    // as the kubelet's topology manager rejects a pod it cannot align
                    LOG.info("pod {}/{} rejected: {}", ns, name, r.message());
                    ObjectNode failed = JsonNodeFactory.instance.objectNode();
                    failed.put("phase", "Failed");
                    failed.put("reason", "TopologyAffinityError");
                    failed.put("message", "Pod was rejected: " + r.message());
                    api.patchStatus(Kind.POD, ns, name, failed);
                    return null;
                }
                usageChanged.run();
            }
        }
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        status.put("phase", "Running");
        status.put("hostIP", nodeIp);
        status.put("podIP", nodeIp);
        status.put("startTime", now);
        ArrayNode conds = status.putArray("conditions");
        for (String t : new String[] {"PodScheduled", "Initialized", "ContainersReady", "Ready"}) {
            ObjectNode c = conds.addObject();
            c.put("type", t);
            c.put("status", "True");
            c.put("lastTransitionTime", now);
        }
        ArrayNode cs = status.putArray("containerStatuses");
        for (JsonNode c : pod.path("spec").path("containers")) {
            ObjectNode s = cs.addObject();
            s.put("name", c.path("name").asText());
            s.put("image", c.path("image").asText());
            s.put("ready", true);
            s.put("started", true);
            s.put("restartCount", 0);
            s.putObject("state").putObject("running").put("startedAt", now);
        }
        status.put("qosClass", pod.path("status").path("qosClass").asText("Burstable"));
        api.patchStatus(Kind.POD, ns, name, status);
        return null;
    }

    private static String vmiUid(JsonNode pod) {
        for (JsonNode ref : pod.path("metadata").path("ownerReferences")) {
            if (ref.path("kind").asText().equals("VirtualMachineInstance")) {
                return ref.path("uid").asText();
            }
        }
        return null;
    }

    private static String vmiName(JsonNode pod) {
        for (JsonNode ref : pod.path("metadata").path("ownerReferences")) {
            if (ref.path("kind").asText().equals("VirtualMachineInstance")) {
                return ref.path("name").asText();
            }
        }
        return null;
    }

    @Override
    public void close() {
        loop.close();
        if (pods != null) {
            pods.close();
        }
    }
}
