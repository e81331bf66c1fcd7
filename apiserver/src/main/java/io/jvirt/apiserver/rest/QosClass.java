package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A pod's QoS class as Kubernetes computes it (pkg/apis/core/helper/qos): Guaranteed when every container limits
 * cpu and memory and its requests (defaulted to the limits) equal them; BestEffort when nothing requests or limits
 * cpu or memory; Burstable otherwise.
 */
final class QosClass {
    private QosClass() {
    }

    static String of(JsonNode podSpec) {
        boolean any = false;
        boolean guaranteed = true;
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : podSpec.path(list)) {
                JsonNode req = c.path("resources").path("requests");
                JsonNode lim = c.path("resources").path("limits");
                for (String r : new String[] {"cpu", "memory"}) {
                    boolean hasReq = req.hasNonNull(r);
                    boolean hasLim = lim.hasNonNull(r);
                    any |= hasReq || hasLim;
                    if (!hasLim) {
                        guaranteed = false;
                    } else if (hasReq && !req.get(r).asText().equals(lim.get(r).asText())) {
                        guaranteed = false;
                    }
                }
            }
        }
        if (!any) {
            return "BestEffort";
        }
        return guaranteed ? "Guaranteed" : "Burstable";
    }
}
