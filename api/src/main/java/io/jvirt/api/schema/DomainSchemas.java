package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.V1;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.empty;
import static io.jvirt.api.schema.Schema.enumString;
import static io.jvirt.api.schema.Schema.int32;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.quantity;
import static io.jvirt.api.schema.Schema.quantityMap;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;

/**
 * {@code spec.domain} of a VirtualMachineInstance except the device list ({@link DeviceSchemas}): resources, CPU,
 * memory, machine, firmware, features, clock, IOThreads, chassis and launch security. Field names follow KubeVirt's
 * {@code staging/src/kubevirt.io/api/core/v1/schema.go}; descriptions are jvirt's own.
 */
final class DomainSchemas {
    static final String DOMAIN_SPEC = V1 + "DomainSpec";
    static final String RESOURCES = V1 + "ResourceRequirements";
    static final String CPU = V1 + "CPU";
    static final String CPU_FEATURE = V1 + "CPUFeature";
    static final String NUMA = V1 + "NUMA";
    static final String REALTIME = V1 + "Realtime";
    static final String MEMORY = V1 + "Memory";
    static final String HUGEPAGES = V1 + "Hugepages";
    static final String MACHINE = V1 + "Machine";
    static final String FIRMWARE = V1 + "Firmware";
    static final String EFI = V1 + "EFI";
    static final String FEATURES = V1 + "Features";
    static final String FEATURE_STATE = V1 + "FeatureState";
    static final String FEATURE_APIC = V1 + "FeatureAPIC";
    static final String FEATURE_HYPERV = V1 + "FeatureHyperv";
    static final String FEATURE_KVM = V1 + "FeatureKVM";
    static final String CLOCK_OFFSET = V1 + "ClockOffset";
    static final String CLOCK = V1 + "Clock";
    static final String TIMER = V1 + "Timer";
    static final String DISK_IO_THREADS = V1 + "DiskIOThreads";
    static final String CHASSIS = V1 + "Chassis";
    static final String LAUNCH_SECURITY = V1 + "LaunchSecurity";

    private DomainSchemas() {
    }

