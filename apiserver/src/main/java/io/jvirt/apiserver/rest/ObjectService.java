package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.admission.AdmissionChain;
import io.jvirt.apiserver.admission.AdmissionRequest;
import io.jvirt.apiserver.admission.AdmissionRequest.Operation;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.ApiException.Cause;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.patch.JsonMergePatch;
import io.jvirt.apiserver.patch.JsonPatch;
import io.jvirt.apiserver.patch.PatchException;
import io.jvirt.apiserver.patch.PatchMeta;
import io.jvirt.apiserver.patch.PatchType;
import io.jvirt.apiserver.patch.StrategicMergePatch;
import io.jvirt.apiserver.store.ObjectKey;
import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.StoreException;
import io.jvirt.apiserver.store.StoredObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The REST semantics of kube-apiserver's generic registry, for every kind: name generation and validation,
 * uid/creationTimestamp/generation/resourceVersion bookkeeping, the status subresource split, optimistic
 * concurrency, finalizers and graceful deletion, then admission, then the store. Used by the HTTP layer and by
 * in-process components (garbage collector, namespace lifecycle, bootstrap) alike.
 */
public final class ObjectService {
    /** Retries of a read-modify-write (patch, internal updates) when another writer got in between. */
    private static final int MAX_RETRIES = 16;
    /** Namespaces kube-apiserver refuses to delete. */
    private static final java.util.Set<String> UNDELETABLE_NAMESPACES = java.util.Set.of("default", "kube-system",
            "kube-public");

    private final Store store;
    private final ResourceCatalog catalog;
    private final AdmissionChain admission;

    public ObjectService(Store store, ResourceCatalog catalog, AdmissionChain admission) {
        this.store = store;
        this.catalog = catalog;
        this.admission = admission;
    }

    /** A write's outcome: the object as stored (or as it would be, for dry runs), HTTP code, and warnings. */
    public record Result(ObjectNode object, int code, List<String> warnings) {
    }

    public Store store() {
        return store;
    }

    public ResourceCatalog catalog() {
        return catalog;
    }

    public static ObjectKey key(ResourceType rt, String namespace, String name) {
        return new ObjectKey(rt.storageKey(), rt.namespaced() ? namespace : "", name);
    }

    public StoredObject get(ResourceType rt, String namespace, String name) {
        StoredObject o = store.get(key(rt, namespace, name));
        if (o == null) {
            throw ApiException.notFound(rt, name);
        }
        return o;
    }

    // ---------------------------------------------------------------------------------------------- create

    public Result create(ResourceType rt, String namespace, ObjectNode body, RequestOptions opts) {
        checkTypeMeta(rt, body);
        ObjectNode meta = Json.with(body, "metadata");
        String ns = resolveNamespace(rt, namespace, meta);
        String name = meta.path("name").asText("");
        if (name.isEmpty() && meta.hasNonNull("generateName")) {
            name = ObjectMetaRules.generateName(meta.get("generateName").asText());
            meta.put("name", name);
        }
        List<Cause> causes = new ArrayList<>(ObjectMetaRules.validateName(rt, name, "metadata.name"));
        ObjectMetaRules.validateLabelsAndAnnotations(meta, causes);
        if (!causes.isEmpty()) {
            throw ApiException.invalid(rt, name, causes);
        }
        if (rt.namespaced()) {
            requireActiveNamespace(rt, ns, name);
        }
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", ObjectMetaRules.now());
        meta.put("generation", 1);
        meta.remove("resourceVersion");
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        meta.remove("selfLink");
        initialStatus(rt, body);
        List<String> warnings = admission.admit(new AdmissionRequest(Operation.CREATE, rt, null, body, null,
                opts.user(), opts.dryRun(), opts.fieldValidation()));
        if (opts.dryRun()) {
            if (store.get(key(rt, ns, name)) != null) {
                throw ApiException.alreadyExists(rt, name);
            }
            return new Result(body, 201, warnings);
        }
        try {
            StoredObject stored = store.create(key(rt, ns, name), body);
            return new Result(Json.parseObject(stored.json()), 201, warnings);
        } catch (StoreException e) {
            throw translate(e, rt, name);
        }
    }

    private void initialStatus(ResourceType rt, ObjectNode body) {
        if (rt.plural().equals("namespaces") && rt.group().isEmpty()) {
            ObjectNode spec = Json.with(body, "spec");
            if (!spec.has("finalizers")) {
                spec.putArray("finalizers").add("kubernetes");
            }
            body.putObject("status").put("phase", "Active");
        } else if (rt.plural().equals("pods") && rt.group().isEmpty()) {
            ObjectNode status = body.putObject("status");
            status.put("phase", "Pending");
            status.put("qosClass", QosClass.of(body.path("spec")));
        } else if (rt.statusSubresource() && !rt.keepStatusOnCreate()) {
            body.remove("status");
        }
    }

