package io.jvirt.launcher.libvirt;

import java.util.List;

/**
 * libvirt's {@code virDomainState}, with the reasons of each state's {@code vir<State>Reason} enum named after the
 * enum constants, lower-case with hyphens ({@code VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT} → {@code from-snapshot}).
 *
 * <p>The node agent maps state + reason to a VMI phase the way KubeVirt's virt-handler does
 * ({@code calculateVmPhaseForStatusReason}): running/blocked/paused/pmsuspended → Running; shutoff with reason
 * shutdown/saved/from-snapshot → Succeeded; crashed, or shutoff with reason crashed → Failed; shutoff destroyed →
 * Failed when the VMI had ACPI and its grace period expired, else Succeeded.
 */
public enum DomainState {
    /** {@code VIR_DOMAIN_NOSTATE} */
    NOSTATE(0, "nostate", List.of("unknown")),
    /** {@code VIR_DOMAIN_RUNNING}, reasons {@code virDomainRunningReason} */
    RUNNING(1, "running", List.of("unknown", "booted", "migrated", "restored", "from-snapshot", "unpaused",
            "migration-canceled", "save-canceled", "wakeup", "crashed", "post-copy", "post-copy-failed")),
    /** {@code VIR_DOMAIN_BLOCKED} (running but blocked on a resource) */
    BLOCKED(2, "blocked", List.of("unknown")),
    /** {@code VIR_DOMAIN_PAUSED}, reasons {@code virDomainPausedReason} */
    PAUSED(3, "paused", List.of("unknown", "user", "migration", "save", "dump", "ioerror", "watchdog",
            "from-snapshot", "shutdown", "snapshot", "panicked", "starting-up", "post-copy", "post-copy-failed",
            "api-error")),
    /** {@code VIR_DOMAIN_SHUTDOWN}: being shut down, reasons {@code virDomainShutdownReason} */
    SHUTDOWN(4, "shutdown", List.of("unknown", "user")),
    /** {@code VIR_DOMAIN_SHUTOFF}, reasons {@code virDomainShutoffReason} */
    SHUTOFF(5, "shutoff", List.of("unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
            "from-snapshot", "daemon")),
    /** {@code VIR_DOMAIN_CRASHED}, reasons {@code virDomainCrashedReason} */
    CRASHED(6, "crashed", List.of("unknown", "panicked")),
    /** {@code VIR_DOMAIN_PMSUSPENDED}, reasons {@code virDomainPMSuspendedReason} */
    PMSUSPENDED(7, "pmsuspended", List.of("unknown"));

    // Reason codes used by callers (values of libvirt's reason enums).
    public static final int SHUTOFF_UNKNOWN = 0;
    public static final int SHUTOFF_SHUTDOWN = 1;
    public static final int SHUTOFF_DESTROYED = 2;
    public static final int SHUTOFF_CRASHED = 3;
    public static final int SHUTOFF_MIGRATED = 4;
    public static final int SHUTOFF_SAVED = 5;
    public static final int SHUTOFF_FAILED = 6;
    public static final int SHUTOFF_FROM_SNAPSHOT = 7;
    public static final int SHUTOFF_DAEMON = 8;
    public static final int PAUSED_USER = 1;
    public static final int PAUSED_IOERROR = 5;
    public static final int PAUSED_STARTING_UP = 11;
    public static final int RUNNING_BOOTED = 1;
    public static final int RUNNING_UNPAUSED = 5;
    public static final int CRASHED_PANICKED = 1;

    private final int code;
    private final String libvirtName;
    private final List<String> reasons;

    DomainState(int code, String libvirtName, List<String> reasons) {
        this.code = code;
        this.libvirtName = libvirtName;
        this.reasons = reasons;
    }

    /** The {@code virDomainState} value. */
    public int code() {
        return code;
    }

    /** Lower-case name as libvirt prints it ({@code running}, {@code shutoff}, ...). */
    public String libvirtName() {
        return libvirtName;
    }

    /** Name of a reason code of this state ({@code "destroyed"} for SHUTOFF/2); {@code "reason-<n>"} if unknown. */
    public String reasonName(int reason) {
        return reason >= 0 && reason < reasons.size() ? reasons.get(reason) : "reason-" + reason;
    }


    public static DomainState fromCode(int code) {
        for (DomainState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return NOSTATE;
    }
}
