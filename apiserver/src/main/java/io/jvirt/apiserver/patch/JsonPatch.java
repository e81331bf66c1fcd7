package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON Patch (RFC 6902), {@code application/json-patch+json}. Operations run in order on a private copy of the
 * target, so a failing operation leaves nothing half-applied. Error messages follow evanphx/json-patch (which
 * kube-apiserver uses) prefixed with "jsonpatch", and always quote the offending pointer.
 */
public final class JsonPatch {
    /** kube-apiserver's limit (maxJSONPatchOperations); longer patches are rejected with 413. */
    public static final int MAX_OPERATIONS = 10_000;

    private JsonPatch() {
    }

    /**
     * Applies a JSON patch (an array of operations) to an object.
     *
     * @return a new object; neither argument is modified
     * @throws PatchException 400 when the patch is not an array of objects, 413 when it has more than
     *                        {@link #MAX_OPERATIONS} operations, 422 when an operation is invalid or does not apply,
     *                        or when the result is not an object
     */
    public static ObjectNode apply(ObjectNode target, JsonNode patch) {
        JsonNode result = applyToValue(target, patch);
        if (!result.isObject()) {
            throw PatchException.invalid("jsonpatch: the patched document must be a JSON object, got "
                    + JsonValues.typeName(result));
        }
        return (ObjectNode) result;
    }

