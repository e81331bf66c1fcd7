package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * {@code <os>}: architecture and machine type, firmware (BIOS by default; EFI through OVMF with an explicit pflash
 * loader and per-VMI NVRAM, Secure Boot by default, which turns SMM on), {@code <bios useserial>}, and direct kernel
 * boot from a kernelBoot container (kernel/initrd extracted into {@link ConverterContext#kernelBootDir()}).
 */
final class OsConfigurator implements DomainConfigurator {

    private static final String BOOTLOADER = Vmi.FIRMWARE + ".bootloader";
    private static final String KERNEL_BOOT = Vmi.FIRMWARE + ".kernelBoot";

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        String architecture = Json.text(vmi.spec(), "architecture", Vmi.SPEC);
        if (architecture != null && !architecture.equals("amd64")) {
            throw ConversionException.at("spec.architecture", "'" + architecture + "' is not supported (amd64 only)");
        }
        String machine = Json.text(Json.object(vmi.domain(), "machine", Vmi.DOMAIN), "type", "spec.domain.machine");
        XmlElement type = new XmlElement("type").attr("arch", "x86_64")
                .attr("machine", machine == null ? "q35" : machine).text("hvm");
        // <type> comes first; IdentityConfigurator may already have added <smbios>.
        domain.os.children().add(0, type);

        JsonNode firmware = vmi.firmware();
        if (Json.has(firmware, "acpi")) {
            throw ConversionException.at(Vmi.FIRMWARE + ".acpi", "ACPI SLIC/MSDM tables are not supported yet");
        }
        JsonNode bootloader = Json.object(firmware, "bootloader", Vmi.FIRMWARE);
        JsonNode bios = Json.object(bootloader, "bios", BOOTLOADER);
        if (Json.isSet(bios) && vmi.isEfi()) {
            throw ConversionException.at(BOOTLOADER, "set only one of bios and efi");
        }
        if (vmi.isEfi()) {
            efi(vmi, ctx, domain);
        }
        kernelBoot(Json.object(firmware, "kernelBoot", Vmi.FIRMWARE), ctx, domain);
        if (Json.bool(bios, "useSerial", false, BOOTLOADER + ".bios")) {
            domain.os.child("bios").attr("useserial", "yes");
        }
    }

    private static void efi(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        boolean secure = vmi.isSecureBoot();
        String field = BOOTLOADER + ".efi";
        XmlElement smm = domain.features.get("smm");
        if (secure && smm != null && "off".equals(smm.attr("state"))) {
            throw ConversionException.at(field + ".secureBoot", "Secure Boot requires SMM, but "
                    + "spec.domain.features.smm.enabled is false");
        }
        Path code = secure ? ctx.efiSecureBootCode() : ctx.efiCode();
        if (code == null) {
            throw ConversionException.at(field, "no OVMF " + (secure ? "Secure Boot " : "") + "firmware is "
                    + "available on this node" + (secure ? " (set secureBoot: false to boot without it)" : ""));
        }
        if (ctx.efiVars() == null) {
            throw ConversionException.at(field, "no NVRAM path was prepared for this VMI");
        }
        Path template = secure && ctx.efiSecureBootVarsTemplate() != null
                ? ctx.efiSecureBootVarsTemplate() : ctx.efiVarsTemplate();

        domain.os.child("loader").attr("readonly", "yes").attr("secure", secure ? "yes" : "no")
                .attr("type", "pflash").text(code.toString());
        domain.os.child("nvram").attr("template", template == null ? null : template.toString())
                .text(ctx.efiVars().toString());
        if (secure) {
            domain.feature("smm").attr("state", "on");
        }
    }

    private static void kernelBoot(JsonNode kernelBoot, ConverterContext ctx, DomainSpec domain) {
        if (!Json.isSet(kernelBoot)) {
            return;
        }
        JsonNode container = Json.object(kernelBoot, "container", KERNEL_BOOT);
        String kernelArgs = Json.text(kernelBoot, "kernelArgs", KERNEL_BOOT);
        if (!Json.isSet(container)) {
            if (kernelArgs != null) {
                throw ConversionException.at(KERNEL_BOOT + ".kernelArgs", "requires " + KERNEL_BOOT + ".container "
                        + "with a kernelPath");
            }
            return;
        }
        String containerPath = KERNEL_BOOT + ".container";
        String kernelPath = Json.text(container, "kernelPath", containerPath);
        String initrdPath = Json.text(container, "initrdPath", containerPath);
        if (kernelPath == null) {
            throw ConversionException.at(containerPath + ".kernelPath", "is required for direct kernel boot");
        }
        if (ctx.kernelBootDir() == null) {
            throw ConversionException.at(containerPath, "the kernel boot image was not extracted on this node");
        }
        domain.os.textChild("kernel", artifact(ctx.kernelBootDir(), kernelPath, containerPath + ".kernelPath"));
        if (initrdPath != null) {
            domain.os.textChild("initrd", artifact(ctx.kernelBootDir(), initrdPath, containerPath + ".initrdPath"));
        }
        if (kernelArgs != null) {
            domain.os.textChild("cmdline", kernelArgs);
        }
    }

    /** {@code <kernelBootDir>/<basename of the path inside the image>}. */
    private static String artifact(Path dir, String pathInImage, String field) {
        Path fileName;
        try {
            fileName = Path.of(pathInImage).getFileName();
        } catch (InvalidPathException e) {
            throw ConversionException.at(field, "'" + pathInImage + "' is not a valid path");
        }
        if (fileName == null || fileName.toString().equals("..") || fileName.toString().equals(".")) {
            throw ConversionException.at(field, "'" + pathInImage + "' does not name a file");
        }
        return dir.resolve(fileName.toString()).toString();
    }
}
