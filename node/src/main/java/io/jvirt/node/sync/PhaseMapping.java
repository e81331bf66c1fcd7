package io.jvirt.node.sync;

/**
 * Domain state → VMI phase, as virt-handler maps it (vm.go calculateVmPhaseForStatusReason): running, blocked,
 * paused and pmsuspended are Running; shut off because the guest shut down (or saved / from snapshot) is Succeeded;
 * crashed is Failed; destroyed is Failed when ACPI is on (the grace period ran out) and Succeeded otherwise.
 */
public final class PhaseMapping {
    private PhaseMapping() {
    }

    /** @return the VMI phase, or null while the domain is in transition (keep the current phase) */
    public static String phase(GuestRuntime.GuestStatus s, boolean acpiEnabled) {
        return switch (s.state()) {
            case "running", "blocked", "paused", "pmsuspended" -> "Running";
            case "shutdown" -> null; // shutting down: still the current phase
            case "crashed" -> "Failed";
            case "shutoff" -> switch (s.reason() == null ? "" : s.reason()) {
                case "shutdown", "saved", "from-snapshot", "from_snapshot" -> "Succeeded";
                case "destroyed" -> acpiEnabled ? "Failed" : "Succeeded";
                case "crashed", "failed" -> "Failed";
                default -> "Failed";
            };
            default -> null;
        };
    }
}
