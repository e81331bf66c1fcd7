package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every phase each VMI went through, as a watch saw it (an informer): phases that last only an instant (a Failed
 * VMI that the VM controller replaces at once) are seen too, which polling could miss.
 */
final class VmiHistory implements AutoCloseable {
    /** uid → (name, phases in order, "deleted" last once gone). */
    private final Map<String, Entry> byUid = new LinkedHashMap<>();
    private final SharedIndexInformer<GenericKubernetesResource> informer;

    record Entry(String name, List<String> phases) {
    }

    VmiHistory(KubernetesClient client) {
        informer = client.genericKubernetesResources("kubevirt.io/v1", "VirtualMachineInstance").inAnyNamespace()
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(GenericKubernetesResource obj) {
                        record(obj, null);
                    }

                    @Override
                    public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                        record(newObj, null);
                    }

                    @Override
                    public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
                        record(obj, "deleted");
                    }
                });
    }

    private synchronized void record(GenericKubernetesResource obj, String event) {
        JsonNode o = PlatformE2E.tree(obj);
        String uid = o.path("metadata").path("uid").asText();
        Entry e = byUid.computeIfAbsent(uid, u -> new Entry(o.path("metadata").path("name").asText(),
                new ArrayList<>()));
        String phase = event != null ? event : o.path("status").path("phase").asText("");
        if (phase.isEmpty()) {
            phase = "(none)";
        }
        if (e.phases().isEmpty() || !e.phases().getLast().equals(phase)) {
            e.phases().add(phase);
        }
    }

    synchronized List<String> phases(String uid) {
        Entry e = byUid.get(uid);
        return e == null ? List.of() : List.copyOf(e.phases());
    }

    synchronized String describe() {
        StringBuilder b = new StringBuilder();
        byUid.forEach((uid, e) -> b.append(e.name()).append(' ').append(uid).append(": ").append(e.phases())
                .append('\n'));
        return b.toString();
    }

    @Override
    public void close() {
        informer.close();
    }
}
