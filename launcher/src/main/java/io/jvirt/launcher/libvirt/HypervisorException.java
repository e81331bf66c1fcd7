package io.jvirt.launcher.libvirt;

/**
 * Any failure of the hypervisor layer. The message is libvirt's own error message where libvirt produced one (e.g.
 * {@code Requested operation is not valid: domain is not running}).
 *
 * <p>Subclasses: {@link DomainNotFoundException} (no such domain), {@link InvalidDomainStateException} (the operation
 * does not fit the domain's current state), {@link GuestAgentException} (a guest agent command failed) and
 * {@link HypervisorConnectionException} (libvirtd not reachable or the connection broke; the caller may retry).
 */
public class HypervisorException extends RuntimeException {

    /** libvirt's {@code virErrorNumber}, or -1 when the error did not come from libvirt. */
    private final int libvirtCode;

    public HypervisorException(String message) {
        this(message, -1, null);
    }

    public HypervisorException(String message, Throwable cause) {
        this(message, -1, cause);
    }

    public HypervisorException(String message, int libvirtCode, Throwable cause) {
        super(message, cause);
        this.libvirtCode = libvirtCode;
    }

    /** libvirt's {@code virErrorNumber} (e.g. 42 = VIR_ERR_NO_DOMAIN, 55 = VIR_ERR_OPERATION_INVALID), or -1. */
    public int libvirtCode() {
        return libvirtCode;
    }
}
