package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.INSTANCETYPE;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.enumString;
import static io.jvirt.api.schema.Schema.int32;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.quantity;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringMap;

/**
 * instancetype.kubevirt.io/v1beta1: instance types (resources a VM gets) and preferences (defaults a VM gets), each
 * in a namespaced and a cluster-scoped flavour (KubeVirt's {@code api/instancetype/v1beta1/types.go}).
 */
final class InstancetypeSchemas {
    static final String INSTANCETYPE_SPEC = INSTANCETYPE + "VirtualMachineInstancetypeSpec";
    static final String PREFERENCE_SPEC = INSTANCETYPE + "VirtualMachinePreferenceSpec";
    private static final String GROUP = "instancetype.kubevirt.io";
    private static final String VERSION = "v1beta1";

    private InstancetypeSchemas() {
    }

    static void register(Defs d) {
        String cpu = d.define(INSTANCETYPE + "CPUInstancetype", object("vCPUs and CPU placement of the instance "
                + "type.")
                .prop("guest", int64("Number of vCPUs the guest gets (at least 1); the topology follows the "
                        + "preference's preferredCPUTopology, sockets by default."))
                .prop("model", string("CPU model such as \"host-passthrough\" or a libvirt model name. Defaults "
                        + "to host-model."))
                .prop("dedicatedCPUPlacement", bool("Pin each vCPU to an exclusive physical CPU."))
                .prop("numa", ref(DomainSchemas.NUMA, "Guest NUMA topology."))
                .prop("isolateEmulatorThread", bool("Give QEMU's emulator thread its own exclusive physical "
                        + "CPU."))
                .prop("realtime", ref(DomainSchemas.REALTIME, "Real-time tuning."))
                .prop("maxSockets", int64("Maximum sockets reachable through CPU hotplug (at least 1)."))
                .required("guest")
                .build());
        String memory = d.define(INSTANCETYPE + "MemoryInstancetype", object("Memory of the instance type.")
                .prop("guest", quantity("Memory the guest sees."))
                .prop("hugepages", ref(DomainSchemas.HUGEPAGES, "Back guest memory with huge pages."))
                .prop("overcommitPercent", int32("Percentage (0-100) by which the pod's memory request is "
                        + "lowered below the guest memory. Defaults to 0."))
                .prop("maxGuest", quantity("Largest guest memory reachable through memory hotplug."))
                .required("guest")
                .build());
        d.define(INSTANCETYPE_SPEC, object("Resources and placement an instance type gives a VM. cpu.guest and "
                + "memory.guest are always required.")
                .prop("cpu", ref(cpu, "vCPUs and CPU placement."))
                .prop("memory", ref(memory, "Guest memory."))
                .prop("gpus", array("GPUs passed through to the guest.", ref(DeviceSchemas.GPU, null)))
                .prop("hostDevices", array("Host devices passed through to the guest.",
                        ref(DeviceSchemas.HOST_DEVICE, null)))
                .prop("ioThreadsPolicy", enumString("IOThread policy: shared, auto or supplementalPool.",
                        "shared", "auto", "supplementalPool"))
                .prop("ioThreads", ref(DomainSchemas.DISK_IO_THREADS, "IOThread pool options."))
                .prop("launchSecurity", ref(DomainSchemas.LAUNCH_SECURITY, "Confidential-computing settings."))
                .prop("nodeSelector", stringMap("Node labels required for VMs of this instance type."))
                .prop("schedulerName", string("Scheduler used for VMs of this instance type."))
                .prop("annotations", stringMap("Annotations added to the VMIs."))
                .required("cpu", "memory")
                .build());

        registerPreference(d);

        Schema instancetypeBody = object("VirtualMachineInstancetype holds the CPU, memory and device resources "
                + "that VirtualMachines in its namespace can refer to instead of spelling them out.")
                .prop("spec", ref(INSTANCETYPE_SPEC, "What the instance type provides."))
                .required("spec")
                .build();
        d.kind(GROUP, VERSION, "VirtualMachineInstancetype", INSTANCETYPE + "VirtualMachineInstancetype",
                instancetypeBody);
        d.kind(GROUP, VERSION, "VirtualMachineClusterInstancetype",
                INSTANCETYPE + "VirtualMachineClusterInstancetype", instancetypeBody.withDescription(
                        "VirtualMachineClusterInstancetype is the cluster-wide form of a "
                                + "VirtualMachineInstancetype, usable from every namespace."));
        Schema preferenceBody = object("VirtualMachinePreference holds defaults (buses, models, firmware, "
                + "topology, ...) that VirtualMachines in its namespace can refer to.")
                .prop("spec", ref(PREFERENCE_SPEC, "What the preference provides."))
                .required("spec")
                .build();
        d.kind(GROUP, VERSION, "VirtualMachinePreference", INSTANCETYPE + "VirtualMachinePreference",
                preferenceBody);
        d.kind(GROUP, VERSION, "VirtualMachineClusterPreference", INSTANCETYPE + "VirtualMachineClusterPreference",
                preferenceBody.withDescription("VirtualMachineClusterPreference is the cluster-wide form of a "
                        + "VirtualMachinePreference, usable from every namespace."));
    }

