package io.jvirt.launcher.libvirt;

/**
 * libvirtd could not be reached, or the connection broke during the call. Whether a mutating call took effect is then
 * unknown; the connection is re-established in the background and the caller may retry (after checking
 * {@link Hypervisor#status}).
 */
public class HypervisorConnectionException extends HypervisorException {

    public HypervisorConnectionException(String message, int libvirtCode, Throwable cause) {
        super(message, libvirtCode, cause);
    }
}
