package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Domain identity and lifecycle: {@code type} (kvm or qemu), {@code <name>} {@code <namespace>_<name>}, {@code <uuid>},
 * the jvirt {@code <metadata>} element (namespace, name and uid of the VMI, read back by the node agent to re-adopt
 * domains), SMBIOS serial, {@code <emulator>} and the {@code on_*} actions.
 */
final class IdentityConfigurator implements DomainConfigurator {

    private static final Pattern UUID_FORMAT =
            Pattern.compile("\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        String namespace = vmi.namespace();
        String name = vmi.name();
        domain.type = ctx.kvm() ? "kvm" : "qemu";
        domain.name = DomainConverter.domainName(namespace, name);
        domain.uuid = uuid(vmi, namespace, name);

        XmlElement metadata = new XmlElement("metadata");
        XmlElement jvirt = metadata.child(DomainConverter.METADATA_PREFIX + ":vmi")
                .attr("xmlns:" + DomainConverter.METADATA_PREFIX, DomainConverter.METADATA_NAMESPACE);
        String p = DomainConverter.METADATA_PREFIX + ":";
        jvirt.textChild(p + "namespace", namespace);
        jvirt.textChild(p + "name", name);
        String uid = vmi.uid();
        if (uid != null) {
            jvirt.textChild(p + "uid", uid);
        }
        domain.metadata = metadata;

        String serial = Json.text(vmi.firmware(), "serial", Vmi.FIRMWARE);
        if (serial != null) {
            // <sysinfo> carries the SMBIOS system serial; libvirt requires its uuid entry to match <uuid>.
            XmlElement sysinfo = new XmlElement("sysinfo").attr("type", "smbios");
            XmlElement system = sysinfo.child("system");
            system.child("entry").attr("name", "uuid").text(domain.uuid);
            system.child("entry").attr("name", "serial").text(serial);
            domain.sysinfo = sysinfo;
            domain.os.child("smbios").attr("mode", "sysinfo");
        }

        if (ctx.emulator() == null || ctx.emulator().isBlank()) {
            throw new ConversionException("no QEMU emulator path in the converter context");
        }
        domain.devices.emulator = ctx.emulator();

        String rebootPolicy = Json.text(vmi.domain(), "rebootPolicy", Vmi.DOMAIN);
        if (rebootPolicy != null) {
            switch (rebootPolicy) {
                case "Reboot" -> domain.onReboot = "restart";
                case "Terminate" -> domain.onReboot = "destroy";
                default -> throw ConversionException.at(Vmi.DOMAIN + ".rebootPolicy",
                        "'" + rebootPolicy + "' is not supported (Reboot or Terminate)");
            }
        }
    }

    /** {@code spec.domain.firmware.uuid}, else a name-based (v3) UUID of {@code <namespace>/<name>}. */
    static String uuid(Vmi vmi, String namespace, String name) {
        JsonNode firmware = vmi.firmware();
        String explicit = Json.text(firmware, "uuid", Vmi.FIRMWARE);
        if (explicit != null) {
            if (!UUID_FORMAT.matcher(explicit).matches()) {
                throw ConversionException.at(Vmi.FIRMWARE + ".uuid", "'" + explicit + "' is not a UUID");
            }
            return explicit.toLowerCase(Locale.ROOT);
        }
        return UUID.nameUUIDFromBytes((namespace + "/" + name).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
