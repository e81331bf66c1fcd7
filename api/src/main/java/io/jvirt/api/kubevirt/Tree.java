package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Small helpers over Jackson trees: null-safe navigation, creation of nested objects, typed reads. */
final class Tree {
    static final JsonNodeFactory F = JsonNodeFactory.withExactBigDecimals(true);

    private Tree() {
    }

    /** The node at {@code path} or a MissingNode; never null. */
    static JsonNode at(JsonNode node, String... path) {
        JsonNode n = node == null ? MissingNode.getInstance() : node;
        for (String p : path) {
            n = n.path(p);
        }
        return n;
    }

    /** Whether the value is present and not JSON null. */
    static boolean has(JsonNode n) {
        return n != null && !n.isMissingNode() && !n.isNull();
    }

    static boolean has(JsonNode node, String... path) {
        return has(at(node, path));
    }

    /** The object at {@code path} under {@code parent}, created (replacing non-objects) when absent. */
    static ObjectNode obj(ObjectNode parent, String... path) {
        ObjectNode n = parent;
        for (String p : path) {
            JsonNode c = n.get(p);
            n = c instanceof ObjectNode o ? o : n.putObject(p);
        }
        return n;
    }

    /** The array at {@code name} under {@code parent}, created when absent. */
    static ArrayNode arr(ObjectNode parent, String name) {
        JsonNode c = parent.get(name);
        if (c instanceof ArrayNode a) {
            return a;
        }
        return parent.putArray(name);
    }

    static String text(JsonNode n) {
        return has(n) && n.isValueNode() ? n.asText() : "";
    }

    static String text(JsonNode node, String... path) {
        return text(at(node, path));
    }

    static boolean bool(JsonNode n) {
        return has(n) && n.asBoolean(false);
    }

    /** A non-negative integer field (uint32 in KubeVirt), 0 when absent or not a number. */
    static long uint(JsonNode n) {
        return has(n) && n.isNumber() ? Math.max(0, n.asLong()) : 0;
    }

    static long uint(JsonNode node, String... path) {
        return uint(at(node, path));
    }

    /** A quantity or empty when absent or malformed. */
    static Optional<Quantity> quantity(JsonNode n) {
        return Quantity.of(n);
    }

    static Optional<Quantity> quantity(JsonNode node, String... path) {
        return Quantity.of(at(node, path));
    }

    /** The elements of an array (empty when absent or not an array). */
    static List<JsonNode> list(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(out::add);
        }
        return out;
    }

    static List<JsonNode> list(JsonNode node, String... path) {
        return list(at(node, path));
    }

    /** Puts a number as an int when it fits (as a parser would read it back), else as a long. */
    static void putNumber(ObjectNode target, String name, long value) {
        if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
            target.put(name, (int) value);
        } else {
            target.put(name, value);
        }
    }

    /** {@code base.a.b}. */
    static String path(String base, String... children) {
        StringBuilder sb = new StringBuilder(base);
        for (String c : children) {
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** {@code base[i]}. */
    static String index(String base, int i) {
        return base + "[" + i + "]";
    }
}
