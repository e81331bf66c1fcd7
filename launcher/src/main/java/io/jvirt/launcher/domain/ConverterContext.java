package io.jvirt.launcher.domain;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything the pure VMI → domain conversion needs to know about the node and the prepared VMI, so that
 * {@link DomainConverter} does no I/O.
 *
 * @param kvm           true: {@code <domain type="kvm">}; false: software emulation ({@code type="qemu"}, TCG)
 * @param emulator      path of the QEMU binary
 * @param disks         prepared volumes by volume name
 * @param serialSocket  unix socket of serial port 0 (null when autoattachSerialConsole is false)
 * @param vncSocket     unix socket of the VNC server (null when autoattachGraphicsDevice is false)
 * @param guestAgentSocket unix socket of the qemu-guest-agent channel (null: libvirt picks the path)
 * @param efiCode       OVMF code image (used only for EFI guests), e.g. /usr/share/OVMF/OVMF_CODE_4M.fd
 * @param efiSecureBootCode OVMF code image with Secure Boot (OVMF_CODE_4M.ms.fd or .secboot.fd)
 * @param efiVarsTemplate OVMF vars template matching the code image
 * @param efiVars       per-VMI writable NVRAM file path
 * @param kernelBootDir directory holding the extracted kernel/initrd of a kernelBoot container, or null
 * @param efiSecureBootVarsTemplate OVMF vars template for Secure Boot guests, with the Microsoft/distribution keys
 *                      enrolled (e.g. OVMF_VARS_4M.ms.fd), so that Secure Boot is actually enforced; null: use
 *                      {@code efiVarsTemplate}
 */
public record ConverterContext(boolean kvm, String emulator, Map<String, PreparedDisk> disks, Path serialSocket,
                               Path vncSocket, Path guestAgentSocket, Path efiCode, Path efiSecureBootCode,
                               Path efiVarsTemplate, Path efiVars, Path kernelBootDir,
                               Path efiSecureBootVarsTemplate) {

    public ConverterContext {
        disks = disks == null ? Map.of() : Map.copyOf(disks);
    }

    /** The original eleven-component form: no separate Secure Boot vars template. */
    public ConverterContext(boolean kvm, String emulator, Map<String, PreparedDisk> disks, Path serialSocket,
                            Path vncSocket, Path guestAgentSocket, Path efiCode, Path efiSecureBootCode,
                            Path efiVarsTemplate, Path efiVars, Path kernelBootDir) {
        this(kvm, emulator, disks, serialSocket, vncSocket, guestAgentSocket, efiCode, efiSecureBootCode,
                efiVarsTemplate, efiVars, kernelBootDir, null);
    }
}
