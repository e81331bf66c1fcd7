package io.jvirt.apiserver.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.rest.DeleteOptions;
import io.jvirt.apiserver.rest.ObjectService;
import io.jvirt.apiserver.rest.RequestOptions;
import io.jvirt.apiserver.store.StoredObject;
import io.jvirt.apiserver.store.WatchEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The namespace controller: a deleted namespace (phase Terminating) has everything in it deleted; once it is
 * empty its {@code kubernetes} spec finalizer is removed and the namespace goes. Also creates the namespaces
 * that always exist ({@code default}, {@code kube-system}, {@code kube-public}, {@code kube-node-lease},
 * {@code kubevirt}).
 */
public final class NamespaceLifecycle extends EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceLifecycle.class);
    public static final List<String> SYSTEM_NAMESPACES = List.of("default", "kube-system", "kube-public",
            "kube-node-lease", "kubevirt");

    private final ObjectService service;
    private final ResourceType namespaces;

    public NamespaceLifecycle(ObjectService service) {
        super(service.store(), "namespace-lifecycle");
        this.service = service;
        this.namespaces = service.catalog().find("", "v1", "namespaces").orElseThrow();
    }

    /** Creates the always-present namespaces that do not exist yet. */
    public void ensureSystemNamespaces() {
        for (String ns : SYSTEM_NAMESPACES) {
            if (service.store().get(ObjectService.key(namespaces, "", ns)) == null) {
                ObjectNode o = Json.object();
                o.put("apiVersion", "v1");
                o.put("kind", "Namespace");
                ObjectNode meta = o.putObject("metadata");
                meta.put("name", ns);
                meta.putObject("labels").put("kubernetes.io/metadata.name", ns);
                try {
                    service.create(namespaces, null, o, RequestOptions.internal());
                } catch (ApiException e) {
                    if (e.code() != 409) {
                        throw e;
                    }
                }
            }
        }
    }

    @Override
    void resync() {
        for (StoredObject so : service.store().list(namespaces.storageKey(), null, o -> true, null, 0).items()) {
            ObjectNode ns = Json.parseObject(so.json());
            if (ns.path("metadata").has("deletionTimestamp")) {
                drain(so.key().name());
            }
        }
    }

    @Override
    void handle(WatchEvent ev) {
        if (ev.object().key().resource().equals(namespaces.storageKey())) {
            if (ev.type() != WatchEvent.Type.DELETED
                    && Json.parseObject(ev.object().json()).path("metadata").has("deletionTimestamp")) {
                drain(ev.object().key().name());
            }
            return;
        }
        String ns = ev.object().key().namespace();
        if (ev.type() == WatchEvent.Type.DELETED && !ns.isEmpty()) {
            StoredObject nsObj = service.store().get(ObjectService.key(namespaces, "", ns));
            if (nsObj != null && Json.parseObject(nsObj.json()).path("metadata").has("deletionTimestamp")) {
                drain(ns);
            }
        }
    }

    /** Deletes what is left in a terminating namespace; finalizes the namespace when nothing is. */
    private void drain(String ns) {
        boolean remaining = false;
        for (ResourceType rt : service.catalog().all()) {
            if (!rt.namespaced()) {
                continue;
            }
            for (StoredObject so : service.store().list(rt.storageKey(), ns, o -> true, null, 0).items()) {
                remaining = true;
                if (!Json.parseObject(so.json()).path("metadata").has("deletionTimestamp")) {
                    try {
                        service.delete(rt, ns, so.key().name(), new DeleteOptions("Background", 0L, null, null),
                                RequestOptions.internal());
                    } catch (ApiException e) {
                        if (e.code() != 404) {
                            throw e;
                        }
                    }
                }
            }
        }
        if (!remaining) {
            LOG.info("namespace {} is empty; finalizing it", ns);
            try {
                service.modify(namespaces, null, ns, null, obj -> {
                    ObjectNode spec = Json.with(obj, "spec");
                    // always written, even when already clear: the write is what removes a finalized namespace
                    JsonNode fins = spec.path("finalizers");
                    ArrayNode kept = Json.MAPPER.createArrayNode();
                    fins.forEach(f -> {
                        if (!f.asText().equals("kubernetes")) {
                            kept.add(f);
                        }
                    });
                    spec.set("finalizers", kept);
                    return obj;
                });
            } catch (ApiException e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
    }
}
