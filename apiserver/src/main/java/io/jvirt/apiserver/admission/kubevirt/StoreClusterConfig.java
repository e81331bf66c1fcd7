package io.jvirt.apiserver.admission.kubevirt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.kubevirt.ClusterConfig;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.store.ObjectKey;
import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.StoredObject;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The cluster configuration as stored: the KubeVirt CR {@code kubevirt/kubevirt} merged with the legacy ConfigMap
 * {@code kubevirt/kubevirt-config} ({@link ClusterConfig#from}); KubeVirt's defaults when neither exists. Parsed
 * again only when one of them changed (compared by resourceVersion). Thread-safe.
 */
public final class StoreClusterConfig implements Supplier<ClusterConfig> {
    public static final ObjectKey KUBEVIRT_CR = new ObjectKey("kubevirt.io/kubevirts", "kubevirt", "kubevirt");
    public static final ObjectKey LEGACY_CONFIGMAP = new ObjectKey("/configmaps", "kubevirt", "kubevirt-config");

    private record Cached(long crVersion, long cmVersion, ClusterConfig config) {
    }

    private final Store store;
    private final ObjectKey crKey;
    private final ObjectKey cmKey;
    private volatile Cached cached;

    public StoreClusterConfig(Store store) {
        this(store, KUBEVIRT_CR, LEGACY_CONFIGMAP);
    }

    public StoreClusterConfig(Store store, ObjectKey crKey, ObjectKey cmKey) {
        this.store = Objects.requireNonNull(store);
        this.crKey = Objects.requireNonNull(crKey);
        this.cmKey = Objects.requireNonNull(cmKey);
    }

    @Override
    public ClusterConfig get() {
        StoredObject cr = store.get(crKey);
        StoredObject cm = store.get(cmKey);
        long crv = cr == null ? -1 : cr.resourceVersion();
        long cmv = cm == null ? -1 : cm.resourceVersion();
        Cached c = cached;
        if (c != null && c.crVersion() == crv && c.cmVersion() == cmv) {
            return c.config();
        }
        ObjectNode crTree = cr == null ? null : Json.parseObject(cr.json());
        ObjectNode cmTree = cm == null ? null : Json.parseObject(cm.json());
        ClusterConfig config = ClusterConfig.from(crTree, cmTree);
        cached = new Cached(crv, cmv, config);
        return config;
    }
}
