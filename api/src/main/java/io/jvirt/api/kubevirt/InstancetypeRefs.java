package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;
import java.util.Optional;

/**
 * How a VM's {@code spec.instancetype} / {@code spec.preference} matchers name their objects: KubeVirt accepts the
 * kind in any letter case and defaults to the cluster-wide kinds.
 */
public final class InstancetypeRefs {
    public static final String GROUP = "instancetype.kubevirt.io";
    public static final String VERSION = "v1beta1";

    private InstancetypeRefs() {
    }

    /** The object a matcher points at: plural resource name, whether it is cluster-scoped, and its name. */
    public record Target(String plural, boolean clusterScoped, String name, String kind) {
        public String qualified() {
            return plural + "." + GROUP;
        }
    }

    /** The instancetype ({@code preference=false}) or preference matcher of a VM, if it has one. */
    public static Optional<Target> of(JsonNode vm, boolean preference) {
        JsonNode m = vm.path("spec").path(preference ? "preference" : "instancetype");
        String name = m.path("name").asText("");
        if (name.isEmpty()) {
            return Optional.empty();
        }
        String kind = m.path("kind").asText("").toLowerCase(Locale.ROOT);
        boolean namespaced = preference ? kind.equals("virtualmachinepreference")
                : kind.equals("virtualmachineinstancetype");
        if (preference) {
            return Optional.of(namespaced
                    ? new Target("virtualmachinepreferences", false, name, "VirtualMachinePreference")
                    : new Target("virtualmachineclusterpreferences", true, name, "VirtualMachineClusterPreference"));
        }
        return Optional.of(namespaced
                ? new Target("virtualmachineinstancetypes", false, name, "VirtualMachineInstancetype")
                : new Target("virtualmachineclusterinstancetypes", true, name, "VirtualMachineClusterInstancetype"));
    }
}
