package io.jvirt.launcher.libvirt;

/** The named domain is not defined in libvirt ({@code VIR_ERR_NO_DOMAIN}). */
public class DomainNotFoundException extends HypervisorException {

    public DomainNotFoundException(String message, int libvirtCode, Throwable cause) {
        super(message, libvirtCode, cause);
    }
}
