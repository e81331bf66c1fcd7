package io.jvirt.controller.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.controller.vmi.VmiPhases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * virt-controller's node controller: a node whose node agent stopped sending heartbeats
 * ({@code kubevirt.io/heartbeat} older than {@link #STALE_AFTER}) is marked unschedulable for VMIs, and its
 * active VMIs are set Failed so that their VMs can start them elsewhere.
 */
public final class NodeController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeController.class);
    /** KubeVirt's threshold: a heartbeat older than five minutes means the node agent is gone. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(5);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(30);

    private final KubeApi api;
    private final Duration staleAfter;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-controller");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<GenericKubernetesResource> nodes;
    private SharedIndexInformer<GenericKubernetesResource> vmis;

    public NodeController(KubeApi api, Duration staleAfter) {
        this.api = api;
        this.staleAfter = staleAfter;
    }

    public void start() {
        nodes = api.inform(Kind.NODE, (o, p) -> { });
        vmis = api.inform(Kind.VIRTUAL_MACHINE_INSTANCE, (o, p) -> { });
        timer.scheduleWithFixedDelay(this::check, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    static boolean stale(JsonNode node, Instant now, Duration staleAfter) {
        String hb = node.path("metadata").path("annotations").path("kubevirt.io/heartbeat").asText("");
        if (hb.isEmpty()) {
            return false; // never had a node agent: not ours to judge
        }
        try {
            return Instant.parse(hb).plus(staleAfter).isBefore(now);
        } catch (DateTimeParseException e) {
            return true;
        }
    }

    void check() {
        try {
            Instant now = Instant.now();
            for (GenericKubernetesResource n : nodes.getStore().list()) {
                ObjectNode node = KubeApi.tree(n);
                if (!stale(node, now, staleAfter)) {
                    continue;
                }
                String name = KubeApi.name(node);
                if (node.path("metadata").path("labels").path("kubevirt.io/schedulable").asText().equals("true")) {
                    LOG.info("node {}: heartbeat is stale; marking it unschedulable for VMIs", name);
                    ObjectNode patch = JsonNodeFactory.instance.objectNode();
                    patch.putObject("metadata").putObject("labels").put("kubevirt.io/schedulable", "false");
                    api.patch(Kind.NODE, null, name, patch);
                }
                for (GenericKubernetesResource v : vmis.getStore().list()) {
                    ObjectNode vmi = KubeApi.tree(v);
                    String phase = vmi.path("status").path("phase").asText("");
                    if (name.equals(vmi.path("status").path("nodeName").asText(""))
                            && !phase.equals("Succeeded") && !phase.equals("Failed")) {
                        fail(vmi, name);
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("node check failed: {}", e.toString());
        }
    }

    private void fail(ObjectNode vmi, String node) {
        LOG.info("VMI {}/{}: its node {} stopped sending heartbeats; marking it Failed", KubeApi.ns(vmi),
                KubeApi.name(vmi), node);
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        VmiPhases.transition(vmi, "Failed", status);
        status.put("reason", "NodeUnresponsive");
        try {
            api.patchStatus(Kind.VIRTUAL_MACHINE_INSTANCE, KubeApi.ns(vmi), KubeApi.name(vmi), status);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (nodes != null) {
            nodes.close();
        }
        if (vmis != null) {
            vmis.close();
        }
    }
}