    private static void registerPreference(Defs d) {
        Schema preferred = bool(null);
        String cpu = d.define(INSTANCETYPE + "CPUPreferences", object("CPU preferences.")
                .prop("preferredCPUTopology", enumString("How vCPUs are laid out: sockets (default), cores, "
                        + "threads, spread (across sockets and cores) or any (keep the template's); the "
                        + "prefer* spellings are deprecated aliases.", "preferCores", "preferSockets",
                        "preferThreads", "preferSpread", "preferAny", "cores", "sockets", "threads", "spread",
                        "any"))
                .prop("spreadOptions", object("Options of the spread topology.")
                        .prop("across", enumString("What to spread vCPUs across. Defaults to SocketsCores.",
                                "SocketsCoresThreads", "SocketsCores", "CoresThreads"))
                        .prop("ratio", int64("Ratio of the spread, e.g. 1:N sockets to cores. Defaults to 2."))
                        .build())
                .prop("preferredCPUFeatures", array("CPU features to add.", ref(DomainSchemas.CPU_FEATURE, null)))
                .build());
        String devices = d.define(INSTANCETYPE + "DevicePreferences", object("Device defaults.")
                .prop("preferredAutoattachGraphicsDevice", preferred.withDescription("Default of "
                        + "autoattachGraphicsDevice."))
                .prop("preferredAutoattachMemBalloon", preferred.withDescription("Default of "
                        + "autoattachMemBalloon."))
                .prop("preferredAutoattachPodInterface", preferred.withDescription("Default of "
                        + "autoattachPodInterface."))
                .prop("preferredAutoattachSerialConsole", preferred.withDescription("Default of "
                        + "autoattachSerialConsole."))
                .prop("preferredAutoattachInputDevice", preferred.withDescription("Default of "
                        + "autoattachInputDevice."))
                .prop("preferredDisableHotplug", preferred.withDescription("Default of disableHotplug."))
                .prop("preferredVirtualGPUOptions", ref(DeviceSchemas.VGPU_OPTIONS, "Default vGPU options."))
                .prop("preferredSoundModel", string("Default sound card model."))
                .prop("preferredUseVirtioTransitional", preferred.withDescription("Default of "
                        + "useVirtioTransitional."))
                .prop("preferredInputBus", string("Default bus of input devices: usb or virtio."))
                .prop("preferredInputType", string("Default type of input devices."))
                .prop("preferredDiskBus", string("Default bus of disks: virtio, sata, scsi or usb."))
                .prop("preferredLunBus", string("Default bus of LUNs."))
                .prop("preferredCdromBus", string("Default bus of CD-ROMs."))
                .prop("preferredDiskDedicatedIoThread", preferred.withDescription("Give virtio disks dedicated "
                        + "IOThreads by default."))
                .prop("preferredDiskCache", string("Default disk cache mode: none, writethrough or writeback."))
                .prop("preferredDiskIO", string("Default disk I/O mode: native or threads."))
                .prop("preferredDiskBlockSize", ref(DeviceSchemas.BLOCK_SIZE, "Default disk block sizes."))
                .prop("preferredInterfaceModel", string("Default NIC model, e.g. virtio or e1000e."))
                .prop("preferredRng", ref(DeviceSchemas.RNG, "Add a random number generator by default."))
                .prop("preferredBlockMultiQueue", preferred.withDescription("Default of blockMultiQueue."))
                .prop("preferredNetworkInterfaceMultiQueue", preferred.withDescription("Default of "
                        + "networkInterfaceMultiqueue."))
                .prop("preferredTPM", ref(DeviceSchemas.TPM, "Add a TPM by default."))
                .prop("preferredInterfaceMasquerade", ref(DeviceSchemas.INTERFACE_MASQUERADE, "Use masquerade "
                        + "binding for interfaces by default."))
                .prop("preferredPanicDeviceModel", string("Default panic device model."))
                .prop("preferredVideoType", string("Default video device type."))
                .build());
        String features = d.define(INSTANCETYPE + "FeaturePreferences", object("Platform feature defaults.")
                .prop("preferredAcpi", ref(DomainSchemas.FEATURE_STATE, "Default ACPI setting."))
                .prop("preferredApic", ref(DomainSchemas.FEATURE_APIC, "Default APIC setting."))
                .prop("preferredHyperv", ref(DomainSchemas.FEATURE_HYPERV, "Default Hyper-V enlightenments."))
                .prop("preferredKvm", ref(DomainSchemas.FEATURE_KVM, "Default KVM visibility."))
                .prop("preferredPvspinlock", ref(DomainSchemas.FEATURE_STATE, "Default pvspinlock setting."))
                .prop("preferredSmm", ref(DomainSchemas.FEATURE_STATE, "Default SMM setting."))
                .build());
        String firmware = d.define(INSTANCETYPE + "FirmwarePreferences", object("Firmware defaults.")
                .prop("preferredUseBios", preferred.withDescription("Boot with BIOS by default."))
                .prop("preferredUseBiosSerial", preferred.withDescription("Send BIOS output to the serial "
                        + "console."))
                .prop("preferredEfi", ref(DomainSchemas.EFI, "Boot with EFI by default, with these settings."))
                .prop("preferredUseEfi", preferred.withDescription("Deprecated: use preferredEfi."))
                .prop("preferredUseSecureBoot", preferred.withDescription("Deprecated: use preferredEfi."))
                .build());
        String requirements = d.define(INSTANCETYPE + "PreferenceRequirements", object("Minimum resources a VM "
                + "must have to use the preference.")
                .prop("cpu", object("Minimum vCPUs.")
                        .prop("guest", int64("Minimum number of vCPUs."))
                        .required("guest")
                        .build())
                .prop("memory", object("Minimum memory.")
                        .prop("guest", quantity("Minimum guest memory."))
                        .required("guest")
                        .build())
                .prop("architecture", string("Architecture the VM must have."))
                .build());
        d.define(PREFERENCE_SPEC, object("Defaults a preference gives a VM; the VM's own settings win.")
                .prop("clock", object("Clock defaults.")
                        .prop("preferredClockOffset", ref(DomainSchemas.CLOCK_OFFSET, "Default clock offset."))
                        .prop("preferredTimer", ref(DomainSchemas.TIMER, "Default timers."))
                        .build())
                .prop("cpu", ref(cpu, "CPU defaults."))
                .prop("devices", ref(devices, "Device defaults."))
                .prop("features", ref(features, "Platform feature defaults."))
                .prop("firmware", ref(firmware, "Firmware defaults."))
                .prop("machine", object("Machine defaults.")
                        .prop("preferredMachineType", string("Default machine type."))
                        .build())
                .prop("volumes", object("Volume defaults.")
                        .prop("preferredStorageClassName", string("Default StorageClass of DataVolume "
                                + "templates."))
                        .build())
                .prop("requirements", ref(requirements, "Minimum resources required."))
                .prop("annotations", stringMap("Annotations added to the VMIs."))
                .prop("preferredSubdomain", string("Default subdomain of the guest."))
                .prop("preferredTerminationGracePeriodSeconds", int64("Default termination grace period."))
                .prop("preferSpreadSocketToCoreRatio", int64("Deprecated socket-to-core ratio of the spread "
                        + "topology. Defaults to 2."))
                .prop("preferredArchitecture", string("Default architecture of the VM."))
                .build());
    }
}
