package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/** JSON Merge Patch (RFC 7386), {@code application/merge-patch+json}. */
public final class JsonMergePatch {
    private JsonMergePatch() {
    }

    /**
     * Applies a merge patch to an object. The patch must be an object: kube-apiserver rejects any other merge patch
     * with 400 because the result would not be an object.
     *
     * @return a new object; neither argument is modified
     */
    public static ObjectNode apply(ObjectNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw PatchException.badRequest("invalid JSON merge patch: expected a JSON object, got "
                    + JsonValues.typeName(patch));
        }
        return (ObjectNode) merge(target, patch);
    }

    /**
     * The RFC 7386 MergePatch function on arbitrary JSON values (a null argument stands for JSON null): a non-object
     * patch replaces the target, an object patch merges member by member, null members delete.
     *
     * @return a new value sharing no nodes with either argument
     */
    public static JsonNode merge(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch == null ? JsonValues.NODES.nullNode() : patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject()
                ? ((ObjectNode) target).deepCopy()
                : JsonValues.NODES.objectNode();
        mergeInto(result, (ObjectNode) patch);
        return result;
    }

    // target is already a private copy, so it is updated in place; patch nodes are copied, never shared.
    private static void mergeInto(ObjectNode target, ObjectNode patch) {
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (value.isNull()) {
                target.remove(key);
            } else if (value.isObject()) {
                JsonNode current = target.get(key);
                ObjectNode child = current != null && current.isObject()
                        ? (ObjectNode) current
                        : JsonValues.NODES.objectNode();
                mergeInto(child, (ObjectNode) value);
                target.set(key, child);
            } else {
                target.set(key, value.deepCopy());
            }
        }
    }

    /**
     * A merge patch that turns {@code from} into {@code to}: {@code apply(from, diff(from, to))} equals {@code to}.
     * Removed members become null, changed objects are diffed recursively, anything else that differs is replaced
     * whole (arrays included, merge patch cannot address elements). Merge patch cannot express an object member
     * whose value is null, so such members of {@code to} do not survive the round trip; they are absent instead.
     *
     * @return a new object, empty when the two are equal
     */
    public static ObjectNode diff(ObjectNode from, ObjectNode to) {
        ObjectNode patch = JsonValues.NODES.objectNode();
        for (Map.Entry<String, JsonNode> e : from.properties()) {
            if (!to.has(e.getKey())) {
                patch.putNull(e.getKey());
            }
        }
        for (Map.Entry<String, JsonNode> e : to.properties()) {
            String key = e.getKey();
            JsonNode newValue = e.getValue();
            JsonNode oldValue = from.get(key);
            if (oldValue == null) {
                patch.set(key, newValue.deepCopy());
            } else if (oldValue.isObject() && newValue.isObject()) {
                ObjectNode child = diff((ObjectNode) oldValue, (ObjectNode) newValue);
                if (!child.isEmpty()) {
                    patch.set(key, child);
                }
            } else if (!oldValue.equals(newValue)) {
                // Jackson's strict equality on purpose: 1 vs 1.0 yields a patch, so the round trip is exact.
                patch.set(key, newValue.deepCopy());
            }
        }
        return patch;
    }
}
