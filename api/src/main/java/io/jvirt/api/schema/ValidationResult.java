package io.jvirt.api.schema;

import java.util.ArrayList;
import java.util.List;

/**
 * Outcome of checking an object against its kind's schema.
 *
 * @param unknownFields  paths of fields the schema does not declare, e.g. {@code spec.template.spec.domain.cpu.corez}
 *                       or {@code spec.volumes[0].containerDisk.imag}; Kubernetes reports each as
 *                       {@code unknown field "<path>"} (a warning by default, an error with
 *                       {@code fieldValidation=Strict})
 * @param typeErrors     wrong JSON types and unsupported enum values, worded like kube-apiserver's CRD validation
 * @param missingFields  required fields that are absent ({@code FieldValueRequired})
 */
public record ValidationResult(List<String> unknownFields, List<FieldError> typeErrors,
                               List<FieldError> missingFields) {

    public static final String REASON_TYPE = "FieldValueTypeInvalid";
    public static final String REASON_NOT_SUPPORTED = "FieldValueNotSupported";
    public static final String REASON_REQUIRED = "FieldValueRequired";

    public ValidationResult {
        unknownFields = List.copyOf(unknownFields);
        typeErrors = List.copyOf(typeErrors);
        missingFields = List.copyOf(missingFields);
    }

    public static ValidationResult ok() {
        return new ValidationResult(List.of(), List.of(), List.of());
    }

    /**
     * One invalid field, shaped like a {@code Status} cause.
     *
     * @param field   dotted path with indices, e.g. {@code spec.template.spec.domain.cpu.cores}
     * @param message cause message without the field, e.g. {@code Invalid value: "string": spec.x in body must be
     *                of type integer: "string"}
     * @param reason  {@code FieldValueTypeInvalid}, {@code FieldValueNotSupported} or {@code FieldValueRequired}
     */
    public record FieldError(String field, String message, String reason) {
        /** {@code <field>: <message>}, as kube-apiserver joins causes into a Status message. */
        public String describe() {
            return field + ": " + message;
        }
    }

    /** True when nothing at all was found, unknown fields included. */
    public boolean isClean() {
        return unknownFields.isEmpty() && typeErrors.isEmpty() && missingFields.isEmpty();
    }

    /** True when there are type, enum or required-field errors (unknown fields aside). */
    public boolean hasErrors() {
        return !typeErrors.isEmpty() || !missingFields.isEmpty();
    }

    /** {@code unknown field "spec.foo"} for each unknown field: the text of Kubernetes' warnings and strict errors. */
    public List<String> unknownFieldMessages() {
        return unknownFields.stream().map(f -> "unknown field \"" + f + "\"").toList();
    }

    /** Type, enum and required-field errors together. */
    public List<FieldError> errors() {
        List<FieldError> all = new ArrayList<>(typeErrors);
        all.addAll(missingFields);
        return all;
    }
}
