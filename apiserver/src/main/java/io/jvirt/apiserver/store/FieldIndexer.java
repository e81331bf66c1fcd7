package io.jvirt.apiserver.store;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * Extracts the selectable fields of an object (field selectors) for a resource. Supplied to the store by the
 * layer that knows the kinds; the store calls it on every write and when loading from disk.
 */
@FunctionalInterface
public interface FieldIndexer {
    Map<String, String> fields(String resource, JsonNode object);
}