    static void register(Defs d) {
        d.define(RESOURCES, object("Compute resources of the virtual machine. The virt-launcher pod's requests and "
                + "limits are derived from these plus the virtualization overhead.")
                .prop("requests", quantityMap("Resources the guest asks for, e.g. cpu: 2, memory: 4Gi. Only "
                        + "\"cpu\" and \"memory\" are meaningful; guest memory defaults to the memory request."))
                .prop("limits", quantityMap("Upper bounds for the guest's resources (\"cpu\", \"memory\"). With "
                        + "dedicated CPUs, requests and limits must match."))
                .prop("overcommitGuestOverhead", bool("When true, the virtualization overhead is added only to the "
                        + "pod's memory limit, not to the request the scheduler sees. Saves memory, risks OOM "
                        + "kills when a node is full. Defaults to false."))
                .build());

        d.define(CPU_FEATURE, object("A CPU flag to expose or hide in the guest.")
                .prop("name", string("Name of the CPU feature flag as known to libvirt, e.g. \"vmx\" or "
                        + "\"pcid\"."))
                .prop("policy", string("How to treat the flag: force (always expose), require (fail unless the "
                        + "host supports it), optional (expose if the host has it), disable (never expose) or "
                        + "forbid (fail if the host has it). Defaults to require."))
                .required("name")
                .build());
        d.define(NUMA, object("Guest NUMA topology settings.")
                .prop("guestMappingPassthrough", empty("When present ({}), the guest gets one NUMA cell per host "
                        + "NUMA node its pinned vCPUs landed on, with memory split to match. Requires "
                        + "dedicatedCpuPlacement and hugepages."))
                .build());
        d.define(REALTIME, object("Tuning for latency-sensitive (real-time) guests.")
                .prop("mask", string("Which vCPUs run with real-time scheduling, in libvirt's cpuset syntax such "
                        + "as \"0-3,^1\". Empty means all vCPUs."))
                .build());
        d.define(CPU, object("Virtual CPU topology, model and placement of the guest.")
                .prop("cores", int64("Number of cores per socket the guest sees. Must be at least 1 when set."))
                .prop("sockets", int64("Number of sockets the guest sees. Must be at least 1 when set."))
                .prop("threads", int64("Number of threads per core the guest sees. Must be at least 1 when set; "
                        + "at most 2 with dedicated CPUs."))
                .prop("maxSockets", int64("Highest socket count reachable through CPU hotplug. Defaulted by the "
                        + "cluster when live updates are enabled."))
                .prop("model", string("CPU model presented to the guest: a libvirt model name such as "
                        + "\"Skylake-Server\", \"host-passthrough\" (the node's CPU as is) or \"host-model\" "
                        + "(closest named model to the node's CPU, the default)."))
                .prop("features", array("CPU feature flags added to or removed from the model.",
                        ref(CPU_FEATURE, null)))
                .prop("dedicatedCpuPlacement", bool("When true, each vCPU is pinned to its own physical CPU "
                        + "taken exclusively from the node (requires the static CPU manager and a Guaranteed "
                        + "pod: cpu requests equal limits and are whole numbers)."))
                .prop("numa", ref(NUMA, "Guest NUMA topology. Only meaningful with dedicated CPUs."))
                .prop("isolateEmulatorThread", bool("When true, one more exclusive physical CPU is allocated "
                        + "and QEMU's emulator thread runs there instead of sharing the vCPUs' CPUs. Only valid "
                        + "together with dedicatedCpuPlacement."))
                .prop("realtime", ref(REALTIME, "Real-time tuning of the vCPUs. Requires dedicated CPUs and NUMA "
                        + "guestMappingPassthrough."))
                .build());

        d.define(HUGEPAGES, object("Back the guest's memory with huge pages instead of regular pages.")
                .prop("pageSize", string("Huge page size to use, e.g. \"2Mi\" or \"1Gi\" on x86_64. Guest "
                        + "memory must be a multiple of it."))
                .build());
        d.define(MEMORY, object("Guest memory settings.")
                .prop("guest", quantity("Amount of memory the guest OS sees. Defaults to the memory request "
                        + "(or limit); may exceed the request to overcommit."))
                .prop("maxGuest", quantity("Largest guest memory reachable through memory hotplug; the "
                        + "difference to guest can be plugged in and out while running."))
                .prop("hugepages", ref(HUGEPAGES, "Use huge pages for guest memory."))
                .build());
        d.define(MACHINE, object("QEMU machine (chipset) of the guest.")
                .prop("type", string("Machine type such as \"q35\" or a versioned \"pc-q35-rhel9.4.0\". Must "
                        + "match one of the cluster's emulated machines. Defaults per architecture."))
                .build());

        registerFirmware(d);
        registerFeatures(d);
        registerClock(d);

        d.define(DISK_IO_THREADS, object("Options of the supplemental IOThread pool.")
                .prop("supplementalPoolThreadCount", int64("Number of IOThreads in the pool when "
                        + "ioThreadsPolicy is supplementalPool; every virtio disk is served by all of them."))
                .build());
        d.define(CHASSIS, object("SMBIOS chassis information reported to the guest.")
                .prop("manufacturer", string("Chassis manufacturer."))
                .prop("version", string("Chassis version."))
                .prop("serial", string("Chassis serial number."))
                .prop("asset", string("Chassis asset tag."))
                .prop("sku", string("Chassis SKU number."))
                .build());
        d.define(LAUNCH_SECURITY, object("Confidential-computing launch settings (AMD SEV / SEV-SNP, Intel TDX). "
                + "Only the technology keys are described; their content is passed through.")
                .prop("sev", Schema.preserved("AMD Secure Encrypted Virtualization: policy, attestation, "
                        + "session and dhCert."))
                .prop("snp", Schema.preserved("AMD SEV-SNP flags."))
                .prop("tdx", Schema.preserved("Intel Trust Domain Extensions."))
                .preserveUnknown()
                .build());

        d.define(DOMAIN_SPEC, object("Virtual hardware of the guest: resources, CPU, memory, firmware, "
                + "features and devices.")
                .prop("resources", ref(RESOURCES, "Compute resources requested and limited for the guest."))
                .prop("cpu", ref(CPU, "CPU topology, model, features and pinning of the guest."))
                .prop("memory", ref(MEMORY, "Guest memory size, hotplug maximum and huge pages."))
                .prop("machine", ref(MACHINE, "QEMU machine type."))
                .prop("firmware", ref(FIRMWARE, "Firmware (BIOS/EFI), SMBIOS serial/UUID and direct kernel "
                        + "boot."))
                .prop("clock", ref(CLOCK, "Guest clock offset and timers."))
                .prop("features", ref(FEATURES, "Platform features such as ACPI, APIC, SMM and Hyper-V "
                        + "enlightenments."))
                .prop("devices", ref(DeviceSchemas.DEVICES, "Disks, network interfaces and other devices "
                        + "attached to the guest."))
                .prop("ioThreadsPolicy", enumString("How disks get QEMU IOThreads: shared (one thread for all "
                        + "disks), auto (a pool sized from the vCPU count) or supplementalPool (a fixed pool "
                        + "serving every disk). Unset disables IOThreads except for disks asking for a dedicated "
                        + "one.", "shared", "auto", "supplementalPool"))
                .prop("ioThreads", ref(DISK_IO_THREADS, "Options of the IOThread pool."))
                .prop("chassis", ref(CHASSIS, "SMBIOS chassis information."))
                .prop("launchSecurity", ref(LAUNCH_SECURITY, "Confidential-computing settings."))
                .prop("rebootPolicy", enumString("What a reboot from inside the guest does: Reboot (default) "
                        + "restarts the guest in place; Terminate ends the VMI so its controller can recreate "
                        + "it with the current configuration.", "Reboot", "Terminate"))
                .required("devices")
                .build());
    }

