package io.jvirt.apiserver.patch;

/**
 * The one failure type of the patch functions. {@link #code()} is the HTTP status kube-apiserver answers with for
 * the same failure, so the REST layer can build the Status without interpreting the message: 400 when the patch
 * document itself is malformed, 422 when it is well-formed but does not apply to the object, 413 when a JSON patch
 * has too many operations.
 */
public final class PatchException extends RuntimeException {
    public static final int BAD_REQUEST = 400;
    public static final int REQUEST_ENTITY_TOO_LARGE = 413;
    public static final int UNPROCESSABLE_ENTITY = 422;
    private static final long serialVersionUID = 1L;

    private final int code;

    public PatchException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** HTTP status code: 400, 413 or 422. */
    public int code() {
        return code;
    }

    /** The Kubernetes Status reason matching {@link #code()}. */
    public String reason() {
        return switch (code) {
            case REQUEST_ENTITY_TOO_LARGE -> "RequestEntityTooLarge";
            case UNPROCESSABLE_ENTITY -> "Invalid";
            default -> "BadRequest";
        };
    }

    static PatchException badRequest(String message) {
        return new PatchException(BAD_REQUEST, message);
    }

    static PatchException invalid(String message) {
        return new PatchException(UNPROCESSABLE_ENTITY, message);
    }

    static PatchException tooLarge(String message) {
        return new PatchException(REQUEST_ENTITY_TOO_LARGE, message);
    }
}
