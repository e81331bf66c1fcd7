package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes strategic merge patch ({@code application/strategic-merge-patch+json}) as kube-apiserver applies it
 * (k8s.io/apimachinery/pkg/util/strategicpatch, StrategicMergeMapPatch with MergeParallelList and
 * IgnoreUnmatchedNulls), including its list ordering rules:
 * <ul>
 * <li>merging a list keeps the patch's order for the items the patch names and the live order for the others,
 * interleaving the two by live position; an item new to the list therefore lands before live items that follow no
 * patch item (kube prepends it, it does not append);</li>
 * <li>{@code $setElementOrder} orders the items it names; live items it does not name keep their live position
 * relative to them.</li>
 * </ul>
 * Where kube would copy patch values verbatim into the object (a field absent from the object, a replaced list),
 * this implementation still strips directives and null members, so no {@code $...} key ever reaches the result;
 * kube relies on decoding into Go structs to drop them. {@code $patch: merge}, an error in kube, is accepted as the
 * explicit default.
 */
public final class StrategicMergePatch {
    private static final String PATCH = "$patch";
    private static final String RETAIN_KEYS = "$retainKeys";
    private static final String DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
    private static final String SET_ELEMENT_ORDER = "$setElementOrder";

    private final PatchMeta meta;

    private StrategicMergePatch(PatchMeta meta) {
        this.meta = meta;
    }

    /**
     * Applies a strategic merge patch.
     *
     * @param meta the kind's patch metadata, e.g. {@link PatchMeta#forKind}; null means {@link PatchMeta#empty()}
     * @return a new object; neither argument is modified
     * @throws PatchException 400 for a malformed patch or directive, 422 for a patch that cannot be merged into
     *                        this object (missing merge key, mixed list element types, lists of lists)
     */
    public static ObjectNode apply(ObjectNode target, JsonNode patch, PatchMeta meta) {
        if (patch == null || !patch.isObject()) {
            throw PatchException.badRequest("invalid strategic merge patch: expected a JSON object, got "
                    + JsonValues.typeName(patch));
        }
        return new StrategicMergePatch(meta == null ? PatchMeta.empty() : meta)
                .mergeMap(target.deepCopy(), (ObjectNode) patch, Path.ROOT);
    }

    /** Where we are: the dotted field path PatchMeta is keyed by, and a JSON pointer for messages. */
    private record Path(String meta, String pointer) {
        static final Path ROOT = new Path("", "");

        Path field(String name) {
            return new Path(meta.isEmpty() ? name : meta + "." + name,
                    pointer + "/" + name.replace("~", "~0").replace("/", "~1"));
        }

        Path index(int i) {
            return new Path(meta, pointer + "/" + i);
        }

        @Override
        public String toString() {
            return " (path " + JsonValues.quote(pointer) + ")";
        }
    }

    /** A merged list, plus the live order kube compares against when a $setElementOrder is applied afterwards. */
    private record Merged(List<JsonNode> items, List<JsonNode> serverOrder) {
    }

