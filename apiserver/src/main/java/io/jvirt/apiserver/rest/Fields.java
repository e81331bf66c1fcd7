package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.store.FieldIndexer;

import java.util.HashMap;
import java.util.Map;

/** The field-selector index: for each stored object, the values of its resource's selectable fields. */
public final class Fields implements FieldIndexer {
    private final Map<String, ResourceType> byStorageKey = new HashMap<>();

    public Fields(ResourceCatalog catalog) {
        for (ResourceType t : catalog.all()) {
            byStorageKey.put(t.storageKey(), t);
        }
    }

    @Override
    public Map<String, String> fields(String resource, JsonNode object) {
        ResourceType rt = byStorageKey.get(resource);
        Map<String, String> out = new HashMap<>();
        JsonNode meta = object.path("metadata");
        out.put("metadata.name", meta.path("name").asText(""));
        out.put("metadata.namespace", meta.path("namespace").asText(""));
        if (rt != null) {
            for (String f : rt.selectableFields()) {
                out.put(f, valueOf(object, f));
            }
        }
        return Map.copyOf(out);
    }

    static String valueOf(JsonNode object, String dotted) {
        if (dotted.equals("source")) {
            // core/v1 Event: "source" selects on source.component
            return object.path("source").path("component").asText("");
        }
        JsonNode n = object;
        for (String p : dotted.split("\\.")) {
            n = n.path(p);
        }
        if (n.isMissingNode() || n.isNull()) {
            return n.isMissingNode() && dotted.equals("spec.unschedulable") ? "false" : "";
        }
        return n.isValueNode() ? n.asText() : n.toString();
    }
}
