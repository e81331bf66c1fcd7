package io.jvirt.controller.vmi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** VMI phase bookkeeping shared by the controllers and the node agent. */
public final class VmiPhases {
    private VmiPhases() {
    }

    public static String phase(JsonNode vmi) {
        return vmi.path("status").path("phase").asText("");
    }

    /**
     * Adds {@code phase} and the list of phase transition timestamps with the new entry to a status merge patch,
     * when the phase changes (KubeVirt keeps one entry per transition, with millisecond timestamps).
     */
    public static void transition(JsonNode vmi, String phase, ObjectNode statusPatch) {
        if (phase(vmi).equals(phase)) {
            return;
        }
        statusPatch.put("phase", phase);
        JsonNode old = vmi.path("status").path("phaseTransitionTimestamps");
        ArrayNode ts = old.isArray() ? ((ArrayNode) old).deepCopy() : JsonNodeFactory.instance.arrayNode();
        ObjectNode t = ts.addObject();
        t.put("phase", phase);
        t.put("phaseTransitionTimestamp", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        statusPatch.set("phaseTransitionTimestamps", ts);
    }
}