    // original is ours to modify (a copy of the target, or null for "nothing there"); patch is only read.
    private ObjectNode mergeMap(ObjectNode original, ObjectNode patch, Path path) {
        JsonNode directive = patch.get(PATCH);
        if (directive != null) {
            String name = directive.isTextual() ? directive.asText() : "";
            switch (name) {
                case "delete" -> {
                    return JsonValues.NODES.objectNode();
                }
                case "replace" -> {
                    return mergeMap(null, without(patch, PATCH), path);
                }
                case "merge" -> patch = without(patch, PATCH);
                default -> throw PatchException.badRequest("unknown patch type: " + JsonValues.describe(directive)
                        + " in map: " + JsonValues.describe(patch) + path);
            }
        }
        ObjectNode result = original == null ? JsonValues.NODES.objectNode() : original;
        applyRetainKeys(result, patch, path);
        Set<String> done = applySetElementOrder(result, patch, path);
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String key = e.getKey();
            if (done.contains(key) || key.equals(RETAIN_KEYS)) {
                continue;
            }
            boolean deleteList = key.startsWith(DELETE_FROM_PRIMITIVE_LIST);
            if (deleteList) {
                key = directiveTarget(key, DELETE_FROM_PRIMITIVE_LIST, "primitive list", path);
            }
            JsonNode value = e.getValue();
            Path child = path.field(key);
            if (value.isNull()) {
                result.remove(key);
                continue;
            }
            JsonNode current = result.get(key);
            if (current == null || current.getNodeType() != value.getNodeType()) {
                // A deletion list never creates or retypes a field: there is nothing to delete from.
                if (!deleteList) {
                    putAdopted(result, key, value, child);
                }
                continue;
            }
            PatchMeta.Field field = meta.field(child.meta());
            if (value.isObject()) {
                if (field.replace()) {
                    putAdopted(result, key, value, child);
                } else {
                    result.set(key, mergeMap((ObjectNode) current, (ObjectNode) value, child));
                }
            } else if (value.isArray()) {
                // Deletion lists apply whatever the field's strategy (kube >= 1.14 behaviour).
                if (field.merge() || deleteList) {
                    Merged merged = mergeList(elements(current), (ArrayNode) value, child, field.mergeKey(),
                            deleteList);
                    result.set(key, toArray(merged.items()));
                } else {
                    putAdopted(result, key, value, child);
                }
            } else {
                result.set(key, value.deepCopy());
            }
        }
        return result;
    }

    private void putAdopted(ObjectNode result, String key, JsonNode value, Path path) {
        JsonNode adopted = adopt(value, path);
        if (adopted == null) {
            result.remove(key);
        } else {
            result.set(key, adopted);
        }
    }

    /**
     * A patch value taken as the new value of a field (kube copies it verbatim): a fresh copy with directives
     * resolved against nothing and null members dropped. Null means "leave the field out" ($patch: delete).
     */
    private JsonNode adopt(JsonNode value, Path path) {
        if (value.isObject()) {
            JsonNode directive = value.get(PATCH);
            if (directive != null && directive.isTextual() && directive.asText().equals("delete")) {
                return null;
            }
            return mergeMap(null, (ObjectNode) value, path);
        }
        if (value.isArray()) {
            PatchMeta.Field field = meta.field(path.meta());
            if (field.merge() && (!field.mergeKey().isEmpty() || !containsObject(value))) {
                return toArray(mergeList(List.of(), (ArrayNode) value, path, field.mergeKey(), false).items());
            }
            ArrayNode out = JsonValues.NODES.arrayNode();
            for (int i = 0; i < value.size(); i++) {
                JsonNode element = value.get(i);
                if (element.isObject() && element.size() == 1 && element.has(PATCH)) {
                    continue; // a bare {"$patch": ...} marker carries no content
                }
                JsonNode adopted = adopt(element, path.index(i));
                if (adopted != null) {
                    out.add(adopted);
                }
            }
            return out;
        }
        return value.deepCopy();
    }

    private void applyRetainKeys(ObjectNode result, ObjectNode patch, Path path) {
        JsonNode retain = patch.get(RETAIN_KEYS);
        if (retain == null) {
            return;
        }
        if (!retain.isArray()) {
            throw PatchException.badRequest("invalid patch format of retainKeys: " + RETAIN_KEYS
                    + " must be a list, got " + JsonValues.typeName(retain) + path);
        }
        Set<String> keep = new HashSet<>();
        for (JsonNode k : retain) {
            if (k.isTextual()) {
                keep.add(k.asText());
            }
        }
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String key = e.getKey();
            if (e.getValue().isNull() || key.equals(RETAIN_KEYS) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
                    || key.startsWith(SET_ELEMENT_ORDER)) {
                continue;
            }
            if (!keep.contains(key)) {
                throw PatchException.badRequest("invalid patch format of retainKeys: the patch sets "
                        + JsonValues.quote(key) + " which is not in the " + RETAIN_KEYS + " list "
                        + JsonValues.describe(retain) + path);
            }
        }
        result.retain(keep);
    }

    /**
     * Merges each list that has a $setElementOrder sibling and puts it in the requested order, before the other
     * keys are merged (as kube does, so a $deleteFromPrimitiveList for the same list applies afterwards).
     *
     * @return the patch keys handled here, which the main merge loop must skip
     */
    private Set<String> applySetElementOrder(ObjectNode result, ObjectNode patch, Path path) {
        Set<String> done = new HashSet<>();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String directiveKey = e.getKey();
            if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) {
                continue;
            }
            done.add(directiveKey);
            String key = directiveTarget(directiveKey, SET_ELEMENT_ORDER, "setElementOrder list", path);
            JsonNode order = e.getValue();
            if (!order.isArray()) {
                throw PatchException.badRequest("invalid patch format of setElementOrder list: " + directiveKey
                        + " must be a list, got " + JsonValues.typeName(order) + path);
            }
            Path child = path.field(key);
            PatchMeta.Field field = meta.field(child.meta());
            if (!field.merge()) {
                continue; // a replaced list is taken in the patch's order anyway
            }
            JsonNode current = result.get(key);
            JsonNode patchList = patch.get(key);
            boolean inOriginal = current != null && !current.isNull();
            boolean inPatch = patchList != null && !patchList.isNull();
            if ((inOriginal && !current.isArray()) || (inPatch && !patchList.isArray())) {
                throw PatchException.invalid(directiveKey + " applies to a list, but the "
                        + (inPatch && !patchList.isArray() ? "patch" : "object") + " has a "
                        + JsonValues.typeName(inPatch && !patchList.isArray() ? patchList : current) + child);
            }
            if (!inOriginal && !inPatch) {
                continue;
            }
            String mergeKey = field.mergeKey();
            if (inPatch) {
                validateOrder((ArrayNode) patchList, (ArrayNode) order, mergeKey, child);
            }
            List<JsonNode> merged;
            List<JsonNode> serverOrder;
            if (!inPatch) {
                merged = elements(current);
                serverOrder = merged;
            } else if (!inOriginal) {
                merged = elements(adopt(patchList, child));
                serverOrder = List.of();
            } else {
                Merged m = mergeList(elements(current), (ArrayNode) patchList, child, mergeKey, false);
                merged = m.items();
                serverOrder = m.serverOrder();
            }
            if (!merged.isEmpty()) {
                boolean objects = merged.get(0).isObject();
                if (objects) {
                    if (mergeKey.isEmpty()) {
                        throw PatchException.invalid("cannot merge lists without merge key" + child);
                    }
                    requireMergeKeys(elements(order), mergeKey, child);
                }
                merged = order(merged, elements(order), serverOrder, objects ? mergeKey : "", child);
            }
            result.set(key, toArray(merged));
            done.add(key);
        }
        return done;
    }

    /** The patch list's items (deletions and markers aside) must appear in the $setElementOrder list, in order. */
    private static void validateOrder(ArrayNode patchList, ArrayNode order, String mergeKey, Path path) {
        List<JsonNode> items = new ArrayList<>();
        for (JsonNode item : patchList) {
            boolean marker = item.isObject() && item.has(PATCH);
            if (!marker) {
                items.add(item);
            }
        }
        int p = 0;
        int s = 0;
        while (p < items.size() && s < order.size()) {
            if (sameKey(items.get(p), order.get(s), mergeKey, path)) {
                p++;
            }
            s++;
        }
        if (p < items.size()) {
            throw PatchException.badRequest("the order in patch list " + JsonValues.describe(patchList)
                    + " doesn't match " + SET_ELEMENT_ORDER + " list " + JsonValues.describe(order) + path);
        }
    }

    private static boolean sameKey(JsonNode a, JsonNode b, String mergeKey, Path path) {
        if (mergeKey.isEmpty()) {
            return JsonValues.equal(a, b);
        }
        requireMergeKeys(List.of(a, b), mergeKey, path);
        return JsonValues.equal(a.get(mergeKey), b.get(mergeKey));
    }

    /**
     * Merges two lists of a field with strategy merge (or a $deleteFromPrimitiveList into a list).
     *
     * @param original the live items, ours to modify
     */
    private Merged mergeList(List<JsonNode> original, ArrayNode patch, Path path, String mergeKey,
                             boolean deleteList) {
        if (original.isEmpty() && patch.isEmpty()) {
            return new Merged(new ArrayList<>(), original);
        }
        JsonNodeType kind = elementType(original, patch, path);
        if (kind != JsonNodeType.OBJECT) {
            List<JsonNode> patchItems = elements(patch);
            if (deleteList) {
                ListPositions toDelete = new ListPositions(patchItems, "");
                List<JsonNode> kept = new ArrayList<>(original);
                kept.removeIf(item -> toDelete.of(item) >= 0);
                return new Merged(kept, original);
            }
            List<JsonNode> union = new ArrayList<>();
            ListPositions seen = new ListPositions(List.of(), "");
            for (JsonNode item : original) {
                if (seen.add(item, union.size())) {
                    union.add(item);
                }
            }
            for (JsonNode item : patchItems) {
                if (seen.add(item, union.size())) {
                    union.add(item.deepCopy());
                }
            }
            return new Merged(order(union, patchItems, original, "", path), original);
        }
        if (deleteList) {
            throw PatchException.badRequest("invalid patch format of primitive list: " + DELETE_FROM_PRIMITIVE_LIST
                    + " cannot delete from a list of objects" + path);
        }
        if (mergeKey.isEmpty()) {
            throw PatchException.invalid("cannot merge lists without merge key" + path);
        }
        List<JsonNode> work = new ArrayList<>(original);
        List<ObjectNode> plain = new ArrayList<>();
        List<JsonNode> deletions = new ArrayList<>();
        boolean replace = false;
        for (int i = 0; i < patch.size(); i++) {
            ObjectNode item = (ObjectNode) patch.get(i);
            JsonNode directive = item.get(PATCH);
            if (directive == null) {
                plain.add(item);
                continue;
            }
            switch (directive.isTextual() ? directive.asText() : "") {
                case "delete" -> {
                    if (!item.has(mergeKey)) {
                        throw noMergeKey(item, mergeKey, path.index(i));
                    }
                    deletions.add(item);
                }
                case "replace" -> replace = true;
                case "merge" -> plain.add(without(item, PATCH));
                default -> throw PatchException.badRequest("unknown patch type: " + JsonValues.describe(directive)
                        + " in map: " + JsonValues.describe(item) + path.index(i));
            }
        }
        // Every live item whose key a delete directive names goes, duplicates included.
        ListPositions toDelete = new ListPositions(deletions, mergeKey);
        work.removeIf(w -> w.has(mergeKey) && toDelete.of(w) >= 0);
        int deleted = original.size() - work.size();
        if (replace) {
            List<JsonNode> items = new ArrayList<>();
            for (int i = 0; i < plain.size(); i++) {
                items.add(mergeMap(null, plain.get(i), path.index(i)));
            }
            requireMergeKeys(items, mergeKey, path);
            return new Merged(items, work);
        }
        List<JsonNode> compacted = new ArrayList<>(work);
        List<JsonNode> added = new ArrayList<>();
        ListPositions inWork = new ListPositions(List.of(), mergeKey);
        for (int w = 0; w < work.size(); w++) {
            if (work.get(w).has(mergeKey)) {
                inWork.add(work.get(w), w);
            }
        }
        for (int i = 0; i < plain.size(); i++) {
            ObjectNode item = plain.get(i);
            if (!item.has(mergeKey)) {
                throw noMergeKey(item, mergeKey, path.index(i));
            }
            int at = inWork.of(item);
            if (at >= 0) {
                work.set(at, mergeMap((ObjectNode) work.get(at), item, path.index(at)));
            } else {
                ObjectNode fresh = mergeMap(null, item, path.index(work.size()));
                inWork.add(fresh, work.size());
                work.add(fresh);
                added.add(fresh);
            }
        }
        // kube deletes in place inside the live slice and then appends new items to it, so the live order a later
        // $setElementOrder compares against sees as many new items as there were deletions, right after the
        // survivors. Reproduced so results match kube's exactly.
        List<JsonNode> serverOrder = new ArrayList<>(compacted);
        serverOrder.addAll(added.subList(0, Math.min(deleted, added.size())));
        return new Merged(order(work, new ArrayList<>(plain), compacted, mergeKey, path), serverOrder);
    }

    /**
     * kube's normalizeElementOrder: items named by {@code patchOrder} in that order, the others in
     * {@code serverOrder}'s order, the two interleaved so that a server item goes before a patch item only when
     * both have a live position and the server item's is earlier.
     */
    private static List<JsonNode> order(List<JsonNode> merged, List<JsonNode> patchOrder, List<JsonNode> serverOrder,
                                        String mergeKey, Path path) {
        if (!mergeKey.isEmpty()) {
            requireMergeKeys(merged, mergeKey, path);
        }
        ListPositions inPatch = new ListPositions(patchOrder, mergeKey);
        ListPositions inServer = new ListPositions(serverOrder, mergeKey);
        List<JsonNode> fromPatch = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        for (JsonNode item : merged) {
            (inPatch.of(item) >= 0 ? fromPatch : serverOnly).add(item);
        }
        sortBy(fromPatch, inPatch);
        sortBy(serverOnly, inServer);
        List<JsonNode> out = new ArrayList<>(merged.size());
        int i = 0;
        int j = 0;
        while (i < serverOnly.size() || j < fromPatch.size()) {
            if (i >= serverOnly.size()) {
                out.add(fromPatch.get(j++));
            } else if (j >= fromPatch.size()) {
                out.add(serverOnly.get(i++));
            } else {
                int left = inServer.of(serverOnly.get(i));
                int right = inServer.of(fromPatch.get(j));
                if (left >= 0 && right >= 0 && left < right) {
                    out.add(serverOnly.get(i++));
                } else {
                    out.add(fromPatch.get(j++));
                }
            }
        }
        return out;
    }

    private static void sortBy(List<JsonNode> items, ListPositions order) {
        // List.sort is stable; items absent from the order (not expected) keep their relative order at the end.
        items.sort(Comparator.comparingInt(item -> {
            int index = order.of(item);
            return index < 0 ? Integer.MAX_VALUE : index;
        }));
    }

    /** The common JSON type of both lists' elements; mixed types and nested lists cannot be merged. */
    private static JsonNodeType elementType(List<JsonNode> original, ArrayNode patch, Path path) {
        JsonNodeType type = null;
        List<JsonNode> all = new ArrayList<>(original);
        all.addAll(elements(patch));
        for (JsonNode item : all) {
            JsonNodeType t = item.getNodeType();
            if (t == JsonNodeType.ARRAY) {
                throw PatchException.invalid("lists of lists are not supported" + path);
            }
            if (type == null) {
                type = t;
            } else if (type != t) {
                throw PatchException.invalid("list element types are not identical: "
                        + JsonValues.typeName(all.get(0)) + " and " + JsonValues.typeName(item) + path);
            }
        }
        return type;
    }

    private static void requireMergeKeys(List<JsonNode> items, String mergeKey, Path path) {
        for (JsonNode item : items) {
            if (!item.isObject()) {
                throw PatchException.invalid("expected a map with merge key " + JsonValues.quote(mergeKey)
                        + ", but received a " + JsonValues.typeName(item) + ": " + JsonValues.describe(item) + path);
            }
            if (!item.has(mergeKey)) {
                throw noMergeKey(item, mergeKey, path);
            }
        }
    }

    private static PatchException noMergeKey(JsonNode item, String mergeKey, Path path) {
        return PatchException.invalid("map: " + JsonValues.describe(item) + " does not contain declared merge key: "
                + mergeKey + path);
    }

    /** "$setElementOrder/containers" → "containers"; the prefix must be followed by exactly one "/". */
    private static String directiveTarget(String key, String prefix, String what, Path path) {
        int slash = key.indexOf('/');
        if (slash < 0 || !key.substring(0, slash).equals(prefix)) {
            throw PatchException.badRequest("invalid patch format of " + what + ": " + JsonValues.quote(key)
                    + " is not of the form " + prefix + "/<field>" + path);
        }
        return key.substring(slash + 1);
    }

    private static boolean containsObject(JsonNode array) {
        for (JsonNode item : array) {
            if (item.isObject()) {
                return true;
            }
        }
        return false;
    }

    private static ObjectNode without(ObjectNode node, String key) {
        ObjectNode copy = JsonValues.NODES.objectNode();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getKey().equals(key)) {
                copy.set(e.getKey(), e.getValue());
            }
        }
        return copy;
    }

    private static List<JsonNode> elements(JsonNode array) {
        List<JsonNode> list = new ArrayList<>(array.size());
        array.forEach(list::add);
        return list;
    }

    private static ArrayNode toArray(List<JsonNode> items) {
        ArrayNode array = JsonValues.NODES.arrayNode(items.size());
        array.addAll(items);
        return array;
    }
}
