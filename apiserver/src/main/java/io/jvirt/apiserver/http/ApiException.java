package io.jvirt.apiserver.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;

import java.util.List;

/**
 * The API boundary's one exception: it becomes a {@code Status} object exactly as kube-apiserver sends it
 * (code, reason, message, details.{name, group, kind, causes[]}).
 */
public final class ApiException extends RuntimeException {
    /** One problem with one field: {@code details.causes[]} of a Status. */
    public record Cause(String type, String field, String message) {
    }

    private final int code;
    private final String reason;
    private final String name;
    private final ResourceType resource;
    private final List<Cause> causes;
    private final Integer retryAfterSeconds;

    public ApiException(int code, String reason, String message, String name, ResourceType resource,
                        List<Cause> causes, Integer retryAfterSeconds) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.name = name;
        this.resource = resource;
        this.causes = List.copyOf(causes);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequest", message, null, null, List.of(), null);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "Unauthorized", "Unauthorized", null, null, List.of(), null);
    }

    public static ApiException forbidden(String message, String name, ResourceType rt) {
        return new ApiException(403, "Forbidden", message, name, rt, List.of(), null);
    }

    public static ApiException notFound(ResourceType rt, String name) {
        return new ApiException(404, "NotFound", rt.qualifiedName() + " \"" + name + "\" not found", name, rt,
                List.of(), null);
    }

    public static ApiException notFoundPath(String message) {
        return new ApiException(404, "NotFound", message, null, null, List.of(), null);
    }

    public static ApiException methodNotAllowed(String message) {
        return new ApiException(405, "MethodNotAllowed", message, null, null, List.of(), null);
    }

    public static ApiException alreadyExists(ResourceType rt, String name) {
        return new ApiException(409, "AlreadyExists", rt.qualifiedName() + " \"" + name + "\" already exists", name,
                rt, List.of(), null);
    }

    public static ApiException conflict(ResourceType rt, String name, String why) {
        return new ApiException(409, "Conflict", "Operation cannot be fulfilled on " + rt.qualifiedName() + " \""
                + name + "\": " + why, name, rt, List.of(), null);
    }

    public static ApiException gone(String message) {
        return new ApiException(410, "Expired", message, null, null, List.of(), null);
    }

    public static ApiException tooLarge(long limit) {
        return new ApiException(413, "RequestEntityTooLarge", "Request entity too large: limit is " + limit, null, null,
                List.of(), null);
    }

    public static ApiException unsupportedMediaType(String message) {
        return new ApiException(415, "UnsupportedMediaType", message, null, null, List.of(), null);
    }

    /** 422 with one cause per problem; the message lists them the way Kubernetes does. */
    public static ApiException invalid(ResourceType rt, String name, List<Cause> causes) {
        // Kubernetes: `VirtualMachine.kubevirt.io "x" is invalid: [spec.a: ..., spec.b: ...]`
        StringBuilder msg = new StringBuilder(rt.kind()).append(rt.group().isEmpty() ? "" : "." + rt.group())
                .append(" \"").append(name == null ? "" : name).append("\" is invalid: ");
        List<String> parts = causes.stream()
                .map(c -> c.field() == null || c.field().isEmpty() ? c.message() : c.field() + ": " + c.message())
                .toList();
        msg.append(parts.size() == 1 ? parts.getFirst() : "[" + String.join(", ", parts) + "]");
        return new ApiException(422, "Invalid", msg.toString(), name, rt, causes, null);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "InternalError", "Internal error occurred: " + message, null, null, List.of(),
                null);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "ServiceUnavailable", message, null, null, List.of(), 1);
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public List<Cause> causes() {
        return causes;
    }

    /** The Status object. */
    public ObjectNode toStatus() {
        ObjectNode s = Json.object();
        s.put("kind", "Status");
        s.put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure");
        s.put("message", getMessage());
        s.put("reason", reason);
        if (name != null || resource != null || !causes.isEmpty() || retryAfterSeconds != null) {
            ObjectNode d = s.putObject("details");
            if (name != null) {
                d.put("name", name);
            }
            if (resource != null) {
                d.put("group", resource.group());
                d.put("kind", resource.plural());
            }
            if (!causes.isEmpty()) {
                ArrayNode arr = d.putArray("causes");
                for (Cause c : causes) {
                    ObjectNode cn = arr.addObject();
                    if (c.type() != null) {
                        cn.put("reason", c.type());
                    }
                    cn.put("message", c.message());
                    if (c.field() != null) {
                        cn.put("field", c.field());
                    }
                }
            }
            if (retryAfterSeconds != null) {
                d.put("retryAfterSeconds", retryAfterSeconds);
            }
        }
        s.put("code", code);
        return s;
    }
}
