package io.jvirt.launcher.libvirt;

/**
 * A guest agent command did not succeed: no agent connected, no reply in time ({@code VIR_ERR_AGENT_UNRESPONSIVE},
 * {@link #unresponsive()}), or the agent answered with an error (e.g. {@code CommandNotFound}, which libvirt reports
 * as an internal error with the agent's description).
 */
public class GuestAgentException extends HypervisorException {

    /** {@code VIR_ERR_AGENT_UNRESPONSIVE}: "Guest agent is not responding: QEMU guest agent is not connected". */
    static final int VIR_ERR_AGENT_UNRESPONSIVE = 86;

    public GuestAgentException(String message, int libvirtCode, Throwable cause) {
        super(message, libvirtCode, cause);
    }

    /** Whether no agent is connected or it did not answer (rather than answering with an error). */
    public boolean unresponsive() {
        return libvirtCode() == VIR_ERR_AGENT_UNRESPONSIVE;
    }
}
