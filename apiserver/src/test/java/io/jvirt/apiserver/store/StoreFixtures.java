package io.jvirt.apiserver.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** Shared helpers for the store tests: a field indexer and small documents. */
final class StoreFixtures {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String VMS = "kubevirt.io/virtualmachines";
    static final String NODES = "/nodes";

    /** Indexes metadata.name, metadata.namespace and spec.nodeName when present, like the real kinds do. */
    static final FieldIndexer INDEXER = (resource, object) -> {
        Map<String, String> fields = new HashMap<>();
        fields.put("metadata.name", object.path("metadata").path("name").asText());
        fields.put("metadata.namespace", object.path("metadata").path("namespace").asText());
        JsonNode node = object.path("spec").path("nodeName");
        if (node.isTextual()) {
            fields.put("spec.nodeName", node.asText());
        }
        return fields;
    };

    private StoreFixtures() {
    }

    static ObjectKey vm(String namespace, String name) {
        return new ObjectKey(VMS, namespace, name);
    }

    /** A small VM-like document for {@code key} with optional label pairs (k1, v1, k2, v2, ...). */
    static ObjectNode doc(ObjectKey key, String... labels) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("apiVersion", "kubevirt.io/v1");
        o.put("kind", "VirtualMachine");
        ObjectNode meta = o.putObject("metadata");
        meta.put("name", key.name());
        if (!key.namespace().isEmpty()) {
            meta.put("namespace", key.namespace());
        }
        if (labels.length > 0) {
            ObjectNode l = meta.putObject("labels");
            for (int i = 0; i + 1 < labels.length; i += 2) {
                l.put(labels[i], labels[i + 1]);
            }
        }
        o.putObject("spec").put("running", false);
        return o;
    }

    static JsonNode tree(byte[] json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String jsonRv(StoredObject o) {
        return tree(o.json()).path("metadata").path("resourceVersion").asText();
    }
}
