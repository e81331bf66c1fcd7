package io.jvirt.controller.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.jvirt.api.kubevirt.InstancetypeRefs;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;

import java.util.Optional;

/**
 * Captures the instancetype and preference a VM first starts with, as KubeVirt does: a ControllerRevision owned by
 * the VM holds a copy of the object, and {@code status.instancetypeRef} / {@code status.preferenceRef} name it, so
 * later edits of the instancetype never change an existing VM.
 */
final class InstancetypeRevisions {
    private final KubeApi api;

    InstancetypeRevisions(KubeApi api) {
        this.api = api;
    }

    /** The captured spec, capturing it now if needed; empty when the VM has no such matcher. */
    Optional<JsonNode> spec(ObjectNode vm, boolean preference) {
        Optional<InstancetypeRefs.Target> t = InstancetypeRefs.of(vm, preference);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        String ns = KubeApi.ns(vm);
        String refField = preference ? "preferenceRef" : "instancetypeRef";
        String revName = vm.path("status").path(refField).path("controllerRevisionRef").path("name").asText("");
        if (!revName.isEmpty()) {
            Optional<ObjectNode> rev = api.get(Kind.CONTROLLER_REVISION, ns, revName);
            if (rev.isPresent()) {
                return Optional.of(rev.get().path("data").path("spec"));
            }
        }
        InstancetypeRefs.Target target = t.get();
        ObjectNode obj = api.get(InstancetypeRefs.GROUP, InstancetypeRefs.VERSION, target.kind(), target.plural(),
                !target.clusterScoped(), ns, target.name())
                .orElseThrow(() -> new IllegalStateException("Failure to find " + (preference ? "preference" : "instancetype")
                        + ": " + target.qualified() + " \"" + target.name() + "\" not found"));
        String name = KubeApi.name(vm) + "-" + target.name() + "-" + obj.path("metadata").path("uid").asText()
                .substring(0, 8) + "-" + obj.path("metadata").path("generation").asText("1");
        ObjectNode rev = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = rev.putObject("metadata");
        meta.put("name", name);
        meta.put("namespace", ns);
        meta.putObject("labels").put("instancetype.kubevirt.io/object-kind", target.kind());
        meta.putArray("ownerReferences").add(KubeApi.controllerRef(vm, "kubevirt.io/v1", "VirtualMachine"));
        ObjectNode data = obj.deepCopy();
        ((ObjectNode) data.path("metadata")).remove("managedFields");
        rev.set("data", data);
        rev.put("revision", 1);
        try {
            api.create(Kind.CONTROLLER_REVISION, ns, rev);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        ObjectNode r = status.putObject(refField);
        r.put("name", target.name());
        r.put("kind", target.kind());
        r.putObject("controllerRevisionRef").put("name", name);
        api.patchStatus(Kind.VIRTUAL_MACHINE, ns, KubeApi.name(vm), status);
        return Optional.of(obj.path("spec"));
    }
}
