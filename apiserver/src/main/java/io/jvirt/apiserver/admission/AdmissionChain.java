package io.jvirt.apiserver.admission;

import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.ApiException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Ordered admission plugins: every mutation, then every validation; denial is one 422 with all causes. */
public final class AdmissionChain {
    private final List<AdmissionPlugin> plugins = new CopyOnWriteArrayList<>();

    public AdmissionChain add(AdmissionPlugin plugin) {
        plugins.add(plugin);
        return this;
    }

    /** Runs the chain; returns the warnings to send; throws a 422 when any validation failed. */
    public List<String> admit(AdmissionRequest request) {
        List<String> warnings = new ArrayList<>();
        for (AdmissionPlugin p : plugins) {
            if (p.handles(request)) {
                p.mutate(request, warnings);
            }
        }
        List<Cause> causes = new ArrayList<>();
        for (AdmissionPlugin p : plugins) {
            if (p.handles(request)) {
                p.validate(request, causes, warnings);
            }
        }
        if (!causes.isEmpty()) {
            String name = request.object() == null ? null : request.object().path("metadata").path("name").asText(null);
            throw ApiException.invalid(request.resource(), name, causes);
        }
        return warnings;
    }
}
