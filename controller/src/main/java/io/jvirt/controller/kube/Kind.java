package io.jvirt.controller.kube;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/** The kinds the controllers and the node agent read and write. */
public enum Kind {
    VIRTUAL_MACHINE("kubevirt.io", "v1", "VirtualMachine", "virtualmachines", true),
    VIRTUAL_MACHINE_INSTANCE("kubevirt.io", "v1", "VirtualMachineInstance", "virtualmachineinstances", true),
    KUBEVIRT("kubevirt.io", "v1", "KubeVirt", "kubevirts", true),
    POD("", "v1", "Pod", "pods", true),
    NODE("", "v1", "Node", "nodes", false),
    CONFIG_MAP("", "v1", "ConfigMap", "configmaps", true),
    SECRET("", "v1", "Secret", "secrets", true),
    EVENT("", "v1", "Event", "events", true),
    CONTROLLER_REVISION("apps", "v1", "ControllerRevision", "controllerrevisions", true);

    public final String group;
    public final String version;
    public final String kind;
    public final String plural;
    public final boolean namespaced;
    public final ResourceDefinitionContext context;

    Kind(String group, String version, String kind, String plural, boolean namespaced) {
        this.group = group;
        this.version = version;
        this.kind = kind;
        this.plural = plural;
        this.namespaced = namespaced;
        this.context = new ResourceDefinitionContext.Builder()
                .withGroup(group).withVersion(version).withKind(kind).withPlural(plural).withNamespaced(namespaced)
                .build();
    }

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }
}