    // ---------------------------------------------------------------------------------------------- update

    /** PUT: replace the object (or only its status when {@code subresource} is "status"). */
    public Result update(ResourceType rt, String namespace, String name, String subresource, ObjectNode body,
                         RequestOptions opts) {
        checkTypeMeta(rt, body);
        ObjectNode meta = Json.with(body, "metadata");
        String bodyName = meta.path("name").asText("");
        if (!bodyName.isEmpty() && !bodyName.equals(name)) {
            throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL ("
                    + name + ")");
        }
        String ns = resolveNamespace(rt, namespace, meta);
        long expected = parseResourceVersion(meta.path("resourceVersion").asText(""));
        StoredObject current = get(rt, ns, name);
        return write(rt, ns, name, subresource, current, Json.parseObject(current.json()), body,
                expected, opts);
    }

    /** PATCH: applies the patch to the current object and writes it, retrying when another writer got in between. */
    public Result patch(ResourceType rt, String namespace, String name, String subresource, PatchType type,
                        JsonNode patch, RequestOptions opts) {
        if (type == PatchType.APPLY_PATCH) {
            throw ApiException.unsupportedMediaType("server-side apply (application/apply-patch+yaml) is not supported"
                    + " by jvirt; use client-side `kubectl apply` (without --server-side), or a merge/JSON patch");
        }
        if (type == PatchType.STRATEGIC_MERGE_PATCH && !rt.strategicMerge()) {
            throw ApiException.unsupportedMediaType("the body of the request was in an unknown format - accepted media"
                    + " types include: application/json-patch+json, application/merge-patch+json, "
                    + "application/apply-patch+yaml (strategic merge patch is only for built-in kinds; "
                    + rt.qualifiedName() + " is a custom resource)");
        }
        return retry(rt, name, () -> {
            StoredObject current = get(rt, namespace, name);
            ObjectNode currentTree = Json.parseObject(current.json());
            ObjectNode patched;
            try {
                patched = switch (type) {
                    case JSON_PATCH -> JsonPatch.apply(currentTree, patch);
                    case MERGE_PATCH -> JsonMergePatch.apply(currentTree, patch);
                    case STRATEGIC_MERGE_PATCH -> StrategicMergePatch.apply(currentTree, patch,
                            PatchMeta.forKind(rt.apiVersion(), rt.kind()));
                    case APPLY_PATCH -> throw new IllegalStateException("handled above");
                };
            } catch (PatchException e) {
                throw new ApiException(e.code(), e.reason(), e.getMessage(), name, rt, List.of(), null);
            }
            if (patched == null || !patched.isObject()) {
                throw ApiException.badRequest("the patch did not produce an object");
            }
            // A resourceVersion in the patch is a precondition, as in kube-apiserver.
            long expected = 0;
            String patchedRv = patched.path("metadata").path("resourceVersion").asText("");
            if (!patchedRv.isEmpty() && !patchedRv.equals(Long.toString(current.resourceVersion()))) {
                throw ApiException.conflict(rt, name,
                        "the object has been modified; please apply your changes to the latest version and try again");
            }
            checkTypeMeta(rt, patched);
            String patchedName = patched.path("metadata").path("name").asText("");
            if (!patchedName.equals(name)) {
                throw ApiException.badRequest("metadata.name: Invalid value: \"" + patchedName
                        + "\": field is immutable (the patch may not change the name)");
            }
            return write(rt, current.key().namespace(), name, subresource, current, currentTree, patched,
                    expected, opts);
        });
    }

    /**
     * Internal read-modify-write for in-process components: {@code change} gets a copy of the current object and
     * returns the desired one (or null for "no change").
     */
    public Result modify(ResourceType rt, String namespace, String name, String subresource,
                         UnaryOperator<ObjectNode> change) {
        return retry(rt, name, () -> {
            StoredObject current = get(rt, namespace, name);
            ObjectNode currentTree = Json.parseObject(current.json());
            ObjectNode desired = change.apply(currentTree.deepCopy());
            if (desired == null) {
                return new Result(currentTree, 200, List.of());
            }
            return write(rt, current.key().namespace(), name, subresource, current, currentTree, desired,
                    0, RequestOptions.internal());
        });
    }

