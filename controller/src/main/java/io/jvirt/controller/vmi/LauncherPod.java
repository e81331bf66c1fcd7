package io.jvirt.controller.vmi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.controller.kube.KubeApi;

/**
 * Renders the launcher Pod of a VMI (pure), as KubeVirt's template service does in spirit: name
 * {@code virt-launcher-<vmi>-xxxxx}, owned by the VMI, labelled {@code kubevirt.io=virt-launcher} and
 * {@code kubevirt.io/created-by=<vmi uid>}, one {@code compute} container carrying the computed resources, and
 * the node selectors KubeVirt requires. In embedded mode the node agent runs it (there is no per-VM process: the
 * pod is the VM's resource accounting and scheduling unit); in cluster mode the kubelet does.
 */
public final class LauncherPod {
    public static final String CREATED_BY = "kubevirt.io/created-by";
    public static final String APP_LABEL = "kubevirt.io";
    public static final String LAUNCHER = "virt-launcher";
    /** The image name of the compute container (jvirt runs no per-VM process; the name says so). */
    public static final String IMAGE = "jvirt.io/virt-launcher:embedded";

    private LauncherPod() {
    }

    /**
     * @param resources the compute container's {@code resources} ({@code requests}/{@code limits})
     * @param nodeName  the node chosen, or null to leave binding to a scheduler
     */
    public static ObjectNode render(JsonNode vmi, ObjectNode resources, String nodeName) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        String name = vmi.path("metadata").path("name").asText();
        String ns = vmi.path("metadata").path("namespace").asText();
        ObjectNode pod = f.objectNode();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata");
        meta.put("generateName", "virt-launcher-" + name + "-");
        meta.put("namespace", ns);
        ObjectNode labels = meta.putObject("labels");
        vmi.path("metadata").path("labels").fields().forEachRemaining(e -> {
            if (!e.getKey().startsWith("kubevirt.io/")) {
                labels.set(e.getKey(), e.getValue());
            }
        });
        // set after the VMI's labels, as KubeVirt's template service does: a VMI label must not override them
        labels.put(APP_LABEL, LAUNCHER);
        labels.put(CREATED_BY, vmi.path("metadata").path("uid").asText());
        labels.put("vm.kubevirt.io/name", name);
        ObjectNode ann = meta.putObject("annotations");
        ann.put("kubevirt.io/domain", name);
        JsonNode overhead = vmi.path("metadata").path("annotations").path("kubevirt.io/memory-overhead-bytes");
        if (!overhead.isMissingNode()) {
            ann.set("kubevirt.io/memory-overhead-bytes", overhead);
        }
        meta.putArray("ownerReferences").add(KubeApi.controllerRef(vmi, "kubevirt.io/v1", "VirtualMachineInstance"));
        ObjectNode spec = pod.putObject("spec");
        if (nodeName != null) {
            spec.put("nodeName", nodeName);
        }
        spec.put("restartPolicy", "Never");
        spec.put("terminationGracePeriodSeconds",
                vmi.path("spec").path("terminationGracePeriodSeconds").asLong(30) + 15);
        ObjectNode sel = spec.putObject("nodeSelector");
        vmi.path("spec").path("nodeSelector").fields().forEachRemaining(e -> sel.set(e.getKey(), e.getValue()));
        sel.put("kubevirt.io/schedulable", "true");
        sel.put("kubernetes.io/arch", vmi.path("spec").path("architecture").asText("amd64"));
        if (vmi.path("spec").path("domain").path("cpu").path("dedicatedCpuPlacement").asBoolean(false)) {
            sel.put("kubevirt.io/cpumanager", "true");
        }
        ObjectNode c = spec.putArray("containers").addObject();
        c.put("name", "compute");
        c.put("image", IMAGE);
        c.set("resources", resources);
        if (vmi.path("spec").has("tolerations")) {
            spec.set("tolerations", vmi.path("spec").path("tolerations").deepCopy());
        }
        if (vmi.path("spec").has("affinity")) {
            spec.set("affinity", vmi.path("spec").path("affinity").deepCopy());
        }
        return pod;
    }
}
