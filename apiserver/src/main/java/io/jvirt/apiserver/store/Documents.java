package io.jvirt.apiserver.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON helpers of the store: turning a caller's document into the byte form the store keeps, and extracting the
 * values list/watch filter on. The store never keeps Jackson trees around: a tree of a 2 KB document costs tens
 * of KB of heap, the bytes cost 2 KB.
 */
final class Documents {

    /**
     * Floats are read as BigDecimal without stripping zeros so that re-serializing a stored document (only done
     * for the final state of a delete) does not change {@code 1.10} into {@code 1.1} or lose digits.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private Documents() {
    }

    /**
     * Sets {@code metadata.resourceVersion} (a string, as Kubernetes has it) in {@code object}, creating
     * {@code metadata} if it is missing, and builds the stored form. Mutates {@code object}.
     */
    static StoredObject toStored(ObjectKey key, long resourceVersion, ObjectNode object, FieldIndexer indexer) {
        JsonNode m = object.get("metadata");
        ObjectNode meta = m instanceof ObjectNode o ? o : object.putObject("metadata");
        meta.put("resourceVersion", Long.toString(resourceVersion));
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(object);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + key + ": " + e.getMessage(), e);
        }
        return new StoredObject(key, resourceVersion, json, labels(object), fields(indexer, key.resource(), object));
    }

    /** Builds the stored form of a document read from disk, keeping its bytes exactly as they were. */
    static StoredObject fromDisk(ObjectKey key, long resourceVersion, byte[] json, FieldIndexer indexer) {
        JsonNode tree = parse(json);
        return new StoredObject(key, resourceVersion, json, labels(tree), fields(indexer, key.resource(), tree));
    }

    static ObjectNode parse(byte[] json) {
        try {
            JsonNode tree = MAPPER.readTree(json);
            if (tree instanceof ObjectNode o) {
                return o;
            }
            throw new IllegalStateException("stored document is not a JSON object");
        } catch (IOException e) {
            throw new UncheckedIOException("stored document is not valid JSON", e);
        }
    }

    /** {@code metadata.labels} as an immutable map; values that are not scalars are ignored. */
    static Map<String, String> labels(JsonNode object) {
        JsonNode labels = object.path("metadata").path("labels");
        if (!labels.isObject() || labels.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>(labels.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return Map.copyOf(out);
    }

    /** The indexer's fields as a compact immutable map, null keys and values dropped. */
    static Map<String, String> fields(FieldIndexer indexer, String resource, JsonNode object) {
        if (indexer == null) {
            return Map.of();
        }
        Map<String, String> fields = indexer.fields(resource, object);
        if (fields == null || fields.isEmpty()) {
            return Map.of();
        }
        // Map.copyOf rejects nulls, and containsValue(null) throws on immutable maps: filter by hand.
        Map<String, String> clean = new HashMap<>(fields.size() * 2);
        fields.forEach((k, v) -> {
            if (k != null && v != null) {
                clean.put(k, v);
            }
        });
        return Map.copyOf(clean);
    }
}
