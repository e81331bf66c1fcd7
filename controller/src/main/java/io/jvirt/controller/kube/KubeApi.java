package io.jvirt.controller.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The controllers' and node agent's whole view of the platform: the Kubernetes API through fabric8, with objects
 * as Jackson trees (the same JSON the API stores, unknown fields and all). Nothing here knows whether the server
 * is jvirt's embedded one or a real kube-apiserver.
 */
public final class KubeApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;

    public KubeApi(KubernetesClient client) {
        this.client = client;
    }

    public KubernetesClient client() {
        return client;
    }

    private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> ops(Kind kind, String namespace) {
        var all = client.genericKubernetesResources(kind.context);
        return kind.namespaced ? all.inNamespace(namespace) : all;
    }

    public static ObjectNode tree(GenericKubernetesResource r) {
        return r == null ? null : JSON.valueToTree(r);
    }

    private GenericKubernetesResource resource(JsonNode tree) {
        return JSON.convertValue(tree, GenericKubernetesResource.class);
    }

    public Optional<ObjectNode> get(Kind kind, String namespace, String name) {
        return Optional.ofNullable(tree(ops(kind, namespace).withName(name).get()));
    }

    /** Any resource by group/version/plural (for kinds not in {@link Kind}, e.g. instancetypes). */
    public Optional<ObjectNode> get(String group, String version, String kind, String plural, boolean namespaced,
                                    String namespace, String name) {
        var ctx = new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
                .withGroup(group).withVersion(version).withKind(kind).withPlural(plural).withNamespaced(namespaced)
                .build();
        var all = client.genericKubernetesResources(ctx);
        var r = namespaced ? all.inNamespace(namespace).withName(name).get() : all.withName(name).get();
        return Optional.ofNullable(tree(r));
    }

    public List<ObjectNode> list(Kind kind, String namespace) {
        var all = client.genericKubernetesResources(kind.context);
        var list = kind.namespaced && namespace == null ? all.inAnyNamespace().list() : ops(kind, namespace).list();
        return list.getItems().stream().map(KubeApi::tree).toList();
    }

    public ObjectNode create(Kind kind, String namespace, ObjectNode object) {
        object.put("apiVersion", kind.apiVersion());
        object.put("kind", kind.kind);
        return tree(ops(kind, namespace).resource(resource(object)).create());
    }

    /** JSON merge patch of the main resource. */
    public ObjectNode patch(Kind kind, String namespace, String name, ObjectNode mergePatch) {
        return tree(ops(kind, namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch.toString()));
    }

    /** JSON merge patch of the status subresource; {@code statusPatch} is the patch of {@code status} itself. */
    public ObjectNode patchStatus(Kind kind, String namespace, String name, ObjectNode statusPatch) {
        ObjectNode patch = JSON.createObjectNode();
        patch.set("status", statusPatch);
        return tree(ops(kind, namespace).withName(name).subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString()));
    }

    /**
     * JSON merge patch of the status subresource that applies only to the version of the object it was computed
     * from: the patch carries {@code current}'s resourceVersion, a precondition for the API server.
     *
     * @return the patched object, or empty when the object changed since (409 Conflict; its informer will deliver
     *         the newer version) or is gone (404)
     */
    public Optional<ObjectNode> patchStatusIfUnchanged(Kind kind, JsonNode current, ObjectNode statusPatch) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("metadata").put("resourceVersion", current.path("metadata").path("resourceVersion").asText());
        patch.set("status", statusPatch);
        try {
            return Optional.of(tree(ops(kind, ns(current)).withName(name(current)).subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString())));
        } catch (KubernetesClientException e) {
            if (raced(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** JSON patch (RFC 6902) of the main resource, e.g. with a {@code test} of resourceVersion. */
    public ObjectNode jsonPatch(Kind kind, String namespace, String name, JsonNode ops) {
        return tree(ops(kind, namespace).withName(name).patch(PatchContext.of(PatchType.JSON), ops.toString()));
    }

    /**
     * Removes one finalizer from {@code obj} with a JSON patch that first tests the resourceVersion, so a
     * concurrent change (another component removing its own finalizer) is never overwritten; on such a race, or
     * when the object is gone, nothing is written and false is returned (the informer brings the new version and
     * the caller looks again).
     */
    public boolean removeFinalizer(Kind kind, JsonNode obj, String finalizer) {
        com.fasterxml.jackson.databind.node.ArrayNode kept = JSON.createArrayNode();
        boolean had = false;
        for (JsonNode f : obj.path("metadata").path("finalizers")) {
            if (f.asText().equals(finalizer)) {
                had = true;
            } else {
                kept.add(f);
            }
        }
        if (!had) {
            return false;
        }
        com.fasterxml.jackson.databind.node.ArrayNode ops = opsIfUnchanged(obj);
        ObjectNode replace = ops.addObject();
        replace.put("op", "replace");
        replace.put("path", "/metadata/finalizers");
        replace.set("value", kept);
        try {
            jsonPatch(kind, ns(obj), name(obj), ops);
            return true;
        } catch (KubernetesClientException e) {
            if (raced(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The start of a JSON patch (RFC 6902) that applies only to the version of {@code obj} it was computed from: a
     * {@code test} of its resourceVersion. Add the changes after it.
     */
    public static com.fasterxml.jackson.databind.node.ArrayNode opsIfUnchanged(JsonNode obj) {
        com.fasterxml.jackson.databind.node.ArrayNode ops = JSON.createArrayNode();
        ObjectNode test = ops.addObject();
        test.put("op", "test");
        test.put("path", "/metadata/resourceVersion");
        test.put("value", obj.path("metadata").path("resourceVersion").asText());
        return ops;
    }

    /**
     * Whether a write guarded by a resourceVersion failed because the object changed meanwhile (409; 422 for a failed
     * JSON patch test) or is gone (404): the informer brings the new state and the caller looks again.
     */
    public static boolean raced(KubernetesClientException e) {
        return e.getCode() == 404 || e.getCode() == 409 || e.getCode() == 422;
    }

    /**
     * Records a core/v1 Event about {@code obj} (what {@code kubectl describe} shows). Best effort: an event that
     * cannot be written is not worth failing a reconcile for.
     */
    public void event(JsonNode obj, String type, String reason, String message, String component) {
        ObjectNode ev = JSON.createObjectNode();
        ObjectNode meta = ev.putObject("metadata");
        meta.put("generateName", name(obj) + ".");
        meta.put("namespace", ns(obj));
        ObjectNode ref = ev.putObject("involvedObject");
        ref.put("apiVersion", obj.path("apiVersion").asText());
        ref.put("kind", obj.path("kind").asText());
        ref.put("name", name(obj));
        ref.put("namespace", ns(obj));
        ref.put("uid", uid(obj));
        ev.put("type", type);
        ev.put("reason", reason);
        ev.put("message", message);
        ev.putObject("source").put("component", component);
        String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        ev.put("firstTimestamp", now);
        ev.put("lastTimestamp", now);
        ev.put("count", 1);
        try {
            create(Kind.EVENT, ns(obj), ev);
        } catch (KubernetesClientException e) {
            // best effort (see above)
        }
    }

    /** JSON patch (RFC 6902) of the status subresource; paths are from the object's root. */
    public ObjectNode jsonPatchStatus(Kind kind, String namespace, String name, JsonNode ops) {
        return tree(ops(kind, namespace).withName(name).subresource("status")
                .patch(PatchContext.of(PatchType.JSON), ops.toString()));
    }

    /** Replaces the status (optimistic concurrency on the object's resourceVersion). */
    public ObjectNode updateStatus(Kind kind, String namespace, ObjectNode object) {
        return tree(ops(kind, namespace).resource(resource(object)).updateStatus());
    }

    /** Deletes with background propagation; false when it was already gone. */
    public boolean delete(Kind kind, String namespace, String name) {
        try {
            return !ops(kind, namespace).withName(name).delete().isEmpty();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes immediately (grace period 0), as a kubelet confirms a pod's termination. */
    public boolean deleteNow(Kind kind, String namespace, String name) {
        try {
            return !ops(kind, namespace).withName(name).withGracePeriod(0).delete().isEmpty();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Starts an informer over all namespaces, calling {@code onChange} with (namespace, name) of every change. */
    public SharedIndexInformer<GenericKubernetesResource> inform(Kind kind, ObjectHandler onChange) {
        var all = client.genericKubernetesResources(kind.context);
        ResourceEventHandler<GenericKubernetesResource> h = new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource obj) {
                onChange.changed(tree(obj), null);
            }

            @Override
            public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
                onChange.changed(tree(newObj), tree(oldObj));
            }

            @Override
            public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
                onChange.changed(tree(obj), tree(obj));
            }
        };
        return kind.namespaced ? all.inAnyNamespace().inform(h, 0) : all.inform(h, 0);
    }

    /** Receives informer changes: the current object and, for updates and deletes, the previous one. */
    @FunctionalInterface
    public interface ObjectHandler {
        void changed(ObjectNode object, ObjectNode previous);
    }

    public static String ns(JsonNode obj) {
        return obj.path("metadata").path("namespace").asText(null);
    }

    public static String name(JsonNode obj) {
        return obj.path("metadata").path("name").asText();
    }

    public static String uid(JsonNode obj) {
        return obj.path("metadata").path("uid").asText();
    }

    /** The ownerReference that makes {@code owner} the controller of a dependent (GC cascades from it). */
    public static ObjectNode controllerRef(JsonNode owner, String apiVersion, String kind) {
        ObjectNode ref = JSON.createObjectNode();
        ref.put("apiVersion", apiVersion);
        ref.put("kind", kind);
        ref.put("name", name(owner));
        ref.put("uid", uid(owner));
        ref.put("controller", true);
        ref.put("blockOwnerDeletion", true);
        return ref;
    }

    public static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** Runs {@code action}, treating 404 (already gone) and 409 (someone else changed it; we will be requeued) as done. */
    public static void tolerant(Runnable action, Consumer<KubernetesClientException> onOther) {
        try {
            action.run();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                onOther.accept(e);
            }
        }
    }
}
