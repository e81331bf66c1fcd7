package io.jvirt.launcher.domain;

import io.jvirt.placement.NumaNode;
import io.jvirt.placement.Outcome;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
 * @param placement     where the node placed a {@code dedicatedCpuPlacement} VMI (the fitter's allocation: vCPU pins,
 *                      emulator CPUs, guest NUMA cells, hugepages per host node); null when the VMI is not
 *                      dedicated. A dedicated VMI without one is refused: the node must allocate first.
 * @param sharedCpus    the node's shared CPU pool (the CPU manager's {@code defaultCpuSet}: every CPU no guest holds
 *                      exclusively), where the emulator thread of a dedicated VMI without
 *                      {@code isolateEmulatorThread} runs; null or empty: it runs on the vCPUs' CPUs, as inside a
 *                      KubeVirt launcher pod whose cpuset holds only the exclusive CPUs
 * @param numaDistances the host's SLIT distances by NUMA node id, each list indexed by node id (as
 *                      {@link NumaNode#distances()}); used to give a multi-cell guest the distances of the host nodes
 *                      its cells sit on. Null or empty: no {@code <distances>} (libvirt/QEMU defaults)
 */
public record ConverterContext(boolean kvm, String emulator, Map<String, PreparedDisk> disks, Path serialSocket,
                               Path vncSocket, Path guestAgentSocket, Path efiCode, Path efiSecureBootCode,
                               Path efiVarsTemplate, Path efiVars, Path kernelBootDir,
                               Path efiSecureBootVarsTemplate, Outcome.Allocation placement,
                               List<Integer> sharedCpus, Map<Integer, List<Integer>> numaDistances) {

    public ConverterContext {
        disks = disks == null ? Map.of() : Map.copyOf(disks);
        sharedCpus = sharedCpus == null ? List.of() : List.copyOf(sharedCpus);
        Map<Integer, List<Integer>> distances = new TreeMap<>();
        if (numaDistances != null) {
            numaDistances.forEach((node, row) -> distances.put(node, List.copyOf(row)));
        }
        numaDistances = Collections.unmodifiableMap(distances);
    }

    /** The twelve-component form: a VMI without dedicated CPUs (no placement, no shared pool, no distances). */
    public ConverterContext(boolean kvm, String emulator, Map<String, PreparedDisk> disks, Path serialSocket,
                            Path vncSocket, Path guestAgentSocket, Path efiCode, Path efiSecureBootCode,
                            Path efiVarsTemplate, Path efiVars, Path kernelBootDir, Path efiSecureBootVarsTemplate) {
        this(kvm, emulator, disks, serialSocket, vncSocket, guestAgentSocket, efiCode, efiSecureBootCode,
                efiVarsTemplate, efiVars, kernelBootDir, efiSecureBootVarsTemplate, null, null, null);
    }

    /** The original eleven-component form: no separate Secure Boot vars template. */
    public ConverterContext(boolean kvm, String emulator, Map<String, PreparedDisk> disks, Path serialSocket,
                            Path vncSocket, Path guestAgentSocket, Path efiCode, Path efiSecureBootCode,
                            Path efiVarsTemplate, Path efiVars, Path kernelBootDir) {
        this(kvm, emulator, disks, serialSocket, vncSocket, guestAgentSocket, efiCode, efiSecureBootCode,
                efiVarsTemplate, efiVars, kernelBootDir, null);
    }

    /**
     * This context with the node's placement facts for a dedicated-CPU VMI.
     *
     * @param allocation the fitter's allocation (null: not dedicated)
     * @param shared     the node's shared CPU pool
     * @param distances  host SLIT distances by node id (see {@link #distancesOf})
     */
    public ConverterContext withPlacement(Outcome.Allocation allocation, Collection<Integer> shared,
                                          Map<Integer, List<Integer>> distances) {
        return new ConverterContext(kvm, emulator, disks, serialSocket, vncSocket, guestAgentSocket, efiCode,
                efiSecureBootCode, efiVarsTemplate, efiVars, kernelBootDir, efiSecureBootVarsTemplate, allocation,
                shared == null ? null : new ArrayList<>(shared), distances);
    }

    /** This context under KVM ({@code true}) or software emulation ({@code false}), everything else kept. */
    public ConverterContext withKvm(boolean useKvm) {
        return new ConverterContext(useKvm, emulator, disks, serialSocket, vncSocket, guestAgentSocket, efiCode,
                efiSecureBootCode, efiVarsTemplate, efiVars, kernelBootDir, efiSecureBootVarsTemplate, placement,
                sharedCpus, numaDistances);
    }

    /** The {@code numaDistances} argument for a host's NUMA nodes (node id → its distance row). */
    public static Map<Integer, List<Integer>> distancesOf(Collection<NumaNode> nodes) {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        for (NumaNode node : nodes) {
            out.put(node.id(), node.distances());
        }
        return out;
    }
}
