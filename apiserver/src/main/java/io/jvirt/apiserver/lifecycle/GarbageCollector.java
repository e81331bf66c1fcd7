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
import io.jvirt.apiserver.store.ObjectKey;
import io.jvirt.apiserver.store.StoredObject;
import io.jvirt.apiserver.store.WatchEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Kubernetes' garbage collector for ownerReferences: dependents whose owners are all gone are deleted
 * (background cascading); an owner deleted with {@code propagationPolicy=Foreground} carries the
 * {@code foregroundDeletion} finalizer until its dependents are gone; with {@code Orphan} it carries {@code orphan}
 * until the references to it are removed from its dependents. Owner existence is always checked against the store
 * by kind, name and uid, as the real collector does, so a dependent is never deleted on a stale index.
 */
public final class GarbageCollector extends EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    static final String FOREGROUND = "foregroundDeletion";
    static final String ORPHAN = "orphan";

    private final ObjectService service;
    private final Map<String, ResourceType> byStorageKey = new HashMap<>();
    /** owner uid → dependents referencing it; only touched on the loop thread. */
    private final Map<String, Set<ObjectKey>> dependents = new HashMap<>();
    private final Map<ObjectKey, Set<String>> ownersOf = new HashMap<>();

    public GarbageCollector(ObjectService service) {
        super(service.store(), "garbage-collector");
        this.service = service;
        for (ResourceType t : service.catalog().all()) {
            byStorageKey.put(t.storageKey(), t);
        }
    }

    @Override
    void resync() {
        dependents.clear();
        ownersOf.clear();
        List<ObjectNode> deleting = new ArrayList<>();
        List<ObjectKey> owned = new ArrayList<>();
        for (ResourceType rt : service.catalog().all()) {
            for (StoredObject so : service.store().list(rt.storageKey(), null, o -> true, null, 0).items()) {
                ObjectNode obj = Json.parseObject(so.json());
                index(so.key(), obj);
                if (obj.path("metadata").has("deletionTimestamp")) {
                    deleting.add(obj);
                }
                if (obj.path("metadata").path("ownerReferences").size() > 0) {
                    owned.add(so.key());
                }
            }
        }
        for (ObjectKey k : owned) {
            checkDependent(k);
        }
        for (ObjectNode o : deleting) {
            handleDeletingOwner(o);
        }
    }

    @Override
    void handle(WatchEvent ev) {
        ObjectKey key = ev.object().key();
        ObjectNode obj = Json.parseObject(ev.object().json());
        String uid = obj.path("metadata").path("uid").asText("");
        if (ev.type() == WatchEvent.Type.DELETED) {
            unindex(key);
            for (ObjectKey dep : new ArrayList<>(dependents.getOrDefault(uid, Set.of()))) {
                checkDependent(dep);
            }
            // a dependent going away may complete its owner's foreground deletion
            for (JsonNode ref : obj.path("metadata").path("ownerReferences")) {
                owner(key.namespace(), ref).ifPresent(this::handleDeletingOwner);
            }
            return;
        }
        index(key, obj);
        if (obj.path("metadata").path("ownerReferences").size() > 0 && ev.type() == WatchEvent.Type.ADDED) {
            checkDependent(key);
        }
        if (obj.path("metadata").has("deletionTimestamp")) {
            handleDeletingOwner(obj);
        }
    }

    private void index(ObjectKey key, ObjectNode obj) {
        unindex(key);
        Set<String> owners = new HashSet<>();
        for (JsonNode ref : obj.path("metadata").path("ownerReferences")) {
            String u = ref.path("uid").asText("");
            if (!u.isEmpty()) {
                owners.add(u);
                dependents.computeIfAbsent(u, x -> new HashSet<>()).add(key);
            }
        }
        if (!owners.isEmpty()) {
            ownersOf.put(key, owners);
        }
    }

    private void unindex(ObjectKey key) {
        Set<String> owners = ownersOf.remove(key);
        if (owners == null) {
            return;
        }
        for (String u : owners) {
            Set<ObjectKey> deps = dependents.get(u);
            if (deps != null) {
                deps.remove(key);
                if (deps.isEmpty()) {
                    dependents.remove(u);
                }
            }
        }
    }

    /** The live owner an ownerReference points at (same uid), if any. */
    private Optional<ObjectNode> owner(String dependentNamespace, JsonNode ref) {
        Optional<ResourceType> rt = service.catalog().findKind(ref.path("apiVersion").asText(),
                ref.path("kind").asText());
        if (rt.isEmpty()) {
            return Optional.empty();
        }
        StoredObject so = service.store().get(ObjectService.key(rt.get(), dependentNamespace,
                ref.path("name").asText()));
        if (so == null) {
            return Optional.empty();
        }
        ObjectNode o = Json.parseObject(so.json());
        return o.path("metadata").path("uid").asText().equals(ref.path("uid").asText()) ? Optional.of(o)
                : Optional.empty();
    }

    /** Deletes a dependent whose owners are all gone; drops references to owners that are gone when others remain. */
    private void checkDependent(ObjectKey key) {
        StoredObject so = service.store().get(key);
        if (so == null) {
            return;
        }
        ObjectNode obj = Json.parseObject(so.json());
        List<String> missing = new ArrayList<>();
        int known = 0;
        for (JsonNode ref : obj.path("metadata").path("ownerReferences")) {
            boolean resolvable = service.catalog().findKind(ref.path("apiVersion").asText(),
                    ref.path("kind").asText()).isPresent();
            if (!resolvable) {
                continue; // an owner kind we do not serve: never collect on its account
            }
            known++;
            if (owner(key.namespace(), ref).isEmpty()) {
                missing.add(ref.path("uid").asText());
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        ResourceType rt = byStorageKey.get(key.resource());
        int total = obj.path("metadata").path("ownerReferences").size();
        try {
            if (missing.size() == total && known == total) {
                if (!obj.path("metadata").has("deletionTimestamp")) {
                    LOG.info("deleting {} {}: all its owners are gone", rt.kind(), key.sortKey());
                    service.delete(rt, key.namespace(), key.name(), new DeleteOptions("Background", null,
                            obj.path("metadata").path("uid").asText(), null), RequestOptions.internal());
                }
            } else {
                removeOwnerRefs(rt, key, Set.copyOf(missing));
            }
        } catch (ApiException e) {
            if (e.code() != 404 && e.code() != 409) {
                throw e;
            }
        }
    }

    private void handleDeletingOwner(ObjectNode owner) {
        JsonNode meta = owner.path("metadata");
        if (!meta.has("deletionTimestamp")) {
            return;
        }
        List<String> fins = new ArrayList<>();
        meta.path("finalizers").forEach(f -> fins.add(f.asText()));
        String uid = meta.path("uid").asText();
        ResourceType rt = service.catalog().findKind(owner.path("apiVersion").asText(), owner.path("kind").asText())
                .orElse(null);
        if (rt == null) {
            return;
        }
        String ns = meta.path("namespace").asText("");
        String name = meta.path("name").asText();
        Set<ObjectKey> deps = new HashSet<>(dependents.getOrDefault(uid, Set.of()));
        try {
            if (fins.contains(ORPHAN)) {
                for (ObjectKey dep : deps) {
                    removeOwnerRefs(byStorageKey.get(dep.resource()), dep, Set.of(uid));
                }
                service.removeFinalizer(rt, ns, name, ORPHAN);
            } else if (fins.contains(FOREGROUND)) {
                boolean remaining = false;
                for (ObjectKey dep : deps) {
                    StoredObject so = service.store().get(dep);
                    if (so == null) {
                        continue;
                    }
                    remaining = true;
                    if (!Json.parseObject(so.json()).path("metadata").has("deletionTimestamp")) {
                        service.delete(byStorageKey.get(dep.resource()), dep.namespace(), dep.name(),
                                new DeleteOptions("Foreground", null, null, null), RequestOptions.internal());
                    }
                }
                if (!remaining) {
                    service.removeFinalizer(rt, ns, name, FOREGROUND);
                }
            }
        } catch (ApiException e) {
            if (e.code() != 404 && e.code() != 409) {
                throw e;
            }
        }
    }

    private void removeOwnerRefs(ResourceType rt, ObjectKey key, Set<String> uids) {
        service.modify(rt, key.namespace(), key.name(), null, obj -> {
            ObjectNode meta = (ObjectNode) obj.get("metadata");
            ArrayNode kept = Json.MAPPER.createArrayNode();
            boolean changed = false;
            for (JsonNode ref : meta.path("ownerReferences")) {
                if (uids.contains(ref.path("uid").asText())) {
                    changed = true;
                } else {
                    kept.add(ref);
                }
            }
            if (!changed) {
                return null;
            }
            if (kept.isEmpty()) {
                meta.remove("ownerReferences");
            } else {
                meta.set("ownerReferences", kept);
            }
            return obj;
        });
    }
}