    private Result retry(ResourceType rt, String name, java.util.function.Supplier<Result> attempt) {
        for (int i = 0; ; i++) {
            try {
                return attempt.get();
            } catch (RetryableConflict c) {
                if (i >= MAX_RETRIES) {
                    throw ApiException.conflict(rt, name, "too many concurrent writers; try again");
                }
            }
        }
    }

    /** Signals that the object changed between our read and our write, without a user precondition. */
    private static final class RetryableConflict extends RuntimeException {
        RetryableConflict() {
            super(null, null, false, false);
        }
    }

    private Result write(ResourceType rt, String ns, String name, String subresource, StoredObject current,
                         ObjectNode currentTree, ObjectNode desired, long userExpectedRv, RequestOptions opts) {
        if (userExpectedRv != 0 && userExpectedRv != current.resourceVersion()) {
            throw ApiException.conflict(rt, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
        }
        boolean statusOnly = "status".equals(subresource);
        ObjectNode next;
        if (statusOnly) {
            next = currentTree.deepCopy();
            if (desired.has("status")) {
                next.set("status", desired.get("status"));
            } else {
                next.remove("status");
            }
        } else {
            next = desired;
            if (rt.statusSubresource()) {
                if (currentTree.has("status")) {
                    next.set("status", currentTree.get("status"));
                } else {
                    next.remove("status");
                }
            }
        }
        ObjectNode meta = Json.with(next, "metadata");
        ObjectNode curMeta = (ObjectNode) currentTree.get("metadata");
        // Fields the server owns or that are immutable after create.
        for (String f : List.of("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                "generation", "namespace", "name")) {
            if (curMeta.has(f)) {
                meta.set(f, curMeta.get(f));
            } else {
                meta.remove(f);
            }
        }
        meta.remove("selfLink");
        if (!statusOnly) {
            List<Cause> causes = new ArrayList<>();
            ObjectMetaRules.validateLabelsAndAnnotations(meta, causes);
            if (!causes.isEmpty()) {
                throw ApiException.invalid(rt, name, causes);
            }
            if (curMeta.has("deletionTimestamp") && addsFinalizer(curMeta, meta)) {
                throw new ApiException(422, "Invalid", rt.kind() + " \"" + name + "\" is invalid: metadata.finalizers:"
                        + " Forbidden: no new finalizers can be added if the object is being deleted", name, rt,
                        List.of(new Cause("FieldValueForbidden", "metadata.finalizers",
                                "Forbidden: no new finalizers can be added if the object is being deleted")), null);
            }
        }
        if (!ObjectMetaRules.specPart(next, rt.statusSubresource())
                .equals(ObjectMetaRules.specPart(currentTree, rt.statusSubresource()))) {
            meta.put("generation", curMeta.path("generation").asLong(1) + 1);
        }
        meta.put("resourceVersion", Long.toString(current.resourceVersion()));
        List<String> warnings = admission.admit(new AdmissionRequest(Operation.UPDATE, rt, subresource, next,
                currentTree, opts.user(), opts.dryRun(), opts.fieldValidation()));
        // The last finalizer removed from an object being deleted: the object goes (a namespace also waits
        // for its spec.finalizers, which the namespace lifecycle clears once the namespace is empty).
        boolean finalized = meta.has("deletionTimestamp") && finalizers(meta).isEmpty()
                && !(isNamespace(rt) && next.path("spec").path("finalizers").size() > 0);
        if (!finalized && next.equals(currentTree)) {
            return new Result(currentTree, 200, warnings); // no-op: kube does not bump the resourceVersion
        }
        if (opts.dryRun()) {
            return new Result(next, 200, warnings);
        }
        try {
            if (finalized) {
                StoredObject gone = store.delete(current.key(), current.resourceVersion());
                return new Result(Json.parseObject(gone.json()), 200, warnings);
            }
            StoredObject stored = store.update(current.key(), next, current.resourceVersion());
            return new Result(Json.parseObject(stored.json()), 200, warnings);
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.CONFLICT) {
                if (userExpectedRv != 0) {
                    throw translate(e, rt, name);
                }
                throw new RetryableConflict();
            }
            throw translate(e, rt, name);
        }
    }

    private static boolean addsFinalizer(ObjectNode oldMeta, ObjectNode newMeta) {
        List<String> old = finalizers(oldMeta);
        for (String f : finalizers(newMeta)) {
            if (!old.contains(f)) {
                return true;
            }
        }
        return false;
    }

    static List<String> finalizers(JsonNode meta) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : meta.path("finalizers")) {
            out.add(f.asText());
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- delete

    /**
     * DELETE. Objects without finalizers (after the propagation policy added its own) go at once; others get a
     * deletionTimestamp and go when the last finalizer is removed. Returns the object's last state.
     */
    public Result delete(ResourceType rt, String namespace, String name, DeleteOptions options, RequestOptions opts) {
        return retry(rt, name, () -> {
            StoredObject current = get(rt, namespace, name);
            ObjectNode tree = Json.parseObject(current.json());
            ObjectNode meta = (ObjectNode) tree.get("metadata");
            if (options.preconditionUid() != null && !options.preconditionUid().equals(meta.path("uid").asText())) {
                throw ApiException.conflict(rt, name, "Precondition failed: UID in precondition: "
                        + options.preconditionUid() + ", UID in object meta: " + meta.path("uid").asText());
            }
            if (options.preconditionResourceVersion() != null
                    && !options.preconditionResourceVersion().equals(Long.toString(current.resourceVersion()))) {
                throw ApiException.conflict(rt, name, "Precondition failed: ResourceVersion in precondition: "
                        + options.preconditionResourceVersion() + ", ResourceVersion in object meta: "
                        + current.resourceVersion());
            }
            List<String> warnings = admission.admit(new AdmissionRequest(Operation.DELETE, rt, null, tree, tree,
                    opts.user(), opts.dryRun(), opts.fieldValidation()));
            if (isNamespace(rt) && UNDELETABLE_NAMESPACES.contains(name)) {
                throw ApiException.forbidden("namespaces \"" + name + "\" is forbidden: this namespace may not be "
                        + "deleted", name, rt);
            }
            List<String> fins = finalizers(meta);
            String policy = options.propagationPolicy();
            String add = "Orphan".equals(policy) ? "orphan" : "Foreground".equals(policy) ? "foregroundDeletion" : null;
            boolean isNs = isNamespace(rt);
            boolean graceful = isGracefulPod(rt, tree, options);
            if (fins.isEmpty() && add == null && !isNs && !graceful) {
                if (opts.dryRun()) {
                    return new Result(tree, 200, warnings);
                }
                try {
                    StoredObject gone = store.delete(current.key(), current.resourceVersion());
                    return new Result(Json.parseObject(gone.json()), 200, warnings);
                } catch (StoreException e) {
                    if (e.reason() == StoreException.Reason.CONFLICT) {
                        throw new RetryableConflict();
                    }
                    throw translate(e, rt, name);
                }
            }
            ObjectNode next = tree.deepCopy();
            ObjectNode nextMeta = (ObjectNode) next.get("metadata");
            if (add != null && !fins.contains(add)) {
                ArrayNode arr = nextMeta.has("finalizers") ? (ArrayNode) nextMeta.get("finalizers")
                        : nextMeta.putArray("finalizers");
                arr.add(add);
                // the two policies exclude each other
                String other = add.equals("orphan") ? "foregroundDeletion" : "orphan";
                for (int i = arr.size() - 1; i >= 0; i--) {
                    if (arr.get(i).asText().equals(other)) {
                        arr.remove(i);
                    }
                }
            }
            if (!nextMeta.has("deletionTimestamp")) {
                nextMeta.put("deletionTimestamp", ObjectMetaRules.now());
                long grace = graceful ? gracePeriod(tree, options) : 0;
                nextMeta.put("deletionGracePeriodSeconds", grace);
            }
            if (isNs) {
                Json.with(next, "status").put("phase", "Terminating");
            }
            if (next.equals(tree) || opts.dryRun()) {
                return new Result(next, 200, warnings);
            }
            try {
                StoredObject stored = store.update(current.key(), next, current.resourceVersion());
                return new Result(Json.parseObject(stored.json()), 200, warnings);
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.CONFLICT) {
                    throw new RetryableConflict();
                }
                throw translate(e, rt, name);
            }
        });
    }

