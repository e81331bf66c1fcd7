package io.jvirt.controller.vm;

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

import io.jvirt.api.kubevirt.InstancetypeExpander;

import java.time.Duration;
import java.util.Optional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The VirtualMachine controller: keeps a VMI in existence (or not) per {@code spec.runStrategy} (or the deprecated
 * {@code spec.running}) and the start/stop requests in {@code status.stateChangeRequests}, backs off restarts of
 * VMIs that keep failing before they ever ran (CrashLoopBackOff), and writes the VM status KubeVirt shows.
 */
public final class VmController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmController.class);
    /** Finalizer the VM controller puts on the VMIs it creates (KubeVirt's name). */
    public static final String VMI_FINALIZER = "kubevirt.io/virtualMachineControllerFinalize";
    /** KubeVirt's start-failure back-off cap (vm.go): 300 s. */
    private static final long MAX_BACKOFF_S = 300;

    private final KubeApi api;
    private final ControllerLoop loop;
    private final InstancetypeRevisions revisions;
    private SharedIndexInformer<GenericKubernetesResource> vms;
    private SharedIndexInformer<GenericKubernetesResource> vmis;

    public VmController(KubeApi api) {
        this.api = api;
        this.loop = new ControllerLoop("vm-controller", this::reconcile);
        this.revisions = new InstancetypeRevisions(api);
    }

    public void start() {
        vms = api.inform(Kind.VIRTUAL_MACHINE, (o, prev) -> loop.enqueue(KubeApi.ns(o), KubeApi.name(o)));
        vmis = api.inform(Kind.VIRTUAL_MACHINE_INSTANCE, (o, prev) -> {
            for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
                if (ref.path("kind").asText().equals("VirtualMachine")) {
                    loop.enqueue(KubeApi.ns(o), ref.path("name").asText());
                }
            }
        });
        loop.start(2);
    }

    private ObjectNode cached(SharedIndexInformer<GenericKubernetesResource> inf, String ns, String name) {
        return KubeApi.tree(inf.getStore().getByKey(ns + "/" + name));
    }

    public static String runStrategy(JsonNode vm) {
        JsonNode spec = vm.path("spec");
        if (spec.hasNonNull("runStrategy")) {
            return spec.get("runStrategy").asText();
        }
        if (spec.has("running")) {
            return spec.path("running").asBoolean() ? "Always" : "Halted";
        }
        return "Halted";
    }

    Duration reconcile(String ns, String name) {
        ObjectNode vm = cached(vms, ns, name);
        if (vm == null) {
            // The VM is gone (deleted with background propagation): the garbage collector deletes its VMI, and no
            // other loop would release our finalizer from it, leaving the VMI (and its launcher pod) terminating
            // forever. Release it once the VMI is being deleted or finished.
            ObjectNode orphan = cached(vmis, ns, name);
            if (orphan != null && orphan.path("metadata").path("ownerReferences").findValuesAsText("kind")
                    .contains("VirtualMachine")) {
                releaseFinalizerIfDone(orphan);
            }
            return null;
        }
        ObjectNode vmi = cached(vmis, ns, name);
        if (vmi != null && !ownedBy(vmi, vm)) {
            vmi = null; // a VMI of the same name that this VM did not create: leave it alone
        }
        String strategy = runStrategy(vm);
        Instant now = Instant.now();
        Duration requeue = null;
        ArrayNode requests = vm.path("status").path("stateChangeRequests").isArray()
                ? ((ArrayNode) vm.path("status").path("stateChangeRequests")).deepCopy()
                : JsonNodeFactory.instance.arrayNode();
        boolean startRequested = VmStatusCalculator.hasRequest(vm, "Start");
        boolean stopRequested = VmStatusCalculator.hasRequest(vm, "Stop");
        boolean consumed = false; // the Start request (or every request, for strategies that ignore them)
        boolean stopConsumed = false;
        ObjectNode startFailure = vm.path("status").path("startFailure").isObject()
                ? ((ObjectNode) vm.path("status").path("startFailure")).deepCopy() : null;

        if (vmi != null) {
            releaseFinalizerIfDone(vmi);
            startFailure = trackStartFailure(vmi, startFailure, now);
        }

        if (VmStatusCalculator.deleting(vm)) {
            if (vmi != null && !VmStatusCalculator.deleting(vmi)) {
                deleteVmi(vmi, "the VirtualMachine is being deleted");
            }
        } else {
            boolean exists = vmi != null;
            boolean fin = VmStatusCalculator.isFinal(vmi);
            boolean vmiDeleting = VmStatusCalculator.deleting(vmi);
            // Requests are handled in order: a Stop first (restart is [Stop, Start]); its Start waits until the
            // stopped VMI is gone.
            boolean stopFirst = stopRequested && requests.path(0).path("action").asText().equals("Stop");
            if (stopFirst && exists && !vmiDeleting) {
                deleteVmi(vmi, "stop requested");
                stopConsumed = true;
            } else if (stopFirst && !exists) {
                stopConsumed = true;
            }
            if (!(stopFirst && exists) && !(exists && vmiDeleting && startRequested)) {
                switch (strategy) {
                    case "Always" -> {
                        if (exists && fin && !vmiDeleting) {
                            deleteVmi(vmi, "runStrategy Always: the VMI " + vmi.path("status").path("phase").asText()
                                    + ", starting a new one");
                        } else if (!exists) {
                            requeue = createUnlessBackingOff(vm, startFailure, now);
                        }
                        consumed |= startRequested;
                    }
                    case "RerunOnFailure" -> {
                        String phase = exists ? vmi.path("status").path("phase").asText("") : "";
                        if (exists && phase.equals("Failed") && !vmiDeleting) {
                            deleteVmi(vmi, "runStrategy RerunOnFailure: the VMI failed, starting a new one");
                        } else if (exists && phase.equals("Succeeded") && startRequested && !vmiDeleting) {
                            deleteVmi(vmi, "start requested");
                        } else if (!exists) {
                            requeue = createUnlessBackingOff(vm, startFailure, now);
                            consumed |= startRequested;
                        }
                    }
                    case "Once" -> {
                        if (!exists && !vm.path("status").path("created").asBoolean(false)
                                && vm.path("status").path("printableStatus").asText("").isEmpty()) {
                            createVmi(vm);
                        }
                        consumed |= startRequested;
                    }
                    case "Manual" -> {
                        if (startRequested) {
                            if (exists && fin && !vmiDeleting) {
                                deleteVmi(vmi, "start requested; removing the finished VMI first");
                            } else if (!exists) {
                                createVmi(vm);
                                consumed = true;
                            } else if (!fin && !vmiDeleting) {
                                consumed = true; // already running: the request is satisfied
                            }
                        }
                    }
                    case "Halted" -> {
                        if (exists && !vmiDeleting && !fin) {
                            deleteVmi(vmi, "runStrategy Halted");
                        }
                        consumed |= startRequested;
                    }
                    default -> LOG.warn("VM {}/{} has unknown runStrategy {}", ns, name, strategy);
                }
            }
        }
        if ((consumed || stopConsumed) && !requests.isEmpty()) {
            ArrayNode remaining = JsonNodeFactory.instance.arrayNode();
            if (!consumed) {
                for (int i = 1; i < requests.size(); i++) {
                    remaining.add(requests.get(i)); // only the leading Stop was acted on
                }
            }
            clearRequests(vm, remaining);
            requests = remaining;
        }
        writeStatus(vm, cached(vmis, ns, name), strategy, requests, startFailure, now);
        return requeue;
    }

    /**
     * Removes the requests this reconcile acted on, guarded by the VM's resourceVersion: the list is only ever
     * cleared from the version it was read in, so a request added meanwhile (or a reconcile working from a stale
     * cache) can neither be lost nor brought back. On a race nothing is written and the VM is looked at again.
     */
    private void clearRequests(ObjectNode vm, ArrayNode remaining) {
        ArrayNode ops = KubeApi.opsIfUnchanged(vm);
        ObjectNode change = ops.addObject();
        change.put("path", "/status/stateChangeRequests");
        if (remaining.isEmpty()) {
            change.put("op", "remove");
        } else {
            change.put("op", "replace");
            change.set("value", remaining);
        }
        try {
            api.jsonPatchStatus(Kind.VIRTUAL_MACHINE, KubeApi.ns(vm), KubeApi.name(vm), ops);
        } catch (KubernetesClientException e) {
            if (!KubeApi.raced(e)) {
                throw e;
            }
            loop.enqueueAfter(KubeApi.ns(vm), KubeApi.name(vm), Duration.ofMillis(200));
        }
    }

    private static boolean ownedBy(JsonNode vmi, JsonNode vm) {
        for (JsonNode ref : vmi.path("metadata").path("ownerReferences")) {
            if (ref.path("uid").asText().equals(KubeApi.uid(vm))) {
                return true;
            }
        }
        return false;
    }

    private Duration createUnlessBackingOff(ObjectNode vm, ObjectNode startFailure, Instant now) {
        if (startFailure != null && startFailure.has("retryAfterTimestamp")) {
            Instant retry = Instant.parse(startFailure.get("retryAfterTimestamp").asText());
            if (retry.isAfter(now)) {
                return Duration.between(now, retry).plusMillis(100);
            }
        }
        createVmi(vm);
        return null;
    }

    /**
     * KubeVirt's start-failure back-off: a VMI that failed without ever running counts a failure; the next start
     * waits {@code interval·n² + rand(0..interval/2)} s, interval = max(10, 300/30), capped at 300 s. A VMI that
     * reached Running resets the count.
     */
    private static ObjectNode trackStartFailure(JsonNode vmi, ObjectNode startFailure, Instant now) {
        boolean ran = vmi.path("status").path("phaseTransitionTimestamps").findValuesAsText("phase")
                .contains("Running") || vmi.path("status").path("phase").asText("").equals("Running");
        if (ran) {
            return null;
        }
        if (!vmi.path("status").path("phase").asText("").equals("Failed")) {
            return startFailure;
        }
        String uid = KubeApi.uid(vmi);
        if (startFailure != null && uid.equals(startFailure.path("lastFailedVMIUID").asText())) {
            return startFailure;
        }
        int count = startFailure == null ? 1 : startFailure.path("consecutiveFailCount").asInt(0) + 1;
        long interval = Math.max(10, MAX_BACKOFF_S / 30);
        long delay = Math.min(MAX_BACKOFF_S, interval * count * count
                + ThreadLocalRandom.current().nextLong(interval / 2 + 1));
        ObjectNode f = JsonNodeFactory.instance.objectNode();
        f.put("consecutiveFailCount", count);
        f.put("lastFailedVMIUID", uid);
        f.put("retryAfterTimestamp", now.plusSeconds(delay).truncatedTo(ChronoUnit.SECONDS).toString());
        return f;
    }

    private void createVmi(ObjectNode vm) {
        ObjectNode vmi = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = vmi.putObject("metadata");
        JsonNode tmeta = vm.path("spec").path("template").path("metadata");
        meta.put("name", KubeApi.name(vm));
        meta.put("namespace", KubeApi.ns(vm));
        ObjectNode labels = meta.putObject("labels");
        tmeta.path("labels").fields().forEachRemaining(e -> labels.set(e.getKey(), e.getValue()));
        labels.put("vm.kubevirt.io/name", KubeApi.name(vm));
        ObjectNode annotations = meta.putObject("annotations");
        tmeta.path("annotations").fields().forEachRemaining(e -> annotations.set(e.getKey(), e.getValue()));
        annotations.put("kubevirt.io/vm-generation", vm.path("metadata").path("generation").asText("1"));
        meta.putArray("ownerReferences").add(KubeApi.controllerRef(vm, "kubevirt.io/v1", "VirtualMachine"));
        meta.putArray("finalizers").add(VMI_FINALIZER);
        JsonNode templateSpec = vm.path("spec").path("template").path("spec");
        Optional<JsonNode> it = revisions.spec(vm, false);
        Optional<JsonNode> pref = revisions.spec(vm, true);
        if (it.isPresent() || pref.isPresent()) {
            InstancetypeExpander.Result expanded = InstancetypeExpander.expand(templateSpec, it.orElse(null),
                    pref.orElse(null), "spec.template.spec");
            if (!expanded.ok()) {
                throw new IllegalStateException(expanded.conflictMessage());
            }
            vmi.set("spec", expanded.spec());
        } else {
            vmi.set("spec", templateSpec.deepCopy());
        }
        try {
            api.create(Kind.VIRTUAL_MACHINE_INSTANCE, KubeApi.ns(vm), vmi);
            LOG.info("created VMI {}/{}", KubeApi.ns(vm), KubeApi.name(vm));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    private void deleteVmi(JsonNode vmi, String why) {
        LOG.info("deleting VMI {}/{}: {}", KubeApi.ns(vmi), KubeApi.name(vmi), why);
        api.delete(Kind.VIRTUAL_MACHINE_INSTANCE, KubeApi.ns(vmi), KubeApi.name(vmi));
    }

    /** Our finalizer only marks VMIs we manage; it goes once the VMI is finished or being deleted. */
    private void releaseFinalizerIfDone(JsonNode vmi) {
        if (!(VmStatusCalculator.deleting(vmi) || VmStatusCalculator.isFinal(vmi))) {
            return;
        }
        api.removeFinalizer(Kind.VIRTUAL_MACHINE_INSTANCE, vmi, VMI_FINALIZER);
    }

    private void writeStatus(ObjectNode vm, ObjectNode vmi, String strategy, ArrayNode requests,
                             ObjectNode startFailure, Instant now) {
        if (vmi != null && !ownedBy(vmi, vm)) {
            vmi = null;
        }
        String nowText = now.truncatedTo(ChronoUnit.SECONDS).toString();
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        // the requests we just consumed are gone; the ones we did not are kept for the next loop
        ObjectNode viewVm = vm.deepCopy();
        ((ObjectNode) viewVm.with("status")).set("stateChangeRequests", requests);
        if (startFailure != null) {
            ((ObjectNode) viewVm.with("status")).set("startFailure", startFailure);
        } else {
            ((ObjectNode) viewVm.with("status")).remove("startFailure");
        }
        status.put("printableStatus", VmStatusCalculator.printableStatus(viewVm, vmi, strategy, now));
        boolean created = vmi != null && !VmStatusCalculator.isFinal(vmi);
        status.put("created", created);
        status.put("ready", created && VmStatusCalculator.conditionTrue(vmi, "Ready"));
        status.set("conditions", VmStatusCalculator.conditions(vm, vmi, nowText));
        status.put("runStrategy", strategy);
        status.put("desiredGeneration", vm.path("metadata").path("generation").asLong(1));
        status.put("observedGeneration", vm.path("metadata").path("generation").asLong(1));
        if (startFailure == null) {
            status.putNull("startFailure");
        } else {
            status.set("startFailure", startFailure);
        }
        if (unchanged(vm.path("status"), status)) {
            return;
        }
        api.patchStatus(Kind.VIRTUAL_MACHINE, KubeApi.ns(vm), KubeApi.name(vm), status);
    }

    /** Whether applying the merge patch would change nothing (so no write, no event storm). */
    private static boolean unchanged(JsonNode current, ObjectNode patch) {
        for (var it = patch.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode cur = current.get(e.getKey());
            if (e.getValue().isNull()) {
                if (cur != null && !cur.isNull()) {
                    return false;
                }
            } else if (e.getKey().equals("conditions")) {
                if (cur == null || !stripTimes(cur).equals(stripTimes(e.getValue()))) {
                    return false;
                }
            } else if (!e.getValue().equals(cur)) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode stripTimes(JsonNode conditions) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (JsonNode c : conditions) {
            ObjectNode copy = ((ObjectNode) c).deepCopy();
            copy.remove("lastProbeTime");
            copy.remove("lastTransitionTime");
            out.add(copy);
        }
        return out;
    }

    @Override
    public void close() {
        loop.close();
        if (vms != null) {
            vms.close();
        }
        if (vmis != null) {
            vmis.close();
        }
    }
}