    private static void registerFirmware(Defs d) {
        String bios = d.define(V1 + "BIOS", object("Legacy BIOS boot (the default).")
                .prop("useSerial", bool("When true, BIOS output is also sent to the serial console."))
                .build());
        d.define(EFI, object("UEFI boot.")
                .prop("secureBoot", bool("When true (the default), Secure Boot is enabled; requires the SMM "
                        + "feature."))
                .prop("persistent", bool("When true, the EFI variable store (NVRAM) survives restarts. Defaults "
                        + "to false."))
                .build());
        String bootloader = d.define(V1 + "Bootloader", object("Boot firmware of the guest; set at most one.")
                .prop("bios", ref(bios, "Boot with a legacy BIOS."))
                .prop("efi", ref(EFI, "Boot with UEFI firmware."))
                .build());
        String container = d.define(V1 + "KernelBootContainer", object("Container image holding the kernel and "
                + "initrd to boot directly.")
                .prop("image", string("Image containing the kernel and initrd files."))
                .prop("imagePullSecret", string("Name of the registry secret used to pull the image."))
                .prop("imagePullPolicy", string("When to pull the image: Always, Never or IfNotPresent. Defaults "
                        + "to Always for :latest and IfNotPresent otherwise."))
                .prop("kernelPath", string("Absolute path of the kernel inside the image."))
                .prop("initrdPath", string("Absolute path of the initrd inside the image."))
                .required("image")
                .build());
        String kernelBoot = d.define(V1 + "KernelBoot", object("Boot a kernel and initrd directly instead of from "
                + "a disk.")
                .prop("kernelArgs", string("Kernel command line."))
                .prop("container", ref(container, "Image the kernel and initrd are taken from."))
                .build());
        String acpi = d.define(V1 + "ACPI", object("Extra ACPI tables passed to the guest.")
                .prop("slicNameRef", string("Name of a secret volume whose data is the binary ACPI SLIC table."))
                .prop("msdmNameRef", string("Name of a secret volume whose data is the binary ACPI MSDM table."))
                .build());
        d.define(FIRMWARE, object("Firmware and SMBIOS identity of the guest.")
                .prop("uuid", string("SMBIOS system UUID the guest sees. Defaults to a value derived from the "
                        + "VM."))
                .prop("serial", string("SMBIOS system serial number."))
                .prop("bootloader", ref(bootloader, "BIOS or EFI boot firmware."))
                .prop("kernelBoot", ref(kernelBoot, "Direct kernel boot."))
                .prop("acpi", ref(acpi, "Additional ACPI tables."))
                .build());
    }

