package io.jvirt.apiserver.admission;

import io.jvirt.apiserver.http.ApiException.Cause;

import java.util.List;

/**
 * An in-process admission step. Mutation runs for all plugins first, then validation; a validating plugin adds
 * causes (all are collected and returned together as one 422) and warnings (sent as Warning headers). A plugin
 * may also throw {@link io.jvirt.apiserver.http.ApiException} directly for non-422 outcomes.
 */
public interface AdmissionPlugin {
    /** Whether this plugin applies to the request at all. */
    default boolean handles(AdmissionRequest request) {
        return true;
    }

    default void mutate(AdmissionRequest request, List<String> warnings) {
    }

    default void validate(AdmissionRequest request, List<Cause> causes, List<String> warnings) {
    }
}