    /** Like {@link #apply} but for any JSON document, which may end up any JSON value. */
    public static JsonNode applyToValue(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isArray()) {
            throw PatchException.badRequest("invalid JSON patch: expected an array of operations, got "
                    + JsonValues.typeName(patch));
        }
        if (patch.size() > MAX_OPERATIONS) {
            throw PatchException.tooLarge("The allowed maximum operations in a JSON patch is " + MAX_OPERATIONS
                    + ", got " + patch.size());
        }
        for (int i = 0; i < patch.size(); i++) {
            if (!patch.get(i).isObject()) {
                throw PatchException.badRequest("invalid JSON patch: operation " + i + " is a "
                        + JsonValues.typeName(patch.get(i)) + ", expected an object");
            }
        }
        JsonNode doc = target == null ? JsonValues.NODES.nullNode() : target.deepCopy();
        for (JsonNode op : patch) {
            doc = applyOperation(doc, op);
        }
        return doc;
    }

    private static JsonNode applyOperation(JsonNode doc, JsonNode op) {
        JsonNode opNode = op.get("op");
        if (opNode == null || !opNode.isTextual()) {
            throw PatchException.invalid("jsonpatch: operation " + JsonValues.describe(op)
                    + " has no \"op\" string");
        }
        String name = opNode.asText();
        switch (name) {
            case "add" -> {
                String path = member(op, name, "path");
                return add(doc, name, path, pointer(name, path), value(op, name).deepCopy());
            }
            case "remove" -> {
                String path = member(op, name, "path");
                List<String> tokens = pointer(name, path);
                if (tokens.isEmpty()) {
                    throw PatchException.invalid("jsonpatch remove operation does not apply: cannot remove the "
                            + "whole document (path \"\")");
                }
                remove(doc, name, path, tokens, false);
                return doc;
            }
            case "replace" -> {
                String path = member(op, name, "path");
                List<String> tokens = pointer(name, path);
                JsonNode value = value(op, name).deepCopy();
                if (tokens.isEmpty()) {
                    return value;
                }
                Location at = locate(doc, tokens, name, path, false);
                if (at.parent.isObject()) {
                    ((ObjectNode) at.parent).set(at.key, value);
                } else {
                    ((ArrayNode) at.parent).set(at.index, value);
                }
                return doc;
            }
            case "move" -> {
                String from = member(op, name, "from");
                String path = member(op, name, "path");
                List<String> fromTokens = pointer(name, from);
                List<String> pathTokens = pointer(name, path);
                if (fromTokens.equals(pathTokens)) {
                    get(doc, fromTokens, name, from, true);
                    return doc;
                }
                if (isProperPrefix(fromTokens, pathTokens)) {
                    throw PatchException.invalid("jsonpatch move operation does not apply: cannot move "
                            + JsonValues.quote(from) + " into its own child " + JsonValues.quote(path));
                }
                JsonNode value = remove(doc, name, from, fromTokens, true);
                return add(doc, name, path, pathTokens, value);
            }
            case "copy" -> {
                String from = member(op, name, "from");
                String path = member(op, name, "path");
                JsonNode value = get(doc, pointer(name, from), name, from, true).deepCopy();
                return add(doc, name, path, pointer(name, path), value);
            }
            case "test" -> {
                String path = member(op, name, "path");
                JsonNode expected = value(op, name);
                JsonNode actual = get(doc, pointer(name, path), name, path, false);
                if (!JsonValues.equal(actual, expected)) {
                    throw PatchException.invalid("jsonpatch test operation does not apply: is: "
                            + JsonValues.describe(actual) + " expected: " + JsonValues.describe(expected)
                            + " (path " + JsonValues.quote(path) + ")");
                }
                return doc;
            }
            default -> throw PatchException.invalid("unknown operation " + JsonValues.quote(name));
        }
    }

    private static String member(JsonNode op, String name, String field) {
        JsonNode node = op.get(field);
        if (node == null || !node.isTextual()) {
            throw PatchException.invalid("jsonpatch " + name + " operation: \"" + field + "\" is missing or not"
                    + " a string");
        }
        return node.asText();
    }

    // "value": null is a legitimate value; only an absent member is an error.
    private static JsonNode value(JsonNode op, String name) {
        JsonNode node = op.get("value");
        if (node == null) {
            throw PatchException.invalid("jsonpatch " + name + " operation: \"value\" is missing");
        }
        return node;
    }

    /** Splits a JSON pointer (RFC 6901) into unescaped reference tokens; "" is the whole document. */
    static List<String> pointer(String op, String pointer) {
        List<String> tokens = new ArrayList<>();
        if (pointer.isEmpty()) {
            return tokens;
        }
        if (pointer.charAt(0) != '/') {
            throw PatchException.invalid("jsonpatch " + op + " operation: invalid JSON pointer "
                    + JsonValues.quote(pointer) + ": must be empty or start with \"/\"");
        }
        StringBuilder token = new StringBuilder();
        for (int i = 1; i <= pointer.length(); i++) {
            if (i == pointer.length() || pointer.charAt(i) == '/') {
                tokens.add(token.toString());
                token.setLength(0);
                continue;
            }
            char c = pointer.charAt(i);
            if (c == '~') {
                char next = i + 1 < pointer.length() ? pointer.charAt(i + 1) : 0;
                if (next != '0' && next != '1') {
                    throw PatchException.invalid("jsonpatch " + op + " operation: invalid JSON pointer "
                            + JsonValues.quote(pointer) + ": '~' must be followed by '0' or '1'");
                }
                token.append(next == '0' ? '~' : '/');
                i++;
            } else {
                token.append(c);
            }
        }
        return tokens;
    }

    private record Location(JsonNode parent, String key, int index) {
    }

    /**
     * Finds the container holding the last token. With {@code forAdd} the member may be absent, an array index may
     * equal the length and "-" means past the end; otherwise the target must exist.
     */
    private static Location locate(JsonNode doc, List<String> tokens, String op, String path, boolean forAdd) {
        JsonNode parent = doc;
        for (int i = 0; i < tokens.size() - 1; i++) {
            parent = child(parent, tokens.get(i));
            if (parent == null) {
                throw missing(op, path, false);
            }
        }
        String last = tokens.get(tokens.size() - 1);
        if (parent.isObject()) {
            if (!forAdd && !parent.has(last)) {
                throw missing(op, path, false);
            }
            return new Location(parent, last, -1);
        }
        if (parent.isArray()) {
            int size = parent.size();
            if (forAdd && last.equals("-")) {
                return new Location(parent, last, size);
            }
            int index = arrayIndex(last);
            if (index < 0 || index > size || (!forAdd && index == size)) {
                throw missing(op, path, false);
            }
            return new Location(parent, last, index);
        }
        throw missing(op, path, false);
    }

    private static JsonNode child(JsonNode node, String token) {
        if (node.isObject()) {
            return node.get(token);
        }
        if (node.isArray()) {
            int index = arrayIndex(token);
            return index >= 0 && index < node.size() ? node.get(index) : null;
        }
        return null;
    }

    // RFC 6901: decimal digits, no leading zeros; anything else (including "-") addresses no existing element.
    private static int arrayIndex(String token) {
        if (token.isEmpty() || token.length() > 9 || (token.length() > 1 && token.charAt(0) == '0')) {
            return -1;
        }
        for (int i = 0; i < token.length(); i++) {
            if (token.charAt(i) < '0' || token.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(token);
    }

    private static JsonNode get(JsonNode doc, List<String> tokens, String op, String path, boolean isFrom) {
        JsonNode node = doc;
        for (String token : tokens) {
            node = child(node, token);
            if (node == null) {
                throw missing(op, path, isFrom);
            }
        }
        return node;
    }

    private static JsonNode add(JsonNode doc, String op, String path, List<String> tokens, JsonNode value) {
        if (tokens.isEmpty()) {
            return value;
        }
        Location at = locate(doc, tokens, op, path, true);
        if (at.parent.isObject()) {
            ((ObjectNode) at.parent).set(at.key, value);
        } else {
            ((ArrayNode) at.parent).insert(at.index, value);
        }
        return doc;
    }

    private static JsonNode remove(JsonNode doc, String op, String path, List<String> tokens, boolean isFrom) {
        Location at;
        try {
            at = locate(doc, tokens, op, path, false);
        } catch (PatchException e) {
            throw isFrom ? missing(op, path, true) : e;
        }
        if (at.parent.isObject()) {
            return ((ObjectNode) at.parent).remove(at.key);
        }
        return ((ArrayNode) at.parent).remove(at.index);
    }

    private static boolean isProperPrefix(List<String> prefix, List<String> tokens) {
        return prefix.size() < tokens.size() && tokens.subList(0, prefix.size()).equals(prefix);
    }

    private static PatchException missing(String op, String path, boolean isFrom) {
        return PatchException.invalid("jsonpatch " + op + " operation does not apply: doc is missing "
                + (isFrom ? "from " : "") + "path: " + JsonValues.quote(path));
    }
}
