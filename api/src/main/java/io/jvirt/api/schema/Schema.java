package io.jvirt.api.schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One node of an OpenAPI v3 / structural JSON schema, immutable. A node is either a reference to a named definition
 * ({@link #ref()} set, everything else but the description ignored) or an inline schema.
 *
 * <p>The static factories form a small DSL used by the hand-written KubeVirt definitions:
 * <pre>{@code
 * object("CPU topology of the guest.")
 *     .prop("cores", int64("Number of cores per socket."))
 *     .prop("features", array("CPU features.", ref(CPU_FEATURE)))
 *     .build()
 * }</pre>
 *
 * @param type                  {@code object}, {@code array}, {@code string}, {@code integer}, {@code number},
 *                              {@code boolean}; {@code null} for int-or-string, references and "anything"
 * @param format                OpenAPI format ({@code int32}, {@code int64}, {@code date-time}, {@code byte}…); for
 *                              int-or-string nodes {@code quantity} (also accepts fractional numbers) or
 *                              {@code int-or-string}
 * @param properties            declared fields of an object, in declaration order
 * @param items                 element schema of an array
 * @param additionalProperties  value schema of a map-like object
 * @param required              names of required fields
 * @param enumValues            allowed string values, empty when unconstrained
 * @param preserveUnknownFields {@code x-kubernetes-preserve-unknown-fields}: undeclared fields are kept as-is
 * @param intOrString           {@code x-kubernetes-int-or-string}: a JSON number or string (quantities too)
 * @param ref                   name of a definition in {@code components.schemas}, or {@code null}
 * @param gvks                  {@code x-kubernetes-group-version-kind} of a top-level kind (empty otherwise)
 * @param patchStrategy         {@code x-kubernetes-patch-strategy} of a list field of a built-in type ({@code merge},
 *                              {@code merge,retainKeys}), used by kubectl's client-side strategic merge patches
 * @param patchMergeKey         {@code x-kubernetes-patch-merge-key}: the field identifying list elements
 */
public record Schema(
        String type,
        String format,
        String description,
        Map<String, Schema> properties,
        Schema items,
        Schema additionalProperties,
        List<String> required,
        List<String> enumValues,
        boolean preserveUnknownFields,
        boolean intOrString,
        String ref,
        List<GroupVersionKind> gvks,
        String patchStrategy,
        String patchMergeKey) {

    public static final String OBJECT = "object";
    public static final String ARRAY = "array";
    public static final String STRING = "string";
    public static final String INTEGER = "integer";
    public static final String NUMBER = "number";
    public static final String BOOLEAN = "boolean";

    /** A schema without patch metadata. */
    public Schema(String type, String format, String description, Map<String, Schema> properties, Schema items,
                  Schema additionalProperties, List<String> required, List<String> enumValues,
                  boolean preserveUnknownFields, boolean intOrString, String ref, List<GroupVersionKind> gvks) {
        this(type, format, description, properties, items, additionalProperties, required, enumValues,
                preserveUnknownFields, intOrString, ref, gvks, null, null);
    }

    public Schema {
        properties = properties == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        required = required == null ? List.of() : List.copyOf(required);
        enumValues = enumValues == null ? List.of() : List.copyOf(enumValues);
        gvks = gvks == null ? List.of() : List.copyOf(gvks);
    }

    // ---------------------------------------------------------------- queries

    public boolean isRef() {
        return ref != null;
    }

    public boolean isObject() {
        return OBJECT.equals(type);
    }

    public boolean isArray() {
        return ARRAY.equals(type);
    }

    /** The {@code #/components/schemas/...} pointer of a reference node. */
    public String refPointer() {
        return ref == null ? null : "#/components/schemas/" + ref;
    }

    public Schema withDescription(String newDescription) {
        return new Schema(type, format, newDescription, properties, items, additionalProperties, required, enumValues,
                preserveUnknownFields, intOrString, ref, gvks, patchStrategy, patchMergeKey);
    }

    public Schema withGvks(List<GroupVersionKind> newGvks) {
        return new Schema(type, format, description, properties, items, additionalProperties, required, enumValues,
                preserveUnknownFields, intOrString, ref, newGvks, patchStrategy, patchMergeKey);
    }

    public Schema withProperties(Map<String, Schema> newProperties) {
        return new Schema(type, format, description, newProperties, items, additionalProperties, required,
                enumValues, preserveUnknownFields, intOrString, ref, gvks, patchStrategy, patchMergeKey);
    }

    /** Adds strategic-merge-patch metadata (Kubernetes' {@code patchStrategy}/{@code patchMergeKey} tags). */
    public Schema withPatch(String strategy, String mergeKey) {
        return new Schema(type, format, description, properties, items, additionalProperties, required,
                enumValues, preserveUnknownFields, intOrString, ref, gvks, strategy, mergeKey);
    }

    // ---------------------------------------------------------------- scalar factories

    private static Schema scalar(String type, String format, String description) {
        return new Schema(type, format, description, null, null, null, null, null, false, false, null, null);
    }

    public static Schema string(String description) {
        return scalar(STRING, null, description);
    }

    /** A string restricted to the given values ({@code Unsupported value} otherwise). */
    public static Schema enumString(String description, String... values) {
        return new Schema(STRING, null, description, null, null, null, null, Arrays.asList(values), false, false,
                null, null);
    }

    /** An RFC 3339 timestamp. */
    public static Schema dateTime(String description) {
        return scalar(STRING, "date-time", description);
    }

    public static Schema int32(String description) {
        return scalar(INTEGER, "int32", description);
    }

    public static Schema int64(String description) {
        return scalar(INTEGER, "int64", description);
    }

    public static Schema number(String description) {
        return scalar(NUMBER, "double", description);
    }

    public static Schema bool(String description) {
        return scalar(BOOLEAN, null, description);
    }

    /** {@code x-kubernetes-int-or-string}: a JSON integer or string. */
    public static Schema intOrString(String description) {
        return new Schema(null, "int-or-string", description, null, null, null, null, null, false, true, null, null);
    }

    /** A resource quantity such as {@code 2}, {@code 500m} or {@code 1Gi}: int-or-string like Kubernetes' CRDs. */
    public static Schema quantity(String description) {
        return new Schema(null, "quantity", description, null, null, null, null, null, false, true, null, null);
    }

    // ---------------------------------------------------------------- structured factories

    public static Schema array(String description, Schema items) {
        return new Schema(ARRAY, null, description, null, Objects.requireNonNull(items), null, null, null, false,
                false, null, null);
    }

    public static Schema stringArray(String description) {
        return array(description, string(null));
    }

    /** A map from string keys to values of the given schema. */
    public static Schema map(String description, Schema values) {
        return new Schema(OBJECT, null, description, null, null, Objects.requireNonNull(values), null, null, false,
                false, null, null);
    }

    public static Schema stringMap(String description) {
        return map(description, string(null));
    }

    /** A map of resource names to quantities ({@code requests}, {@code limits}, {@code capacity}). */
    public static Schema quantityMap(String description) {
        return map(description, quantity(null));
    }

    /** An object whose content is not described: any fields are kept and nothing inside is unknown. */
    public static Schema preserved(String description) {
        return new Schema(OBJECT, null, description, null, null, null, null, null, true, false, null, null);
    }

    /** An object with no fields at all (KubeVirt's marker structs such as {@code masquerade: {}}). */
    public static Schema empty(String description) {
        return new Schema(OBJECT, null, description, null, null, null, null, null, false, false, null, null);
    }

    /** A reference to the named definition; the description is what {@code kubectl explain} shows for the field. */
    public static Schema ref(String name, String description) {
        return new Schema(null, null, description, null, null, null, null, null, false, false,
                Objects.requireNonNull(name), null);
    }

    public static ObjectBuilder object(String description) {
        return new ObjectBuilder(description);
    }

    /** Builds an object schema field by field. */
    public static final class ObjectBuilder {
        private final String description;
        private final Map<String, Schema> properties = new LinkedHashMap<>();
        private final List<String> required = new ArrayList<>();
        private boolean preserveUnknown;

        private ObjectBuilder(String description) {
            this.description = description;
        }

        public ObjectBuilder prop(String name, Schema schema) {
            if (properties.put(name, Objects.requireNonNull(schema)) != null) {
                throw new IllegalArgumentException("duplicate property " + name);
            }
            return this;
        }

        /** Adds all fields of another object schema (Go's inlined structs). */
        public ObjectBuilder inline(Schema other) {
            other.properties().forEach(this::prop);
            required.addAll(other.required());
            return this;
        }

        public ObjectBuilder required(String... names) {
            required.addAll(Arrays.asList(names));
            return this;
        }

        /** Keeps undeclared fields (they are not reported as unknown). */
        public ObjectBuilder preserveUnknown() {
            this.preserveUnknown = true;
            return this;
        }

        public Schema build() {
            for (String r : required) {
                if (!properties.containsKey(r)) {
                    throw new IllegalStateException("required field " + r + " is not declared");
                }
            }
            return new Schema(OBJECT, null, description, properties, null, null, required, null, preserveUnknown,
                    false, null, null);
        }
    }
}
