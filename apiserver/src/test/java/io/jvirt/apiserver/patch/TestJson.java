package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.Random;

/** Test helpers: JSON literals written with single quotes, and random documents for property tests. */
final class TestJson {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] KEYS = {"a", "b", "c", "d", "e", "f", "x/y", "t~n", ""};

    private TestJson() {
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad test JSON: " + text, e);
        }
    }

    static ObjectNode obj(String text) {
        return (ObjectNode) json(text);
    }

    /** The first "$"-prefixed member name anywhere in the tree, or null. */
    static String findDirective(JsonNode node) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (e.getKey().startsWith("$")) {
                    return e.getKey();
                }
                String nested = findDirective(e.getValue());
                if (nested != null) {
                    return nested;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                String nested = findDirective(item);
                if (nested != null) {
                    return nested;
                }
            }
        }
        return null;
    }

    /**
     * A random object. Keys come from a small pool so two documents overlap a lot. With {@code nullMembers} false,
     * no object member is null (merge patch cannot produce those); nulls still occur as array elements.
     */
    static ObjectNode randomObject(Random random, int depth, boolean nullMembers) {
        ObjectNode node = NODES.objectNode();
        int size = random.nextInt(depth > 0 ? 5 : 3);
        for (int i = 0; i < size; i++) {
            String key = KEYS[random.nextInt(KEYS.length)];
            JsonNode value = nullMembers && random.nextInt(8) == 0
                    ? NODES.nullNode()
                    : randomValue(random, depth - 1, nullMembers);
            node.set(key, value);
        }
        return node;
    }

    private static JsonNode randomValue(Random random, int depth, boolean nullMembers) {
        int choice = random.nextInt(depth > 0 ? 8 : 5);
        return switch (choice) {
            case 0 -> NODES.textNode("s" + random.nextInt(4));
            case 1 -> NODES.numberNode(random.nextInt(5));
            case 2 -> NODES.numberNode(random.nextInt(3) + 0.5);
            case 3 -> NODES.booleanNode(random.nextBoolean());
            case 4 -> NODES.textNode("");
            case 5 -> {
                ArrayNode array = NODES.arrayNode();
                int size = random.nextInt(4);
                for (int i = 0; i < size; i++) {
                    array.add(random.nextInt(6) == 0 ? NODES.nullNode() : randomValue(random, depth - 1, false));
                }
                yield array;
            }
            default -> randomObject(random, depth, nullMembers);
        };
    }
}
