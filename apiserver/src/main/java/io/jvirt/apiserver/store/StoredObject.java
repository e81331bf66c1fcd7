package io.jvirt.apiserver.store;

import java.util.Map;

/**
 * One version of an object as the store holds it: the serialized JSON document (with
 * {@code metadata.resourceVersion} already set to {@link #resourceVersion()}), plus the values that list and
 * watch filter on, extracted once at write time so that selection never parses JSON.
 *
 * @param labels {@code metadata.labels}
 * @param fields selectable field values by field path ({@code metadata.name}, {@code spec.nodeName}, ...) as
 *               produced by the store's {@link FieldIndexer}
 */
public record StoredObject(ObjectKey key, long resourceVersion, byte[] json, Map<String, String> labels,
                           Map<String, String> fields) {
}
