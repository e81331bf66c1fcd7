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
import io.jvirt.controller.vmi.VmiPhases;
import io.jvirt.launcher.runtime.VmiRuntime;
import io.jvirt.node.console.ConsoleHubs;
import io.jvirt.node.cpumanager.NodePlacement;
import io.jvirt.placement.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's VMI loop (virt-handler's part): starts the guests of VMIs scheduled to this node, reports their
 * phase and conditions from the hypervisor's state, shuts them down gracefully (ACPI, then destroy after the
 * termination grace period) when their VMI is deleted or finished, cleans up, and releases the VMI's finalizer.
 * Guests belong to libvirt, not to this process: on start the loop re-adopts every guest it finds.
 */
public final class VmiSync implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmiSync.class);
    public static final String NODE_FINALIZER = "kubevirt.io/foregroundDeleteVirtualMachine";
    /** KubeVirt's default terminationGracePeriodSeconds for VMIs. */
    private static final long DEFAULT_GRACE_S = 30;
    /**
     * Guest user-mode networking (slirp/passt) always gives the guest this address; reported for a NIC the guest
     * agent does not describe.
     */
    static final String USER_NET_GUEST_IP = "10.0.2.15";
    private static final Duration RESYNC = Duration.ofSeconds(15);
    /** How long a stop waits for a guest agent poll in flight (its commands time out after 5 s). */
    private static final Duration AGENT_QUIESCE = Duration.ofSeconds(6);

    private final KubeApi api;
    private final GuestRuntime runtime;
    private final String nodeName;
    private final ConsoleHubs hubs;
    private final ControllerLoop loop;
    private final GuestAgentPoller agents;
    /** VMI uid → when its graceful shutdown must become a destroy. */
    private final Map<String, Instant> shutdownDeadlines = new ConcurrentHashMap<>();
    private final StartBackoff startBackoff = new StartBackoff();
    private SharedIndexInformer<GenericKubernetesResource> vmis;

    private final NodePlacement placement;

    public VmiSync(KubeApi api, GuestRuntime runtime, String nodeName, ConsoleHubs hubs, NodePlacement placement) {
        this.placement = placement;
        this.api = api;
        this.runtime = runtime;
        this.nodeName = nodeName;
        this.hubs = hubs;
        this.loop = new ControllerLoop("vmi-sync", this::reconcile);
        this.agents = new GuestAgentPoller(runtime, loop::enqueue);
    }

    public void start() {
        vmis = api.inform(Kind.VIRTUAL_MACHINE_INSTANCE, (o, prev) -> {
            if (nodeName.equals(o.path("status").path("nodeName").asText(""))
                    || runtime.status(KubeApi.ns(o), KubeApi.name(o)).isPresent()) {
                loop.enqueue(KubeApi.ns(o), KubeApi.name(o));
            }
        });
        runtime.onChange(k -> loop.enqueue(k[0], k[1]));
        agents.start();
        for (GuestRuntime.GuestStatus g : runtime.list()) {
            LOG.info("re-adopting guest {}/{} ({})", g.namespace(), g.name(), g.state());
            loop.enqueue(g.namespace(), g.name());
        }
        loop.start(2);
    }

    Duration reconcile(String ns, String name) {
        ObjectNode vmi = KubeApi.tree(vmis.getStore().getByKey(ns + "/" + name));
        Optional<GuestRuntime.GuestStatus> guest = runtime.status(ns, name);
        if (vmi == null) {
            agents.forget(ns, name);
            guest.ifPresent(g -> {
                LOG.info("guest {}/{} has no VMI any more: destroying it", ns, name);
                runtime.kill(ns, name);
                runtime.cleanup(ns, name);
                hubs.close(ns, name);
            });
            return null;
        }
        if (guest.isPresent() && !guest.get().vmiUid().equals(KubeApi.uid(vmi))) {
            LOG.info("guest {}/{} belongs to an older VMI of that name: removing it", ns, name);
            runtime.kill(ns, name);
            runtime.cleanup(ns, name);
            hubs.close(ns, name);
            agents.forget(ns, name);
            guest = Optional.empty();
        }
        if (!nodeName.equals(vmi.path("status").path("nodeName").asText("")) && guest.isEmpty()) {
            return null;
        }
        String phase = vmi.path("status").path("phase").asText("");
        boolean deleting = vmi.path("metadata").has("deletionTimestamp");
        boolean fin = phase.equals("Succeeded") || phase.equals("Failed");
        if (deleting || fin) {
            return stop(vmi, guest, deleting, fin);
        }
        if (guest.isEmpty()) {
            agents.forget(ns, name);
            if (phase.equals("Scheduled")) {
                return startGuest(vmi);
            }
            if (phase.equals("Running")) {
                writeStatus(vmi, "Failed", null, "the guest is gone from the hypervisor");
            }
            return null;
        }
        GuestRuntime.GuestStatus g = guest.get();
        hubs.ensure(ns, name, runtime.serialSocket(ns, name));
        if (g.active()) {
            agents.track(ns, name, !g.state().equals("paused"));
        } else {
            agents.forget(ns, name);
        }
        String mapped = PhaseMapping.phase(g, acpi(vmi));
        writeStatus(vmi, mapped == null ? phase : mapped, g, null);
        return RESYNC;
    }

    private Duration startGuest(ObjectNode vmi) {
        String ns = KubeApi.ns(vmi);
        String name = KubeApi.name(vmi);
        String uid = KubeApi.uid(vmi);
        Instant now = Instant.now();
        Optional<StartBackoff.Failure> waiting = startBackoff.waiting(uid, now);
        if (waiting.isPresent()) {
            String[] c = waiting.get().waitingCondition();
            syncFailure(vmi, c[0], c[1]);
            return Duration.between(now, waiting.get().retryAt());
        }
        try {
            VmiRuntime.Pinning pinning = null;
            Optional<Outcome.Allocation> alloc = placement.allocationOf(KubeApi.uid(vmi));
            if (alloc.isPresent()) {
                java.util.Map<Integer, java.util.List<Integer>> distances = new HashMap<>();
                placement.topology().nodes().forEach(n -> distances.put(n.id(), n.distances()));
                pinning = new VmiRuntime.Pinning(alloc.get(), placement.sharedPool(), distances);
            } else if (io.jvirt.controller.placement.PlacementRequests.of(vmi, false)
                    .map(io.jvirt.placement.Request::dedicated).orElse(false)) {
                // dedicated CPUs are allocated when the launcher pod is admitted; wait for that
                return Duration.ofSeconds(1);
            }
            runtime.start(vmi, secretName -> secret(ns, secretName), pinning);
            startBackoff.forget(uid);
            LOG.info("started guest {}/{}", ns, name);
            hubs.ensure(ns, name, runtime.serialSocket(ns, name));
            Optional<GuestRuntime.GuestStatus> g = runtime.status(ns, name);
            writeStatus(vmi, g.map(s -> PhaseMapping.phase(s, acpi(vmi))).orElse("Scheduled"), g.orElse(null),
                    null);
            return Duration.ofSeconds(1);
        } catch (GuestRuntime.GuestException e) {
            Duration retry = startBackoff.failed(uid, e.reason(), e.getMessage(), Instant.now());
            LOG.warn("guest {}/{} could not start (next try in {} s): {}", ns, name, retry.toSeconds(),
                    e.getMessage());
            syncFailure(vmi, e.reason(), e.getMessage());
            return retry;
        }
    }

    private Duration stop(ObjectNode vmi, Optional<GuestRuntime.GuestStatus> guest, boolean deleting, boolean fin) {
        String ns = KubeApi.ns(vmi);
        String name = KubeApi.name(vmi);
        String uid = KubeApi.uid(vmi);
        startBackoff.forget(uid);
        if (guest.isPresent() && guest.get().active()) {
            Instant deadline = shutdownDeadlines.get(uid);
            if (deadline == null) {
                agents.quiesce(ns, name, AGENT_QUIESCE);
                long grace = vmi.path("spec").path("terminationGracePeriodSeconds").asLong(DEFAULT_GRACE_S);
                shutdownDeadlines.put(uid, Instant.now().plusSeconds(grace));
                if (grace <= 0) {
                    LOG.info("destroying guest {}/{} (grace period 0)", ns, name);
                    runtime.kill(ns, name);
                } else {
                    LOG.info("shutting down guest {}/{} (ACPI; destroy after {} s)", ns, name, grace);
                    runtime.shutdown(ns, name);
                }
            } else if (Instant.now().isAfter(deadline)) {
                agents.quiesce(ns, name, AGENT_QUIESCE);
                LOG.info("guest {}/{} did not shut down within its grace period: destroying it", ns, name);
                runtime.kill(ns, name);
            }
            return Duration.ofMillis(500);
        }
        shutdownDeadlines.remove(uid);
        agents.forget(ns, name);
        if (guest.isPresent()) {
            if (!fin) {
                String mapped = PhaseMapping.phase(guest.get(), acpi(vmi));
                if (!writeStatus(vmi, mapped == null ? "Succeeded" : mapped, guest.get(), null)) {
                    // our copy of the VMI was stale: the final phase must be recorded before the guest's traces go
                    return Duration.ofMillis(200);
                }
            }
            runtime.cleanup(ns, name);
            hubs.close(ns, name);
            LOG.info("guest {}/{} stopped and cleaned up", ns, name);
        }
        if (deleting) {
            api.removeFinalizer(Kind.VIRTUAL_MACHINE_INSTANCE, vmi, NODE_FINALIZER);
        }
        return null;
    }

    private static boolean acpi(JsonNode vmi) {
        JsonNode acpi = vmi.path("spec").path("domain").path("features").path("acpi");
        return acpi.isMissingNode() || acpi.path("enabled").asBoolean(true);
    }

    /** A Secret's data in the VMI's namespace, decoded (cloud-init secretRef / networkDataSecretRef). */
    private Map<String, String> secret(String ns, String secretName) {
        ObjectNode secret = api.get(Kind.SECRET, ns, secretName).orElseThrow(() -> new GuestRuntime.GuestException(
                "FailedSecretNotFound", "secret \"" + secretName + "\" referenced by the VMI does not exist in namespace "
                + ns, null));
        Map<String, String> out = new HashMap<>();
        secret.path("data").fields().forEachRemaining(e -> out.put(e.getKey(),
                new String(java.util.Base64.getDecoder().decode(e.getValue().asText()),
                        java.nio.charset.StandardCharsets.UTF_8)));
        secret.path("stringData").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** The phase, conditions, interfaces and guest OS the node reports (the agent parts from the poller). */
    /**
     * Writes the VMI's phase, conditions and guest information, if they changed, as a status patch guarded by the
     * resourceVersion of {@code vmi}.
     *
     * @return false when the write was refused because {@code vmi} is no longer the current version (its informer
     *         brings the newer one, which is reconciled again), true when written or nothing changed
     */
    private boolean writeStatus(ObjectNode vmi, String phase, GuestRuntime.GuestStatus g, String failure) {
        JsonNode status = vmi.path("status");
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        boolean running = phase.equals("Running");
        boolean paused = g != null && g.state().equals("paused");
        Map<String, ObjectNode> conds = new HashMap<>();
        for (JsonNode c : status.path("conditions")) {
            conds.put(c.path("type").asText(), (ObjectNode) c.deepCopy());
        }
        conds.put("Ready", condition("Ready", running && !paused, running ? (paused ? "Paused" : "") : "NotRunning",
                failure != null ? failure : running ? "" : "the guest is not running", conds.get("Ready"), now));
        if (paused) {
            conds.put("Paused", condition("Paused", true, "PausedByUser", "VMI was paused by user",
                    conds.get("Paused"), now));
        } else {
            conds.remove("Paused");
        }
        if (!runtime.kvm()) {
            conds.put("SoftwareEmulation", condition("SoftwareEmulation", true, "KvmUnusable",
                    "KVM is not usable on this node: the guest runs under software emulation (QEMU TCG)",
                    conds.get("SoftwareEmulation"), now));
        }
        conds.remove("Synchronized");
        Optional<GuestAgentPoller.Snapshot> agent = running ? agents.snapshot(KubeApi.ns(vmi), KubeApi.name(vmi))
                : Optional.empty();
        if (agent.isPresent() && agent.get().connected()) {
            // as virt-handler: True while libvirt reports the agent channel connected, removed otherwise
            conds.put("AgentConnected", condition("AgentConnected", true, null, null, conds.get("AgentConnected"),
                    now));
        } else {
            conds.remove("AgentConnected");
        }
        ArrayNode arr = patch.putArray("conditions");
        conds.keySet().stream().sorted().forEach(k -> arr.add(conds.get(k)));
        agent.ifPresent(a -> {
            patch.set("interfaces", GuestAgentMapping.interfaces(a.nics(), a.interfaces(), USER_NET_GUEST_IP));
            if (a.osInfo() != null) {
                patch.set("guestOSInfo", GuestAgentMapping.guestOsInfo(a.osInfo()));
            }
        });
        boolean transition = !phase.equals(status.path("phase").asText(""));
        if (transition) {
            VmiPhases.transition(vmi, phase, patch);
            if (failure != null) {
                patch.put("reason", failure);
            }
        }
        if (!transition && sameConditions(status.path("conditions"), arr)
                && unchanged(patch, status, "interfaces") && unchanged(patch, status, "guestOSInfo")) {
            return true;
        }
        if (!patchStatus(vmi, patch)) {
            return false;
        }
        if (transition) {
            LOG.info("VMI {}/{}: {} → {}", KubeApi.ns(vmi), KubeApi.name(vmi), status.path("phase").asText(""), phase);
        }
        return true;
    }

    private void syncFailure(ObjectNode vmi, String reason, String message) {
        for (JsonNode c : vmi.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Synchronized") && c.path("reason").asText().equals(reason)
                    && c.path("message").asText().equals(message)) {
                return; // already reported: rewriting it would only wake every watcher
            }
        }
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        ArrayNode arr = patch.putArray("conditions");
        for (JsonNode c : vmi.path("status").path("conditions")) {
            if (!c.path("type").asText().equals("Synchronized")) {
                arr.add(c);
            }
        }
        ObjectNode c = arr.addObject();
        c.put("type", "Synchronized");
        c.put("status", "False");
        c.put("reason", reason);
        c.put("message", message);
        c.putNull("lastProbeTime");
        c.put("lastTransitionTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        patchStatus(vmi, patch);
    }

    private static ObjectNode condition(String type, boolean status, String reason, String message, ObjectNode old,
                                        String now) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("type", type);
        c.put("status", status ? "True" : "False");
        if (reason != null && !reason.isEmpty()) {
            c.put("reason", reason);
        }
        if (message != null && !message.isEmpty()) {
            c.put("message", message);
        }
        c.putNull("lastProbeTime");
        boolean same = old != null && old.path("status").asText().equals(c.path("status").asText());
        c.put("lastTransitionTime", same && old.hasNonNull("lastTransitionTime")
                ? old.get("lastTransitionTime").asText() : now);
        return c;
    }

    /** Whether the patch leaves {@code field} as the status has it (absent from the patch, or equal). */
    private static boolean unchanged(ObjectNode patch, JsonNode status, String field) {
        return !patch.has(field) || patch.get(field).equals(status.path(field));
    }

    private static boolean sameConditions(JsonNode a, JsonNode b) {
        if (a.size() != b.size()) {
            return false;
        }
        Map<String, JsonNode> byType = new HashMap<>();
        a.forEach(c -> byType.put(c.path("type").asText(), c));
        for (JsonNode c : b) {
            JsonNode o = byType.get(c.path("type").asText());
            if (o == null || !o.path("status").equals(c.path("status")) || !o.path("reason").equals(c.path("reason"))
                    || !o.path("message").equals(c.path("message"))) {
                return false;
            }
        }
        return true;
    }

    /**
     * A status patch that applies only to the version {@code vmi} is (whole arrays such as the conditions are
     * replaced, so a write from a stale copy would drop what others wrote since).
     *
     * @return false when refused: the VMI changed meanwhile, or is gone
     */
    private boolean patchStatus(ObjectNode vmi, ObjectNode patch) {
        return api.patchStatusIfUnchanged(Kind.VIRTUAL_MACHINE_INSTANCE, vmi, patch).isPresent();
    }

    /** Whether the guest of a VMI is still running on this node (the pod runner waits for it before a pod goes). */
    public boolean guestActive(String ns, String name) {
        return runtime.status(ns, name).map(GuestRuntime.GuestStatus::active).orElse(false);
    }

    @Override
    public void close() {
        agents.close();
        loop.close();
        if (vmis != null) {
            vmis.close();
        }
    }
}
