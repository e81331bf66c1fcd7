package io.jvirt.launcher.domain;

/**
 * A VMI (or the node context prepared for it) cannot be turned into a libvirt domain. The message names the VMI field
 * at fault, e.g. {@code spec.domain.devices.disks[1].name: volume 'data' not found in spec.volumes}.
 */
public class ConversionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConversionException(String message) {
        super(message);
    }

    /** A message of the form {@code <field>: <problem>}. */
    static ConversionException at(String field, String problem) {
        return new ConversionException(field + ": " + problem);
    }
}
