package io.jvirt.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.api.schema.ValidationResult.FieldError;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks request bodies against the served schemas the way kube-apiserver treats custom resources: fields the
 * schema does not declare are reported as unknown (nothing is unknown below
 * {@code x-kubernetes-preserve-unknown-fields}), values of the wrong JSON type and unsupported enum values are
 * reported with kube's wording, and missing required fields are listed separately. {@code apiVersion} and
 * {@code kind} are known at the root of every object; {@code metadata} is checked against ObjectMeta. JSON
 * {@code null} is accepted everywhere (the apiserver drops nulls of non-nullable fields before validating).
 *
 * <p>Type rules: {@code integer} accepts JSON integers only; {@code number} accepts any number; int-or-string
 * accepts integers and strings, and quantities also accept fractional numbers ({@code cpu: 0.5}).
 */
public final class SchemaValidator {
    private final SchemaRegistry registry;

    public SchemaValidator(SchemaRegistry registry) {
        this.registry = registry;
    }

    /** A validator over {@link SchemaRegistry#standard()}. */
    public static SchemaValidator standard() {
        return Holder.STANDARD;
    }

    private static final class Holder {
        static final SchemaValidator STANDARD = new SchemaValidator(SchemaRegistry.standard());
    }

    /** The schema of a kind (or list kind), references unresolved. */
    public Optional<Schema> schemaFor(String group, String version, String kind) {
        return registry.kindSchema(new GroupVersionKind(group, version, kind));
    }

    public SchemaRegistry registry() {
        return registry;
    }

    public ValidationResult validate(ResourceType type, JsonNode object) {
        return validate(GroupVersionKind.of(type), object);
    }

    public ValidationResult validate(String apiVersion, String kind, JsonNode object) {
        return validate(GroupVersionKind.fromApiVersion(apiVersion, kind), object);
    }

    /**
     * @throws IllegalArgumentException when the kind has no schema
     */
    public ValidationResult validate(GroupVersionKind gvk, JsonNode object) {
        Schema schema = registry.kindSchema(gvk)
                .orElseThrow(() -> new IllegalArgumentException("no schema for " + gvk));
        Walk walk = new Walk();
        walk.check(schema, object, "");
        return new ValidationResult(walk.unknown, walk.typeErrors, walk.missing);
    }

    private final class Walk {
        final List<String> unknown = new ArrayList<>();
        final List<FieldError> typeErrors = new ArrayList<>();
        final List<FieldError> missing = new ArrayList<>();

        void check(Schema declared, JsonNode value, String path) {
            if (value == null || value.isNull() || value.isMissingNode()) {
                return;
            }
            Schema s = registry.resolve(declared);
            if (s.intOrString()) {
                boolean ok = value.isTextual() || value.isIntegralNumber()
                        || ("quantity".equals(s.format()) && value.isNumber());
                if (!ok) {
                    typeError(path, value, "integer-or-string");
                }
                return;
            }
            String type = s.type();
            if (type == null) {
                return; // any value
            }
            switch (type) {
                case Schema.OBJECT -> {
                    if (!value.isObject()) {
                        typeError(path, value, Schema.OBJECT);
                    } else {
                        checkObject(s, value, path);
                    }
                }
                case Schema.ARRAY -> {
                    if (!value.isArray()) {
                        typeError(path, value, Schema.ARRAY);
                    } else {
                        for (int i = 0; i < value.size(); i++) {
                            check(s.items(), value.get(i), path + "[" + i + "]");
                        }
                    }
                }
                case Schema.STRING -> {
                    if (!value.isTextual()) {
                        typeError(path, value, Schema.STRING);
                    } else if (!s.enumValues().isEmpty() && !s.enumValues().contains(value.textValue())) {
                        String supported = s.enumValues().stream().map(v -> "\"" + v + "\"")
                                .collect(Collectors.joining(", "));
                        typeErrors.add(new FieldError(path, "Unsupported value: \"" + value.textValue()
                                + "\": supported values: " + supported, ValidationResult.REASON_NOT_SUPPORTED));
                    }
                }
                case Schema.INTEGER -> {
                    if (!value.isIntegralNumber()) {
                        typeError(path, value, Schema.INTEGER);
                    }
                }
                case Schema.NUMBER -> {
                    if (!value.isNumber()) {
                        typeError(path, value, Schema.NUMBER);
                    }
                }
                case Schema.BOOLEAN -> {
                    if (!value.isBoolean()) {
                        typeError(path, value, Schema.BOOLEAN);
                    }
                }
                default -> {
                    // unknown schema type: accept
                }
            }
        }

        private void checkObject(Schema s, JsonNode value, String path) {
            boolean root = path.isEmpty();
            Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                String name = e.getKey();
                Schema prop = s.properties().get(name);
                if (prop != null) {
                    check(prop, e.getValue(), child(path, name));
                } else if (s.additionalProperties() != null) {
                    check(s.additionalProperties(), e.getValue(), path + "[" + name + "]");
                } else if (root && (name.equals("apiVersion") || name.equals("kind"))) {
                    // known at the root of every object
                } else if (!s.preserveUnknownFields()) {
                    unknown.add(child(path, name));
                }
            }
            for (String r : s.required()) {
                JsonNode v = value.get(r);
                if (v == null || v.isNull()) {
                    missing.add(new FieldError(child(path, r), "Required value", ValidationResult.REASON_REQUIRED));
                }
            }
        }

        private void typeError(String path, JsonNode value, String expected) {
            String actual = jsonType(value);
            String field = path.isEmpty() ? "body" : path;
            typeErrors.add(new FieldError(field, "Invalid value: \"" + actual + "\": " + field
                    + " in body must be of type " + expected + ": \"" + actual + "\"",
                    ValidationResult.REASON_TYPE));
        }
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    static String jsonType(JsonNode v) {
        if (v.isTextual()) {
            return "string";
        }
        if (v.isIntegralNumber()) {
            return "integer";
        }
        if (v.isNumber()) {
            return "number";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        if (v.isArray()) {
            return "array";
        }
        if (v.isObject()) {
            return "object";
        }
        if (v.isNull()) {
            return "null";
        }
        return v.getNodeType().name().toLowerCase();
    }
}
