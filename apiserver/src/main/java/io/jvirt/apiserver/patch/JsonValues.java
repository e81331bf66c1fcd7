package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.Map;

/** Small helpers shared by the patch implementations. */
final class JsonValues {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_DESCRIBE = 200;

    private JsonValues() {
    }

    /**
     * JSON equality as RFC 6902 defines it for "test": numbers compare by value (1 equals 1.0), objects ignore
     * member order. Jackson's own equals would tell IntNode(1) from DoubleNode(1.0) and LongNode(1).
     */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a.isNumber() && b.isNumber()) {
            if (a.isIntegralNumber() && b.isIntegralNumber()) {
                return a.canConvertToLong() && b.canConvertToLong()
                        ? a.longValue() == b.longValue()
                        : a.bigIntegerValue().equals(b.bigIntegerValue());
            }
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.getNodeType() != b.getNodeType()) {
            return false;
        }
        if (a.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Map.Entry<String, JsonNode> e : a.properties()) {
                if (!equal(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!equal(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** A hash code consistent with {@link #equal}: numbers hash by value, objects regardless of member order. */
    static int hash(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return 0;
        }
        if (node.isNumber()) {
            return node.decimalValue().stripTrailingZeros().hashCode();
        }
        if (node.isObject()) {
            int h = 1;
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                h += e.getKey().hashCode() ^ hash(e.getValue());
            }
            return h;
        }
        if (node.isArray()) {
            int h = 2;
            for (JsonNode item : node) {
                h = 31 * h + hash(item);
            }
            return h;
        }
        return node.hashCode();
    }

    /** The JSON type name for messages: object, array, string, number, boolean, null. */
    static String typeName(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "null";
        }
        if (node.isObject()) {
            return "object";
        }
        if (node.isArray()) {
            return "array";
        }
        if (node.isTextual()) {
            return "string";
        }
        if (node.isNumber()) {
            return "number";
        }
        if (node.isBoolean()) {
            return "boolean";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Compact JSON of a value, cut short so a huge value cannot blow up an error message. */
    static String describe(JsonNode node) {
        String s = node == null ? "null" : node.toString();
        return s.length() <= MAX_DESCRIBE ? s : s.substring(0, MAX_DESCRIBE) + "...";
    }

    /** A JSON string literal (for quoting paths in messages the way Go's %q would). */
    static String quote(String s) {
        return NODES.textNode(s).toString();
    }
}
