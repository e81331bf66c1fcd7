package io.jvirt.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.controller.config.ClusterConfigSource;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.controller.vm.VmController;
import io.jvirt.controller.vmi.VmiController;

import java.util.function.BiFunction;

/**
 * Runs the cluster-wide controllers (virt-controller's part) against any Kubernetes API: the live cluster
 * configuration, the VM controller and the VMI controller (scheduling and launcher pods).
 */
public final class ControllerManager implements AutoCloseable {
    private final ClusterConfigSource config;
    private final VmController vms;
    private final VmiController vmis;

    /**
     * @param installNamespace where the KubeVirt CR and the legacy kubevirt-config ConfigMap live
     * @param podResources     the launcher pod's compute resources for a VMI under a cluster configuration
     */
    public ControllerManager(KubeApi api, String installNamespace,
                             BiFunction<JsonNode, io.jvirt.api.kubevirt.ClusterConfig, ObjectNode> podResources) {
        this.config = new ClusterConfigSource(api, installNamespace);
        this.vms = new VmController(api);
        this.vmis = new VmiController(api, vmi -> podResources.apply(vmi, config.get()));
    }

    public ClusterConfigSource config() {
        return config;
    }

    public void start() {
        config.start();
        vmis.start();
        vms.start();
    }

    @Override
    public void close() {
        vms.close();
        vmis.close();
        config.close();
    }
}