    /** Pods bound to a node are deleted gracefully: the node agent confirms with a zero-grace delete. */
    private static boolean isGracefulPod(ResourceType rt, ObjectNode pod, DeleteOptions options) {
        if (!rt.group().isEmpty() || !rt.plural().equals("pods")) {
            return false;
        }
        if (pod.path("spec").path("nodeName").asText("").isEmpty()) {
            return false;
        }
        String phase = pod.path("status").path("phase").asText("");
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            return false;
        }
        return gracePeriod(pod, options) > 0;
    }

    private static long gracePeriod(ObjectNode pod, DeleteOptions options) {
        if (options.gracePeriodSeconds() != null) {
            return options.gracePeriodSeconds();
        }
        // Kubernetes' default terminationGracePeriodSeconds
        return pod.path("spec").path("terminationGracePeriodSeconds").asLong(30);
    }

    /** Removes a finalizer (no-op when absent); the object goes when it was the last one and deletion was asked. */
    public void removeFinalizer(ResourceType rt, String namespace, String name, String finalizer) {
        modify(rt, namespace, name, null, obj -> {
            ObjectNode meta = (ObjectNode) obj.get("metadata");
            JsonNode arr = meta.get("finalizers");
            if (arr == null || !arr.isArray()) {
                return null;
            }
            ArrayNode kept = Json.MAPPER.createArrayNode();
            boolean removed = false;
            for (JsonNode f : arr) {
                if (f.asText().equals(finalizer)) {
                    removed = true;
                } else {
                    kept.add(f);
                }
            }
            if (!removed) {
                return null;
            }
            if (kept.isEmpty()) {
                meta.remove("finalizers");
            } else {
                meta.set("finalizers", kept);
            }
            return obj;
        });
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static boolean isNamespace(ResourceType rt) {
        return rt.group().isEmpty() && rt.plural().equals("namespaces");
    }

    private void checkTypeMeta(ResourceType rt, ObjectNode body) {
        String apiVersion = body.path("apiVersion").asText("");
        String kind = body.path("kind").asText("");
        if (apiVersion.isEmpty() && kind.isEmpty()) {
            body.put("apiVersion", rt.apiVersion());
            body.put("kind", rt.kind());
            return;
        }
        if (!apiVersion.equals(rt.apiVersion())) {
            throw ApiException.badRequest("the API version in the data (" + (apiVersion.isEmpty() ? "<empty>" : apiVersion)
                    + ") does not match the expected API version (" + rt.apiVersion() + ")");
        }
        if (!kind.equals(rt.kind())) {
            throw ApiException.badRequest("the kind in the data (" + (kind.isEmpty() ? "<empty>" : kind)
                    + ") does not match the expected kind (" + rt.kind() + ") for " + rt.qualifiedName());
        }
    }

    private String resolveNamespace(ResourceType rt, String urlNamespace, ObjectNode meta) {
        String bodyNs = meta.path("namespace").asText("");
        if (!rt.namespaced()) {
            meta.remove("namespace");
            return "";
        }
        if (urlNamespace == null || urlNamespace.isEmpty()) {
            throw ApiException.badRequest("the namespace of the object is required: " + rt.qualifiedName()
                    + " is namespaced; use /api(s)/.../namespaces/{namespace}/" + rt.plural());
        }
        if (!bodyNs.isEmpty() && !bodyNs.equals(urlNamespace)) {
            throw ApiException.badRequest("the namespace of the provided object (" + bodyNs
                    + ") does not match the namespace sent on the request (" + urlNamespace + ")");
        }
        meta.put("namespace", urlNamespace);
        return urlNamespace;
    }

    private void requireActiveNamespace(ResourceType rt, String ns, String name) {
        ResourceType nsType = catalog.find("", "v1", "namespaces").orElseThrow();
        StoredObject nsObj = store.get(key(nsType, "", ns));
        if (nsObj == null) {
            throw ApiException.notFound(nsType, ns);
        }
        if (Json.parseObject(nsObj.json()).path("metadata").has("deletionTimestamp")) {
            throw new ApiException(403, "Forbidden", rt.qualifiedName() + " \"" + name + "\" is forbidden: unable to "
                    + "create new content in namespace " + ns + " because it is being terminated", name, rt,
                    List.of(new Cause("NamespaceTerminating", "metadata.namespace", "namespace " + ns
                            + " is being terminated")), null);
        }
    }

    static long parseResourceVersion(String rv) {
        if (rv == null || rv.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(rv);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("metadata.resourceVersion: Invalid value: \"" + rv
                    + "\": must be a resourceVersion returned by this server");
        }
    }

    static ApiException translate(StoreException e, ResourceType rt, String name) {
        return switch (e.reason()) {
            case NOT_FOUND -> ApiException.notFound(rt, name);
            case ALREADY_EXISTS -> ApiException.alreadyExists(rt, name);
            case CONFLICT -> ApiException.conflict(rt, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
            case GONE -> ApiException.gone(e.getMessage());
            case UNAVAILABLE -> ApiException.unavailable("storage unavailable: " + e.getMessage());
        };
    }
}
