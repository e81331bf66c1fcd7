package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.apiserver.http.ApiException;

/**
 * {@code DeleteOptions}, from the request body and/or query string.
 *
 * @param propagationPolicy Orphan, Background, Foreground, or null for the resource's default (Background)
 */
public record DeleteOptions(String propagationPolicy, Long gracePeriodSeconds, String preconditionUid,
                            String preconditionResourceVersion) {
    public static final DeleteOptions DEFAULT = new DeleteOptions(null, null, null, null);

    public static DeleteOptions of(JsonNode body, String queryPolicy, String queryGrace) {
        String policy = queryPolicy;
        Long grace = null;
        String uid = null;
        String rv = null;
        if (body != null && body.isObject()) {
            if (body.hasNonNull("propagationPolicy")) {
                policy = body.get("propagationPolicy").asText();
            } else if (body.has("orphanDependents") && !body.get("orphanDependents").isNull()) {
                policy = body.get("orphanDependents").asBoolean() ? "Orphan" : "Background";
            }
            if (body.hasNonNull("gracePeriodSeconds")) {
                grace = body.get("gracePeriodSeconds").asLong();
            }
            JsonNode pre = body.path("preconditions");
            uid = pre.hasNonNull("uid") ? pre.get("uid").asText() : null;
            rv = pre.hasNonNull("resourceVersion") ? pre.get("resourceVersion").asText() : null;
        }
        if (queryGrace != null) {
            try {
                grace = Long.parseLong(queryGrace);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("gracePeriodSeconds: must be an integer, got \"" + queryGrace + "\"");
            }
        }
        if (policy != null && !policy.equals("Orphan") && !policy.equals("Background") && !policy.equals("Foreground")) {
            throw ApiException.badRequest("propagationPolicy: Unsupported value: \"" + policy
                    + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        }
        return new DeleteOptions(policy, grace, uid, rv);
    }
}
