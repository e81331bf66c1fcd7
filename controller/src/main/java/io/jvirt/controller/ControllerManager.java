package io.jvirt.controller;

import io.jvirt.api.kubevirt.MemoryOverhead;
import io.jvirt.api.kubevirt.PodResources;
import io.jvirt.controller.config.ClusterConfigSource;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.controller.node.NodeController;
import io.jvirt.controller.vm.VmController;
import io.jvirt.controller.vmi.VmiController;


/**
 * Runs the cluster-wide controllers (virt-controller's part) against any Kubernetes API: the live cluster
 * configuration, the VM controller and the VMI controller (scheduling and launcher pods).
 */
public final class ControllerManager implements AutoCloseable {
    private final ClusterConfigSource config;
    private final VmController vms;
    private final VmiController vmis;
    private final NodeController nodes;

    /** @param installNamespace where the KubeVirt CR and the legacy kubevirt-config ConfigMap live */
    public ControllerManager(KubeApi api, String installNamespace) {
        this.config = new ClusterConfigSource(api, installNamespace);
        this.vms = new VmController(api);
        this.vmis = new VmiController(api, vmi -> MemoryOverhead.ofVmi(vmi, config.get()),
                (vmi, overhead) -> PodResources.compute(vmi, config.get(), overhead));
        this.nodes = new NodeController(api, NodeController.STALE_AFTER);
    }

    public ClusterConfigSource config() {
        return config;
    }

    public void start() {
        config.start();
        vmis.start();
        vms.start();
        nodes.start();
    }

    @Override
    public void close() {
        nodes.close();
        vms.close();
        vmis.close();
        config.close();
    }
}
