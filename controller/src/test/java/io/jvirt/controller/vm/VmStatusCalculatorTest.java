package io.jvirt.controller.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** VM printableStatus precedence and the Ready/Paused conditions mirrored from the VMI (kubevirt.md §2.3). */
class VmStatusCalculatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

    private static ObjectNode vm() {
        ObjectNode vm = JSON.createObjectNode();
        vm.putObject("metadata").put("name", "vm1").put("namespace", "default");
        vm.putObject("spec").put("runStrategy", "Always");
        vm.putObject("status");
        return vm;
    }

    private static ObjectNode vmi(String phase) {
        ObjectNode vmi = JSON.createObjectNode();
        vmi.putObject("metadata").put("name", "vm1").put("namespace", "default");
        ObjectNode status = vmi.putObject("status");
        if (phase != null) {
            status.put("phase", phase);
        }
        status.putArray("conditions");
        return vmi;
    }

    private static ObjectNode cond(ObjectNode obj, String type, String status, String reason) {
        ObjectNode c = obj.withObjectProperty("status").withArrayProperty("conditions").addObject();
        c.put("type", type).put("status", status);
        if (reason != null) {
            c.put("reason", reason);
        }
        return c;
    }

    private static void deleting(ObjectNode obj) {
        obj.withObjectProperty("metadata").put("deletionTimestamp", "2024-05-01T11:59:00Z");
    }

    private static void stateChange(ObjectNode vm, String action) {
        vm.withObjectProperty("status").withArrayProperty("stateChangeRequests").addObject().put("action", action);
    }

    private static void startFailure(ObjectNode vm, Instant retryAfter) {
        vm.withObjectProperty("status").putObject("startFailure").put("consecutiveFailCount", 2)
                .put("retryAfterTimestamp", retryAfter.toString());
    }

    private static String printable(JsonNode vm, JsonNode vmi, String strategy) {
        return VmStatusCalculator.printableStatus(vm, vmi, strategy, NOW);
    }

    @Nested
    class PrintableStatus {
        @Test
        void terminatingWinsOverEverything() {
            ObjectNode vm = vm();
            deleting(vm);
            stateChange(vm, "Stop");
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Paused", "True", "PausedByUser");
            assertThat(printable(vm, vmi, "Always")).isEqualTo("Terminating");
            assertThat(printable(vm, null, "Halted")).isEqualTo("Terminating");
        }

        @Test
        void stoppingWhenTheVmiIsBeingDeleted() {
            ObjectNode vmi = vmi("Running");
            deleting(vmi);
            cond(vmi, "Paused", "True", null);
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Stopping");
        }

        @Test
        void stoppingWhenHaltedButTheVmiStillRuns() {
            assertThat(printable(vm(), vmi("Running"), "Halted")).isEqualTo("Stopping");
        }

        @Test
        void stoppingOnAStopRequestWinsOverPaused() {
            ObjectNode vm = vm();
            stateChange(vm, "Stop");
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Paused", "True", null);
            assertThat(printable(vm, vmi, "Manual")).isEqualTo("Stopping");
        }

        @Test
        void aStartRequestIsNotAStop() {
            ObjectNode vm = vm();
            stateChange(vm, "Start");
            assertThat(printable(vm, vmi("Running"), "Manual")).isEqualTo("Running");
        }

        @Test
        void pausedWinsOverRunning() {
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Paused", "True", "PausedByUser");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Paused");
        }

        @Test
        void aFalsePausedConditionIsRunning() {
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Paused", "False", null);
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Running");
        }

        @Test
        void runningWinsOverSchedulingAndImageErrors() {
            ObjectNode vmi = vmi("Running");
            cond(vmi, "PodScheduled", "False", "Unschedulable");
            cond(vmi, "Synchronized", "False", "ErrImagePull");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Running");
        }

        @Test
        void errorUnschedulableWinsOverImagePullAndStarting() {
            ObjectNode vmi = vmi("Scheduling");
            cond(vmi, "PodScheduled", "False", "Unschedulable");
            cond(vmi, "Synchronized", "False", "ErrImagePull");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("ErrorUnschedulable");
        }

        @Test
        void podScheduledFalseForAnotherReasonIsNotUnschedulable() {
            ObjectNode vmi = vmi("Scheduling");
            cond(vmi, "PodScheduled", "False", "SchedulingGated");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Starting");
        }

        @Test
        void podScheduledTrueIsNotUnschedulable() {
            ObjectNode vmi = vmi("Scheduled");
            cond(vmi, "PodScheduled", "True", "Unschedulable");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Starting");
        }

        @ParameterizedTest
        @ValueSource(strings = {"ErrImagePull", "ImagePullBackOff"})
        void imagePullErrorsWinOverStarting(String reason) {
            ObjectNode vmi = vmi("Scheduled");
            cond(vmi, "Synchronized", "False", reason);
            assertThat(printable(vm(), vmi, "Always")).isEqualTo(reason);
        }

        @Test
        void otherSyncFailuresStayStarting() {
            ObjectNode vmi = vmi("Scheduled");
            cond(vmi, "Synchronized", "False", "FailedPvcNotFound");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Starting");
        }

        @Test
        void aSynchronizedTrueConditionIsIgnored() {
            ObjectNode vmi = vmi("Scheduled");
            cond(vmi, "Synchronized", "True", "ErrImagePull");
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Starting");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "Pending", "Scheduling", "Scheduled"})
        void unprocessedOrSchedulingVmisAreStarting(String phase) {
            assertThat(printable(vm(), vmi(phase), "Always")).isEqualTo("Starting");
        }

        @Test
        void aVmiWithoutPhaseIsStarting() {
            assertThat(printable(vm(), vmi(null), "Always")).isEqualTo("Starting");
        }

        @Test
        void anExistingVmiInAnUnexpectedPhaseIsUnknown() {
            assertThat(printable(vm(), vmi("Unknown"), "Always")).isEqualTo("Unknown");
            assertThat(printable(vm(), vmi("WaitingForSync"), "Always")).isEqualTo("Unknown");
        }

        @Test
        void crashLoopBackOffWhileTheRetryIsPending() {
            ObjectNode vm = vm();
            startFailure(vm, NOW.plusSeconds(30));
            assertThat(printable(vm, null, "Always")).isEqualTo("CrashLoopBackOff");
            assertThat(printable(vm, vmi("Failed"), "RerunOnFailure")).isEqualTo("CrashLoopBackOff");
        }

        @Test
        void crashLoopBackOffLosesToAStartingVmi() {
            ObjectNode vm = vm();
            startFailure(vm, NOW.plusSeconds(30));
            assertThat(printable(vm, vmi("Pending"), "Always")).isEqualTo("Starting");
        }

        @Test
        void noCrashLoopBackOffOnceTheRetryTimePassed() {
            ObjectNode vm = vm();
            startFailure(vm, NOW.minusSeconds(1));
            assertThat(printable(vm, null, "Always")).isEqualTo("Stopped");
            startFailure(vm, NOW);
            assertThat(printable(vm, null, "Always")).isEqualTo("Stopped");
        }

        @Test
        void noCrashLoopBackOffWhenHalted() {
            ObjectNode vm = vm();
            startFailure(vm, NOW.plusSeconds(30));
            assertThat(printable(vm, null, "Halted")).isEqualTo("Stopped");
        }

        @Test
        void aStartFailureWithoutRetryTimeIsStopped() {
            ObjectNode vm = vm();
            vm.withObjectProperty("status").putObject("startFailure").put("consecutiveFailCount", 1);
            assertThat(printable(vm, null, "Always")).isEqualTo("Stopped");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Succeeded", "Failed"})
        void aFinalVmiIsStopped(String phase) {
            ObjectNode vmi = vmi(phase);
            cond(vmi, "Paused", "True", null);
            assertThat(printable(vm(), vmi, "Always")).isEqualTo("Stopped");
            // a final VMI is not "stopping" even when halted or asked to stop
            ObjectNode vm = vm();
            stateChange(vm, "Stop");
            assertThat(printable(vm, vmi, "Halted")).isEqualTo("Stopped");
        }

        @Test
        void noVmiIsStopped() {
            assertThat(printable(vm(), null, "Halted")).isEqualTo("Stopped");
            assertThat(printable(vm(), null, "Always")).isEqualTo("Stopped");
        }
    }

    @Nested
    class Conditions {
        private static final String T0 = "2024-05-01T10:00:00Z";
        private static final String T1 = "2024-05-01T12:00:00Z";

        private JsonNode find(ArrayNode conds, String type) {
            for (JsonNode c : conds) {
                if (c.path("type").asText().equals(type)) {
                    return c;
                }
            }
            return null;
        }

        @Test
        void readyIsFalseWithVmiNotExistsWithoutVmi() {
            ArrayNode out = VmStatusCalculator.conditions(vm(), null, T1);
            assertThat(out).hasSize(1);
            JsonNode ready = out.get(0);
            assertThat(ready.path("type").asText()).isEqualTo("Ready");
            assertThat(ready.path("status").asText()).isEqualTo("False");
            assertThat(ready.path("reason").asText()).isEqualTo("VMINotExists");
            assertThat(ready.path("message").asText()).isEqualTo("VMI does not exist");
            assertThat(ready.path("lastTransitionTime").asText()).isEqualTo(T1);
            assertThat(ready.has("lastProbeTime")).isTrue();
            assertThat(ready.get("lastProbeTime").isNull()).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {"Succeeded", "Failed"})
        void aFinalVmiCountsAsNoVmi(String phase) {
            ObjectNode vmi = vmi(phase);
            cond(vmi, "Ready", "True", null);
            JsonNode ready = find(VmStatusCalculator.conditions(vm(), vmi, T1), "Ready");
            assertThat(ready.path("status").asText()).isEqualTo("False");
            assertThat(ready.path("reason").asText()).isEqualTo("VMINotExists");
        }

        @Test
        void readyIsCopiedFromTheVmi() {
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Ready", "True", null);
            JsonNode ready = find(VmStatusCalculator.conditions(vm(), vmi, T1), "Ready");
            assertThat(ready.path("status").asText()).isEqualTo("True");
            assertThat(ready.has("reason")).isFalse();
            assertThat(ready.has("message")).isFalse();
            assertThat(ready.path("lastTransitionTime").asText()).isEqualTo(T1);
        }

        @Test
        void readyReasonAndMessageAreCopied() {
            ObjectNode vmi = vmi("Scheduling");
            cond(vmi, "Ready", "False", "GuestNotRunning").put("message", "Guest VM is not reported as running");
            JsonNode ready = find(VmStatusCalculator.conditions(vm(), vmi, T1), "Ready");
            assertThat(ready.path("status").asText()).isEqualTo("False");
            assertThat(ready.path("reason").asText()).isEqualTo("GuestNotRunning");
            assertThat(ready.path("message").asText()).isEqualTo("Guest VM is not reported as running");
        }

        @Test
        void aVmiWithoutReadyConditionIsNotReady() {
            JsonNode ready = find(VmStatusCalculator.conditions(vm(), vmi("Scheduled"), T1), "Ready");
            assertThat(ready.path("status").asText()).isEqualTo("False");
            assertThat(ready.path("reason").asText()).isEqualTo("VMINotExists");
        }

        @Test
        void lastTransitionTimeIsKeptWhileTheStatusDoesNotChange() {
            ObjectNode vm = vm();
            cond(vm, "Ready", "True", null).put("lastTransitionTime", T0);
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Ready", "True", null);
            JsonNode ready = find(VmStatusCalculator.conditions(vm, vmi, T1), "Ready");
            assertThat(ready.path("lastTransitionTime").asText()).isEqualTo(T0);
        }

        @Test
        void lastTransitionTimeMovesWhenTheStatusChanges() {
            ObjectNode vm = vm();
            cond(vm, "Ready", "False", "VMINotExists").put("lastTransitionTime", T0);
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Ready", "True", null);
            JsonNode ready = find(VmStatusCalculator.conditions(vm, vmi, T1), "Ready");
            assertThat(ready.path("status").asText()).isEqualTo("True");
            assertThat(ready.path("lastTransitionTime").asText()).isEqualTo(T1);
        }

        @Test
        void anOldConditionWithoutTimestampGetsNow() {
            ObjectNode vm = vm();
            cond(vm, "Ready", "True", null).putNull("lastTransitionTime");
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Ready", "True", null);
            JsonNode ready = find(VmStatusCalculator.conditions(vm, vmi, T1), "Ready");
            assertThat(ready.path("lastTransitionTime").asText()).isEqualTo(T1);
        }

        @Test
        void pausedIsMirroredWithDefaults() {
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Ready", "False", "Paused");
            cond(vmi, "Paused", "True", null);
            ArrayNode out = VmStatusCalculator.conditions(vm(), vmi, T1);
            JsonNode paused = find(out, "Paused");
            assertThat(paused).isNotNull();
            assertThat(paused.path("status").asText()).isEqualTo("True");
            assertThat(paused.path("reason").asText()).isEqualTo("PausedByUser");
            assertThat(paused.path("message").asText()).isEqualTo("VMI was paused by user");
            assertThat(paused.path("lastTransitionTime").asText()).isEqualTo(T1);
            assertThat(paused.get("lastProbeTime").isNull()).isTrue();
        }

        @Test
        void pausedKeepsTheVmisReasonAndMessageAndTheOldTransitionTime() {
            ObjectNode vm = vm();
            cond(vm, "Paused", "True", "PausedIOError").put("lastTransitionTime", T0);
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Paused", "True", "PausedIOError").put("message", "VMI was paused, low-level IO error detected");
            JsonNode paused = find(VmStatusCalculator.conditions(vm, vmi, T1), "Paused");
            assertThat(paused.path("reason").asText()).isEqualTo("PausedIOError");
            assertThat(paused.path("message").asText()).isEqualTo("VMI was paused, low-level IO error detected");
            assertThat(paused.path("lastTransitionTime").asText()).isEqualTo(T0);
        }

        @Test
        void noPausedConditionWhenTheVmiIsNotPaused() {
            ObjectNode vm = vm();
            cond(vm, "Paused", "True", "PausedByUser").put("lastTransitionTime", T0);
            ObjectNode vmi = vmi("Running");
            cond(vmi, "Paused", "False", null);
            ArrayNode out = VmStatusCalculator.conditions(vm, vmi, T1);
            assertThat(find(out, "Paused")).isNull();
            assertThat(find(VmStatusCalculator.conditions(vm, null, T1), "Paused")).isNull();
        }

        @Test
        void theVmsFailureConditionIsKept() {
            ObjectNode vm = vm();
            ObjectNode failure = cond(vm, "Failure", "True", "FailedCreate");
            failure.put("message", "admission webhook denied the request");
            ArrayNode out = VmStatusCalculator.conditions(vm, null, T1);
            assertThat(out).hasSize(2);
            assertThat(find(out, "Failure")).isEqualTo(failure);
            assertThat(out.get(0).path("type").asText()).isEqualTo("Ready");
        }

        @Test
        void otherVmConditionsAreDropped() {
            ObjectNode vm = vm();
            cond(vm, "RestartRequired", "True", null);
            assertThat(find(VmStatusCalculator.conditions(vm, null, T1), "RestartRequired")).isNull();
        }
    }

    @Test
    void helpers() {
        ObjectNode vm = vm();
        assertThat(VmStatusCalculator.isFinal(null)).isFalse();
        assertThat(VmStatusCalculator.isFinal(vmi("Running"))).isFalse();
        assertThat(VmStatusCalculator.isFinal(vmi("Failed"))).isTrue();
        assertThat(VmStatusCalculator.deleting(null)).isFalse();
        assertThat(VmStatusCalculator.deleting(vm)).isFalse();
        deleting(vm);
        assertThat(VmStatusCalculator.deleting(vm)).isTrue();
        stateChange(vm, "Start");
        assertThat(VmStatusCalculator.hasRequest(vm, "Start")).isTrue();
        assertThat(VmStatusCalculator.hasRequest(vm, "Stop")).isFalse();
        assertThat(VmStatusCalculator.conditionTrue(null, "Ready")).isFalse();
    }
}