    private static void registerFeatures(Defs d) {
        d.define(FEATURE_STATE, object("Switches a platform feature on or off.")
                .prop("enabled", bool("Whether the feature is enabled. Defaults to true when the feature "
                        + "object is present."))
                .build());
        d.define(FEATURE_APIC, object("Advanced Programmable Interrupt Controller settings.")
                .prop("enabled", bool("Whether the APIC is enabled. Defaults to true."))
                .prop("endOfInterrupt", bool("Enables end-of-interrupt notifications. Defaults to false."))
                .build());
        d.define(FEATURE_KVM, object("How the KVM hypervisor is presented to the guest.")
                .prop("hidden", bool("When true, hides KVM from MSR-based hypervisor detection."))
                .build());
        Schema state = ref(FEATURE_STATE, null);
        d.define(FEATURE_HYPERV, object("Hyper-V enlightenments for Windows guests. Each entry defaults to "
                + "the machine type's setting; further keys are passed through.")
                .prop("relaxed", state.withDescription("Relaxed timing: the guest disables watchdog "
                        + "timeouts."))
                .prop("vapic", state.withDescription("Paravirtualized APIC access."))
                .prop("spinlocks", object("Paravirtualized spinlocks.")
                        .prop("enabled", bool("Whether the enlightenment is enabled."))
                        .prop("spinlocks", int64("Retry count before a spinning vCPU notifies the host; at "
                                + "least 4096."))
                        .build())
                .prop("vpindex", state.withDescription("Virtual processor index."))
                .prop("runtime", state.withDescription("Processor run-time accounting."))
                .prop("synic", state.withDescription("Synthetic interrupt controller."))
                .prop("synictimer", object("Synthetic timers (require synic).")
                        .prop("enabled", bool("Whether the enlightenment is enabled."))
                        .prop("direct", ref(FEATURE_STATE, "Direct-mode synthetic timers."))
                        .build())
                .prop("reset", state.withDescription("Hyper-V reset (requires synic)."))
                .prop("vendorid", object("Hypervisor vendor id reported to the guest.")
                        .prop("enabled", bool("Whether the enlightenment is enabled."))
                        .prop("vendorid", string("Vendor id, at most 12 characters."))
                        .build())
                .prop("frequencies", state.withDescription("TSC and APIC frequency MSRs."))
                .prop("reenlightenment", state.withDescription("Notifications on TSC frequency changes."))
                .prop("tlbflush", object("Paravirtualized TLB flushes (require vpindex).")
                        .prop("enabled", bool("Whether the enlightenment is enabled."))
                        .prop("direct", ref(FEATURE_STATE, "Send flushes directly to the hypervisor."))
                        .prop("extended", ref(FEATURE_STATE, "Allow partial (extended) flushes."))
                        .build())
                .prop("ipi", state.withDescription("Paravirtualized inter-processor interrupts (requires "
                        + "vpindex)."))
                .prop("evmcs", state.withDescription("Enlightened VMCS for nested virtualization (requires "
                        + "vapic)."))
                .preserveUnknown()
                .build());
        d.define(FEATURES, object("Platform features of the guest.")
                .prop("acpi", ref(FEATURE_STATE, "ACPI power management; enabled by default."))
                .prop("apic", ref(FEATURE_APIC, "Interrupt controller; defaults to the machine type's setting."))
                .prop("smm", ref(FEATURE_STATE, "System Management Mode; required for EFI Secure Boot."))
                .prop("hyperv", ref(FEATURE_HYPERV, "Hyper-V enlightenments."))
                .prop("hypervPassthrough", object("Enable every Hyper-V enlightenment the host supports. Cannot "
                        + "be combined with explicit hyperv settings and makes the VM non-migratable.")
                        .prop("enabled", bool("Whether passthrough is enabled."))
                        .build())
                .prop("kvm", ref(FEATURE_KVM, "KVM hypervisor visibility."))
                .prop("pvspinlock", ref(FEATURE_STATE, "Paravirtual spinlocks; disable for very old guest "
                        + "kernels."))
                .build());
    }

    private static void registerClock(Defs d) {
        Schema present = bool("Set to false to keep the machine type or a preset from adding this timer. "
                + "Defaults to true.");
        String withTick = "What to do when QEMU misses a tick: ";
        d.define(TIMER, object("Timers attached to the guest.")
                .prop("hpet", object("High Precision Event Timer.")
                        .prop("tickPolicy", string(withTick + "delay, catchup, merge or discard."))
                        .prop("present", present)
                        .build())
                .prop("kvm", object("KVM paravirtual clock (Linux guests).")
                        .prop("present", present)
                        .build())
                .prop("pit", object("Programmable Interval Timer.")
                        .prop("tickPolicy", string(withTick + "delay, catchup or discard."))
                        .prop("present", present)
                        .build())
                .prop("rtc", object("Real Time Clock.")
                        .prop("tickPolicy", string(withTick + "delay or catchup."))
                        .prop("present", present)
                        .prop("track", string("Time source the RTC follows: guest or wall."))
                        .build())
                .prop("hyperv", object("Hyper-V reference clock (Windows guests).")
                        .prop("present", present)
                        .build())
                .build());
        Schema utc = object("Keep the guest clock in UTC.")
                .prop("offsetSeconds", int32("Offset from UTC in seconds; when set, changes the guest makes to "
                        + "its clock survive reboots."))
                .build();
        Schema timezone = string("Keep the guest clock in this time zone, e.g. \"Europe/Berlin\".");
        d.define(CLOCK_OFFSET, object("Offset of the guest clock; set exactly one of utc and timezone.")
                .prop("utc", utc)
                .prop("timezone", timezone)
                .build());
        d.define(CLOCK, object("Guest clock: offset (utc or timezone) and timers. Undeclared keys are passed "
                + "through.")
                .prop("utc", utc)
                .prop("timezone", timezone)
                .prop("timer", ref(TIMER, "Timers attached to the guest."))
                .preserveUnknown()
                .build());
    }
}
