package io.jvirt.api.kubevirt;

/**
 * One admission problem, as KubeVirt's webhooks report it in {@code details.causes[]} ({@code metav1.StatusCause}).
 *
 * @param type    the cause type ({@link #INVALID}, {@link #NOT_SUPPORTED}, ...)
 * @param field   the field path ({@code spec.domain.cpu.sockets}); empty when KubeVirt reports none
 * @param message the human-readable message, exactly as KubeVirt words it
 */
public record Cause(String type, String field, String message) {
    public static final String INVALID = "FieldValueInvalid";
    public static final String NOT_SUPPORTED = "FieldValueNotSupported";
    public static final String REQUIRED = "FieldValueRequired";
    public static final String DUPLICATE = "FieldValueDuplicate";
    public static final String NOT_FOUND = "FieldValueNotFound";

    public Cause {
        field = field == null ? "" : field;
    }

    static Cause invalid(String field, String message) {
        return new Cause(INVALID, field, message);
    }

    static Cause notSupported(String field, String message) {
        return new Cause(NOT_SUPPORTED, field, message);
    }

    static Cause required(String field, String message) {
        return new Cause(REQUIRED, field, message);
    }
}
