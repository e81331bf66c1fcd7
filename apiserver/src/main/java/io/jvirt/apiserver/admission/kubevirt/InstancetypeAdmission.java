package io.jvirt.apiserver.admission.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.kubevirt.InstancetypeExpander;
import io.jvirt.api.kubevirt.InstancetypeRefs;
import io.jvirt.apiserver.admission.AdmissionPlugin;
import io.jvirt.apiserver.admission.AdmissionRequest;
import io.jvirt.apiserver.http.ApiException.Cause;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.store.ObjectKey;
import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.StoredObject;

import java.util.List;
import java.util.Optional;

/**
 * VM admission for {@code spec.instancetype} / {@code spec.preference}, as KubeVirt's VM admitter: the referenced
 * objects must exist, and the template must not set what the instancetype provides.
 */
public final class InstancetypeAdmission implements AdmissionPlugin {
    private final Store store;

    public InstancetypeAdmission(Store store) {
        this.store = store;
    }

    @Override
    public boolean handles(AdmissionRequest r) {
        return r.operation() != AdmissionRequest.Operation.DELETE && r.subresource() == null
                && r.resource().group().equals("kubevirt.io") && r.resource().plural().equals("virtualmachines");
    }

    @Override
    public void validate(AdmissionRequest r, List<Cause> causes, List<String> warnings) {
        JsonNode vm = r.object();
        String ns = vm.path("metadata").path("namespace").asText("");
        JsonNode itSpec = lookup(vm, false, ns, causes);
        JsonNode prefSpec = lookup(vm, true, ns, causes);
        if (itSpec == null && prefSpec == null) {
            return;
        }
        InstancetypeExpander.Result res = InstancetypeExpander.expand(vm.path("spec").path("template").path("spec"),
                itSpec, prefSpec, "spec.template.spec");
        if (!res.ok()) {
            causes.add(new Cause("FieldValueInvalid", res.conflicts().getFirst(), res.conflictMessage()));
        }
    }

    private JsonNode lookup(JsonNode vm, boolean preference, String ns, List<Cause> causes) {
        Optional<InstancetypeRefs.Target> t = InstancetypeRefs.of(vm, preference);
        if (t.isEmpty()) {
            return null;
        }
        InstancetypeRefs.Target target = t.get();
        StoredObject o = store.get(new ObjectKey(InstancetypeRefs.GROUP + "/" + target.plural(),
                target.clusterScoped() ? "" : ns, target.name()));
        if (o == null) {
            causes.add(new Cause("FieldValueNotFound", "spec." + (preference ? "preference" : "instancetype") + ".name",
                    "Failure to find " + (preference ? "preference" : "instancetype") + ": " + target.qualified()
                            + " \"" + target.name() + "\" not found"));
            return null;
        }
        return Json.parseObject(o.json()).path("spec");
    }
}
