package io.jvirt.node.sync;

import io.jvirt.launcher.libvirt.DomainState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * libvirt domain state/reason → VMI phase, after virt-handler's {@code calculateVmPhaseForStatusReason}
 * (kubevirt.md §1.2 step 8). {@code null} means "keep the VMI's current phase".
 */
class PhaseMappingTest {

    private static String phase(String state, String reason, boolean acpi) {
        return PhaseMapping.phase(new GuestRuntime.GuestStatus("ns", "vm", "uid", state, reason, 42), acpi);
    }

    /** KubeVirt: Running/Blocked/Paused/PMSuspended → Running, whatever the reason. */
    @Test
    void everyRunningLikeStateAndReasonIsRunning() {
        for (DomainState s : List.of(DomainState.RUNNING, DomainState.BLOCKED, DomainState.PAUSED,
                DomainState.PMSUSPENDED)) {
            for (String reason : reasons(s)) {
                for (boolean acpi : new boolean[]{true, false}) {
                    assertThat(phase(s.libvirtName(), reason, acpi)).as("%s/%s", s.libvirtName(), reason)
                            .isEqualTo("Running");
                }
            }
            assertThat(phase(s.libvirtName(), null, true)).isEqualTo("Running");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shutdown", "saved", "from-snapshot"})
    void shutOffByTheGuestIsSucceeded(String reason) {
        assertThat(phase("shutoff", reason, true)).isEqualTo("Succeeded");
        assertThat(phase("shutoff", reason, false)).isEqualTo("Succeeded");
    }

    @Test
    void destroyedDependsOnAcpi() {
        // with ACPI the guest was asked to shut down and the grace period ran out: Failed
        assertThat(phase("shutoff", "destroyed", true)).isEqualTo("Failed");
        // without ACPI destroying is the only way to stop it: Succeeded
        assertThat(phase("shutoff", "destroyed", false)).isEqualTo("Succeeded");
    }

    @ParameterizedTest
    @CsvSource({"shutoff,crashed", "crashed,panicked"})
    void crashedOrPanickedIsFailed(String state, String reason) {
        assertThat(phase(state, reason, true)).isEqualTo("Failed");
        assertThat(phase(state, reason, false)).isEqualTo("Failed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"unknown", "user"})
    void shuttingDownKeepsThePhase(String reason) {
        assertThat(phase("shutdown", reason, true)).isNull();
        assertThat(phase("shutdown", reason, false)).isNull();
    }

    @Test
    void noStateKeepsThePhase() {
        assertThat(phase("nostate", "unknown", true)).isNull();
    }

    @Test
    void anUnknownStateKeepsThePhase() {
        assertThat(phase("something-new", "unknown", true)).isNull();
    }

    /**
     * Reasons KubeVirt does not map (it keeps the current phase): jvirt treats a domain that is off for any other
     * reason as Failed, and a crashed domain as Failed whatever the reason, so a VMI never stays Running or
     * Scheduled on a domain that is gone.
     */
    @Test
    void otherShutoffReasonsAndAnyCrashAreFailedInJvirt() {
        for (String reason : List.of("unknown", "failed", "daemon", "migrated")) {
            assertThat(phase("shutoff", reason, true)).as(reason).isEqualTo("Failed");
            assertThat(phase("shutoff", reason, false)).as(reason).isEqualTo("Failed");
        }
        assertThat(phase("shutoff", null, true)).isEqualTo("Failed");
        assertThat(phase("crashed", "unknown", false)).isEqualTo("Failed");
        assertThat(phase("crashed", null, false)).isEqualTo("Failed");
    }

    /** Every state and reason the launcher can report maps to a phase or to "keep". */
    @Test
    void everyLibvirtStateAndReasonIsMapped() {
        List<String> seen = new ArrayList<>();
        for (DomainState s : DomainState.values()) {
            for (String reason : reasons(s)) {
                for (boolean acpi : new boolean[]{true, false}) {
                    String p = phase(s.libvirtName(), reason, acpi);
                    assertThat(p).as("%s/%s acpi=%s", s.libvirtName(), reason, acpi)
                            .isIn(null, "Running", "Succeeded", "Failed");
                    boolean transitional = s == DomainState.NOSTATE || s == DomainState.SHUTDOWN;
                    assertThat(p == null).as("%s/%s keeps the phase", s.libvirtName(), reason).isEqualTo(transitional);
                    seen.add(s.libvirtName() + "/" + reason);
                }
            }
        }
        assertThat(seen).contains("shutoff/from-snapshot", "shutoff/destroyed", "crashed/panicked",
                "paused/ioerror", "pmsuspended/unknown");
    }

    /** The reasons of a state, as the launcher names them (codes 0.. until the first unnamed one). */
    private static List<String> reasons(DomainState s) {
        List<String> out = new ArrayList<>();
        for (int code = 0; !s.reasonName(code).startsWith("reason-"); code++) {
            out.add(s.reasonName(code));
        }
        assertThat(out).isNotEmpty();
        return out;
    }
}
