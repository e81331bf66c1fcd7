package io.jvirt.launcher.libvirt;

/**
 * The operation is not valid in the domain's current state, e.g. pausing a shut-off domain or starting a running one
 * ({@code VIR_ERR_OPERATION_INVALID}).
 */
public class InvalidDomainStateException extends HypervisorException {

    public InvalidDomainStateException(String message, int libvirtCode, Throwable cause) {
        super(message, libvirtCode, cause);
    }
}
