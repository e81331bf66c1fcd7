package io.jvirt.launcher.libvirt;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A domain as libvirt reports it ({@code virDomainGetState}).
 *
 * @param name       domain name
 * @param uuid       domain UUID (lower-case, with dashes)
 * @param state      libvirt state
 * @param reasonCode libvirt's reason code for that state ({@code vir<State>Reason})
 * @param reason     the reason's name ({@link DomainState#reasonName})
 * @param active     whether a QEMU process exists ({@code virDomainIsActive})
 * @param persistent whether the domain is defined (survives shutdown), as opposed to transient
 * @param qemuPid    pid of the QEMU process when the domain is active and libvirt's pid file could be read
 */
public record DomainStatus(String name, String uuid, DomainState state, int reasonCode, String reason, boolean active,
                           boolean persistent, OptionalLong qemuPid) {

    public DomainStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(qemuPid, "qemuPid");
        if (reason == null) {
            reason = state.reasonName(reasonCode);
        }
    }

    /** {@code state (reason)}, like {@code virsh domstate --reason}. */
    public String describe() {
        return state.libvirtName() + " (" + reason + ")";
    }
}
