package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rejects VMI fields that ask for guest hardware jvirt cannot provide yet, so that a VMI does not silently start
 * without a device it declares. (Tuning that is merely not applied yet — CPU and memory hotplug — is ignored instead:
 * the guest still runs correctly.)
 */
final class UnsupportedFieldsCheck implements DomainConfigurator {

    private static final String[] UNSUPPORTED_DEVICE_LISTS = {"gpus", "hostDevices", "filesystems"};

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        JsonNode devices = vmi.devices();
        for (String list : UNSUPPORTED_DEVICE_LISTS) {
            if (!Json.array(devices, list, Vmi.DEVICES).isEmpty()) {
                throw ConversionException.at(Vmi.DEVICES + "." + list, "is not supported yet");
            }
        }
        JsonNode tpm = Json.object(devices, "tpm", Vmi.DEVICES);
        if (Json.isSet(tpm) && Json.bool(tpm, "enabled", true, Vmi.DEVICES + ".tpm")) {
            throw ConversionException.at(Vmi.DEVICES + ".tpm", "an emulated TPM is not supported yet");
        }
        if (Json.has(devices, "clientPassthrough")) {
            throw ConversionException.at(Vmi.DEVICES + ".clientPassthrough", "USB redirection is not supported yet");
        }
        if (Json.has(devices, "downwardMetrics")) {
            throw ConversionException.at(Vmi.DEVICES + ".downwardMetrics", "is not supported yet");
        }
        if (Json.bool(devices, "autoattachVSOCK", false, Vmi.DEVICES)) {
            throw ConversionException.at(Vmi.DEVICES + ".autoattachVSOCK", "VSOCK devices are not supported yet");
        }
        if (Json.has(vmi.domain(), "launchSecurity")) {
            throw ConversionException.at(Vmi.DOMAIN + ".launchSecurity", "confidential computing (SEV/TDX) is not "
                    + "supported");
        }
    }
}
