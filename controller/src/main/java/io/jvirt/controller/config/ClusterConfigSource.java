package io.jvirt.controller.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jvirt.api.kubevirt.ClusterConfig;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;

import java.util.function.Supplier;

/**
 * The live cluster configuration: the {@code KubeVirt} CR of the install namespace (its
 * {@code spec.configuration}) merged with the legacy {@code kubevirt-config} ConfigMap, re-read whenever either
 * changes, so changes take effect without a restart.
 */
public final class ClusterConfigSource implements Supplier<ClusterConfig>, AutoCloseable {
    public static final String LEGACY_CONFIG_MAP = "kubevirt-config";

    private final KubeApi api;
    private final String namespace;
    private volatile ClusterConfig current = ClusterConfig.defaults();
    private SharedIndexInformer<GenericKubernetesResource> crs;
    private SharedIndexInformer<GenericKubernetesResource> configMaps;

    public ClusterConfigSource(KubeApi api, String namespace) {
        this.api = api;
        this.namespace = namespace;
    }

    public void start() {
        crs = api.inform(Kind.KUBEVIRT, (o, p) -> refresh());
        configMaps = api.inform(Kind.CONFIG_MAP, (o, p) -> {
            if (LEGACY_CONFIG_MAP.equals(KubeApi.name(o))) {
                refresh();
            }
        });
        refresh();
    }

    private synchronized void refresh() {
        ObjectNode cr = null;
        if (crs != null) {
            cr = crs.getStore().list().stream().map(KubeApi::tree)
                    .filter(o -> namespace.equals(KubeApi.ns(o)))
                    .filter(o -> !o.path("metadata").has("deletionTimestamp"))
                    .findFirst().orElse(null);
        }
        ObjectNode cm = configMaps == null ? null
                : KubeApi.tree(configMaps.getStore().getByKey(namespace + "/" + LEGACY_CONFIG_MAP));
        current = ClusterConfig.from(cr, cm);
    }

    @Override
    public ClusterConfig get() {
        return current;
    }

    @Override
    public void close() {
        if (crs != null) {
            crs.close();
        }
        if (configMaps != null) {
            configMaps.close();
        }
    }
}
