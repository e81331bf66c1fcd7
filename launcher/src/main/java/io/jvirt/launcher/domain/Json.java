package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads from the VMI's Jackson tree. Absent and JSON-null fields read as "not set"; a field of the wrong JSON
 * type is a {@link ConversionException} naming its path ({@code path} is the path of {@code parent}).
 */
final class Json {

    private Json() {
    }

    static boolean isSet(JsonNode node) {
        return node != null && !node.isMissingNode() && !node.isNull();
    }

    static String field(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The object at {@code parent.name}, or a MissingNode when it is absent. */
    static JsonNode object(JsonNode parent, String name, String path) {
        JsonNode node = parent == null ? null : parent.get(name);
        if (!isSet(node)) {
            return MissingNode.getInstance();
        }
        if (!node.isObject()) {
            throw ConversionException.at(field(path, name), "expected an object, got " + node.getNodeType());
        }
        return node;
    }

    /** Whether {@code parent.name} is present (and not null). */
    static boolean has(JsonNode parent, String name) {
        return parent != null && isSet(parent.get(name));
    }

    static List<JsonNode> array(JsonNode parent, String name, String path) {
        JsonNode node = parent == null ? null : parent.get(name);
        if (!isSet(node)) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ConversionException.at(field(path, name), "expected an array, got " + node.getNodeType());
        }
        List<JsonNode> items = new ArrayList<>(node.size());
        node.forEach(items::add);
        return items;
    }

    /** A string field; null when absent or empty. */
    static String text(JsonNode parent, String name, String path) {
        JsonNode node = parent == null ? null : parent.get(name);
        if (!isSet(node)) {
            return null;
        }
        if (!node.isTextual()) {
            throw ConversionException.at(field(path, name), "expected a string, got " + node.getNodeType());
        }
        String value = node.asText();
        return value.isEmpty() ? null : value;
    }

    /** A boolean field; null when absent. */
    static Boolean bool(JsonNode parent, String name, String path) {
        JsonNode node = parent == null ? null : parent.get(name);
        if (!isSet(node)) {
            return null;
        }
        if (!node.isBoolean()) {
            throw ConversionException.at(field(path, name), "expected true or false, got " + node);
        }
        return node.booleanValue();
    }

    static boolean bool(JsonNode parent, String name, boolean defaultValue, String path) {
        Boolean value = bool(parent, name, path);
        return value == null ? defaultValue : value;
    }

    /** An integer field; null when absent. */
    static Long integer(JsonNode parent, String name, String path) {
        JsonNode node = parent == null ? null : parent.get(name);
        if (!isSet(node)) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw ConversionException.at(field(path, name), "expected an integer, got " + node);
        }
        return node.longValue();
    }

    /** An integer field that must be ≥ {@code min} when present; {@code defaultValue} when absent. */
    static long integer(JsonNode parent, String name, long min, long defaultValue, String path) {
        Long value = integer(parent, name, path);
        if (value == null) {
            return defaultValue;
        }
        if (value < min) {
            throw ConversionException.at(field(path, name), "must be at least " + min + ", got " + value);
        }
        return value;
    }
}
