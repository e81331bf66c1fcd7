package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.libvirt.DomainDevices;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/** What the VMI sync loop needs from the launcher: run guests and tell how they are. */
public interface GuestRuntime {

    /** A guest as the hypervisor sees it. {@code state} and {@code reason} use libvirt's names (lower case). */
    record GuestStatus(String namespace, String name, String vmiUid, String state, String reason, Integer qemuPid) {
        public boolean active() {
            return state.equals("running") || state.equals("blocked") || state.equals("paused")
                    || state.equals("pmsuspended") || state.equals("shutdown");
        }
    }

    /**
     * Prepares disks and starts the guest, pinned per {@code pinning} when the node's CPU manager allocated CPUs for
     * it (null otherwise). Throws {@link GuestException} with a reason KubeVirt would show.
     */
    void start(ObjectNode vmi, Function<String, Map<String, String>> secrets,
               io.jvirt.launcher.runtime.VmiRuntime.Pinning pinning);

    /** ACPI power button. */
    void shutdown(String namespace, String name);

    /** Immediate stop. */
    void kill(String namespace, String name);

    void pause(String namespace, String name);

    void unpause(String namespace, String name);

    void softReboot(String namespace, String name);

    Optional<GuestStatus> status(String namespace, String name);

    /** Every guest this node's runtime owns (for re-adoption after a restart). */
    List<GuestStatus> list();

    /** Undefines the guest and removes its files. */
    void cleanup(String namespace, String name);

    Path serialSocket(String namespace, String name);

    Path vncSocket(String namespace, String name);

    /** Called with (namespace, name) whenever a guest's state changes. */
    void onChange(Consumer<String[]> listener);

    /** Whether guests use KVM (false: software emulation). */
    boolean kvm();

    /**
     * The guest agent channel's state and the NICs of a guest, from the hypervisor's live domain (no agent call);
     * empty if there is no such guest.
     */
    Optional<DomainDevices> devices(String namespace, String name);

    /**
     * Runs a QEMU guest agent command without arguments (e.g. {@code guest-get-osinfo}) and returns its
     * {@code return} value. Blocks for at most a few seconds (the launcher's agent timeout).
     *
     * @throws AgentException no agent connected, no reply in time, or an error reply
     */
    JsonNode agentCommand(String namespace, String name, String command);

    /** Called with (namespace, name) whenever a guest's agent connects or disconnects. */
    void onAgentChange(Consumer<String[]> listener);

    /** A guest agent command that did not succeed. */
    final class AgentException extends RuntimeException {
        public AgentException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A failure to run a guest, with a machine-readable reason (e.g. ErrImagePull) for the VMI's conditions. */
    final class GuestException extends RuntimeException {
        private final String reason;

        public GuestException(String reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }
}
