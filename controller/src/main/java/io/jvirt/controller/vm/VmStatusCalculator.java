package io.jvirt.controller.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;

/**
 * The VM status KubeVirt shows, computed from the VM and its VMI (pure). {@code printableStatus} follows
 * KubeVirt's precedence (vm.go): Terminating → Stopping → Paused → Running → ErrorUnschedulable → image-pull
 * errors → Starting → CrashLoopBackOff → Stopped → Unknown.
 */
public final class VmStatusCalculator {
    private VmStatusCalculator() {
    }

    static boolean isFinal(JsonNode vmi) {
        String phase = vmi == null ? "" : vmi.path("status").path("phase").asText("");
        return phase.equals("Succeeded") || phase.equals("Failed");
    }

    static boolean deleting(JsonNode obj) {
        return obj != null && obj.path("metadata").has("deletionTimestamp");
    }

    static JsonNode condition(JsonNode obj, String type) {
        for (JsonNode c : obj.path("status").path("conditions")) {
            if (c.path("type").asText().equals(type)) {
                return c;
            }
        }
        return null;
    }

    static boolean conditionTrue(JsonNode obj, String type) {
        JsonNode c = obj == null ? null : condition(obj, type);
        return c != null && c.path("status").asText().equals("True");
    }

    public static String printableStatus(JsonNode vm, JsonNode vmi, String runStrategy, Instant now) {
        if (deleting(vm)) {
            return "Terminating";
        }
        boolean exists = vmi != null && !isFinal(vmi);
        if (exists && (deleting(vmi) || runStrategy.equals("Halted") || hasRequest(vm, "Stop"))) {
            return "Stopping";
        }
        if (exists) {
            if (conditionTrue(vmi, "Paused")) {
                return "Paused";
            }
            String phase = vmi.path("status").path("phase").asText("");
            if (phase.equals("Running")) {
                return "Running";
            }
            JsonNode sched = condition(vmi, "PodScheduled");
            if (sched != null && sched.path("status").asText().equals("False")
                    && sched.path("reason").asText().equals("Unschedulable")) {
                return "ErrorUnschedulable";
            }
            JsonNode sync = condition(vmi, "Synchronized");
            if (sync != null && sync.path("status").asText().equals("False")) {
                String reason = sync.path("reason").asText("");
                if (reason.equals("ErrImagePull") || reason.equals("ImagePullBackOff")) {
                    return reason;
                }
            }
            if (phase.isEmpty() || phase.equals("Pending") || phase.equals("Scheduling") || phase.equals("Scheduled")) {
                return "Starting";
            }
            return "Unknown";
        }
        JsonNode failure = vm.path("status").path("startFailure");
        if (!failure.isMissingNode() && failure.has("retryAfterTimestamp")) {
            Instant retry = Instant.parse(failure.get("retryAfterTimestamp").asText());
            if (retry.isAfter(now) && !runStrategy.equals("Halted")) {
                return "CrashLoopBackOff";
            }
        }
        return "Stopped";
    }

    static boolean hasRequest(JsonNode vm, String action) {
        for (JsonNode r : vm.path("status").path("stateChangeRequests")) {
            if (r.path("action").asText().equals(action)) {
                return true;
            }
        }
        return false;
    }

    /** Ready and Paused conditions as KubeVirt mirrors them from the VMI. */
    public static ArrayNode conditions(JsonNode vm, JsonNode vmi, String now) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        JsonNode ready = vmi == null || isFinal(vmi) ? null : condition(vmi, "Ready");
        ObjectNode r = out.addObject();
        r.put("type", "Ready");
        if (ready != null) {
            r.put("status", ready.path("status").asText("False"));
            if (ready.has("reason")) {
                r.put("reason", ready.path("reason").asText());
            }
            if (ready.has("message")) {
                r.put("message", ready.path("message").asText());
            }
        } else {
            r.put("status", "False");
            r.put("reason", "VMINotExists");
            r.put("message", "VMI does not exist");
        }
        r.put("lastProbeTime", (String) null);
        r.put("lastTransitionTime", keepTransition(vm, "Ready", r.path("status").asText(), now));
        if (vmi != null && conditionTrue(vmi, "Paused")) {
            ObjectNode p = out.addObject();
            JsonNode src = condition(vmi, "Paused");
            p.put("type", "Paused");
            p.put("status", "True");
            p.put("reason", src.path("reason").asText("PausedByUser"));
            p.put("message", src.path("message").asText("VMI was paused by user"));
            p.put("lastProbeTime", (String) null);
            p.put("lastTransitionTime", keepTransition(vm, "Paused", "True", now));
        }
        JsonNode failure = condition(vm, "Failure");
        if (failure != null) {
            out.add(failure);
        }
        return out;
    }

    private static String keepTransition(JsonNode vm, String type, String status, String now) {
        JsonNode old = condition(vm, type);
        if (old != null && old.path("status").asText().equals(status) && old.hasNonNull("lastTransitionTime")) {
            return old.get("lastTransitionTime").asText();
        }
        return now;
    }
}
