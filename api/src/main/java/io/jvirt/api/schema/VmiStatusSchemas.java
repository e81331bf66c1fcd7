package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.V1;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.dateTime;
import static io.jvirt.api.schema.Schema.int32;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.map;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.preserved;
import static io.jvirt.api.schema.Schema.quantity;
import static io.jvirt.api.schema.Schema.quantityMap;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringArray;
import static io.jvirt.api.schema.Schema.stringMap;

/** {@code VirtualMachineInstanceStatus} and the live-migration state shared with migrations. */
final class VmiStatusSchemas {
    static final String VMI_STATUS = V1 + "VirtualMachineInstanceStatus";
    static final String MIGRATION_STATE = V1 + "VirtualMachineInstanceMigrationState";
    static final String CPU_TOPOLOGY = V1 + "CPUTopology";
    static final String PVC_INFO = V1 + "PersistentVolumeClaimInfo";
    static final String MIGRATED_VOLUME = V1 + "StorageMigratedVolumeInfo";

    private VmiStatusSchemas() {
    }

    static void register(Defs d) {
        d.define(CPU_TOPOLOGY, object("Number of sockets, cores and threads.")
                .prop("sockets", int64("Number of sockets."))
                .prop("cores", int64("Number of cores per socket."))
                .prop("threads", int64("Number of threads per core."))
                .build());
        d.define(PVC_INFO, object("What virt-handler needs to know about a PVC.")
                .prop("claimName", string("Name of the claim."))
                .prop("accessModes", stringArray("Access modes of the claim."))
                .prop("volumeMode", string("Filesystem or Block."))
                .prop("capacity", quantityMap("Capacity reported in the claim's status."))
                .prop("requests", quantityMap("Resources requested in the claim's spec."))
                .prop("preallocated", bool("Whether the claim's storage is preallocated."))
                .prop("filesystemOverhead", string("Fraction of a filesystem volume reserved for overhead, "
                        + "0 to 1."))
                .build());
        d.define(MIGRATED_VOLUME, object("Source and destination of a volume being migrated.")
                .prop("volumeName", string("Name of the volume."))
                .prop("sourcePVCInfo", ref(PVC_INFO, "The claim the data comes from."))
                .prop("destinationPVCInfo", ref(PVC_INFO, "The claim the data goes to."))
                .required("volumeName")
                .build());
        registerMigrationState(d);

        String condition = d.define(V1 + "VirtualMachineInstanceCondition", Defs.condition("A condition of a "
                + "VirtualMachineInstance.", "Condition type, e.g. Ready, Paused, AgentConnected, "
                + "LiveMigratable, Synchronized, DataVolumesReady."));
        String iface = d.define(V1 + "VirtualMachineInstanceNetworkInterface", object("Observed state of a "
                + "guest network interface.")
                .prop("name", string("Name of the interface, i.e. of its network."))
                .prop("ipAddress", string("Primary IP address; the first of ipAddresses."))
                .prop("ipAddresses", stringArray("All IP addresses of the interface."))
                .prop("mac", string("MAC address."))
                .prop("interfaceName", string("Name of the interface inside the guest, e.g. eth0."))
                .prop("podInterfaceName", string("Name of the pod interface the guest interface is bound to."))
                .prop("infoSource", string("Where the data comes from: domain, guest-agent, multus-status "
                        + "(comma-separated)."))
                .prop("queueCount", int32("Number of queues allocated for multi-queue."))
                .prop("linkState", string("Operational link state: up or down."))
                .build());
        String guestOs = d.define(V1 + "VirtualMachineInstanceGuestOSInfo", object("Guest operating system as "
                + "reported by the guest agent.")
                .prop("name", string("Name of the OS."))
                .prop("id", string("OS identifier, e.g. fedora."))
                .prop("prettyName", string("Human-readable OS name."))
                .prop("version", string("OS version."))
                .prop("versionId", string("OS version id."))
                .prop("kernelRelease", string("Kernel release."))
                .prop("kernelVersion", string("Kernel version."))
                .prop("machine", string("Machine hardware name, e.g. x86_64."))
                .build());
        String volumeStatus = d.define(V1 + "VolumeStatus", object("Observed state of a volume of the VMI.")
                .prop("name", string("Name of the volume."))
                .prop("target", string("Device name in the guest, e.g. vda."))
                .prop("phase", string("Phase of the volume: Pending, Bound, AttachedToNode, MountedToPod, Ready, "
                        + "Detaching, ... (hotplug and memory dump phases)."))
                .prop("reason", string("Machine-readable reason for the phase."))
                .prop("message", string("Human-readable details about the phase."))
                .prop("size", int64("Size of the volume in bytes."))
                .prop("persistentVolumeClaimInfo", ref(PVC_INFO, "The claim behind the volume."))
                .prop("hotplugVolume", object("Hotplug details.")
                        .prop("attachPodName", string("Pod that attaches the volume to the node."))
                        .prop("attachPodUID", string("UID of that pod."))
                        .build())
                .prop("memoryDumpVolume", object("Memory dump details.")
                        .prop("startTimestamp", dateTime("When the dump started."))
                        .prop("endTimestamp", dateTime("When the dump finished."))
                        .prop("claimName", string("Claim the memory was dumped to."))
                        .prop("targetFileName", string("Name of the dump file."))
                        .build())
                .prop("containerDiskVolume", object("containerDisk details.")
                        .prop("checksum", int64("Deprecated checksum of the disk image."))
                        .build())
                .required("name", "target")
                .build());

        d.define(VMI_STATUS, object("Observed state of a virtual machine instance, written by virt-controller "
                + "and virt-handler.")
                .prop("phase", string("Lifecycle phase: Pending, Scheduling, Scheduled, Running, Succeeded, "
                        + "Failed, WaitingForSync or Unknown."))
                .prop("phaseTransitionTimestamps", array("When each phase was entered.",
                        object("Time a phase was entered.")
                                .prop("phase", string("The phase."))
                                .prop("phaseTransitionTimestamp", dateTime("When the phase was entered."))
                                .build()))
                .prop("conditions", array("Current conditions.", ref(condition, null)))
                .prop("reason", string("CamelCase reason for the current state, e.g. NodeUnresponsive."))
                .prop("nodeName", string("Node the VMI runs on."))
                .prop("interfaces", array("Network interfaces of the guest and their addresses.",
                        ref(iface, null)))
                .prop("guestOSInfo", ref(guestOs, "Guest OS reported by the guest agent."))
                .prop("qosClass", string("QoS class of the virt-launcher pod: Guaranteed, Burstable or "
                        + "BestEffort."))
                .prop("launcherContainerImageVersion", string("virt-launcher image the VMI currently runs "
                        + "with."))
                .prop("migrationState", ref(MIGRATION_STATE, "State of the current or last live migration."))
                .prop("migrationMethod", string("How the VMI migrates: LiveMigration or BlockMigration."))
                .prop("migrationTransport", string("Transport used for migrations, e.g. Unix."))
                .prop("activePods", stringMap("Pods currently running the VMI, by pod UID to node name; two "
                        + "during a migration."))
                .prop("volumeStatus", array("State of each volume.", ref(volumeStatus, null)))
                .prop("kernelBootStatus", object("Direct kernel boot artifacts.")
                        .prop("kernelInfo", object("Kernel image.")
                                .prop("checksum", int64("Deprecated checksum.")).build())
                        .prop("initrdInfo", object("Initrd image.")
                                .prop("checksum", int64("Deprecated checksum.")).build())
                        .build())
                .prop("fsFreezeStatus", string("\"frozen\" while a guest filesystem freeze is in effect."))
                .prop("topologyHints", object("Hints for scheduling and migration.")
                        .prop("tscFrequency", int64("TSC frequency of the node the guest started on."))
                        .build())
                .prop("virtualMachineRevisionName", string("Revision of the VM the VMI was created from."))
                .prop("runtimeUser", int64("User id QEMU runs as in the virt-launcher pod."))
                .prop("VSOCKCID", int64("VSOCK context id allocated to the guest."))
                .prop("selinuxContext", string("SELinux context of the virt-launcher pod."))
                .prop("machine", ref(DomainSchemas.MACHINE, "Machine type QEMU actually uses (aliases "
                        + "resolved)."))
                .prop("currentCPUTopology", ref(CPU_TOPOLOGY, "CPU topology in effect; differs from the spec "
                        + "while CPU hotplug is in progress."))
                .prop("memory", object("Guest memory sizes.")
                        .prop("guestAtBoot", quantity("Memory the guest booted with."))
                        .prop("guestCurrent", quantity("Memory the guest has now."))
                        .prop("guestRequested", quantity("Memory requested through hotplug."))
                        .build())
                .prop("evacuationNodeName", string("Node being drained that the VMI must leave; set by KubeVirt "
                        + "only."))
                .prop("migratedVolumes", array("Volumes being migrated to other claims.",
                        ref(MIGRATED_VOLUME, null)))
                .prop("changedBlockTracking", preserved("Changed block tracking state for backups."))
                .build());
    }

    private static void registerMigrationState(Defs d) {
        d.define(MIGRATION_STATE, object("State of a live migration as recorded on the VMI and the migration "
                + "object. Further keys are passed through.")
                .prop("startTimestamp", dateTime("When the migration started."))
                .prop("endTimestamp", dateTime("When the migration ended."))
                .prop("sourceNode", string("Node the VMI migrates from."))
                .prop("sourcePod", string("virt-launcher pod the VMI migrates from."))
                .prop("targetNode", string("Node the VMI migrates to."))
                .prop("targetPod", string("virt-launcher pod the VMI migrates to."))
                .prop("targetNodeAddress", string("Address of the target node used for the migration."))
                .prop("targetNodeDomainDetected", bool("Whether the target saw the domain start."))
                .prop("targetNodeDomainReadyTimestamp", dateTime("When the domain became active on the "
                        + "target."))
                .prop("targetDirectMigrationNodePorts", map("Ports opened for the migration on the target node.",
                        int32(null)))
                .prop("targetAttachmentPodUID", string("UID of the target's hotplug attachment pod."))
                .prop("targetCPUSet", array("Dedicated CPUs assigned on the target node.", int32(null)))
                .prop("targetNodeTopology", string("NUMA topology of the target node, for dedicated-CPU VMIs."))
                .prop("targetMemoryOverhead", quantity("Memory overhead of the target virt-launcher pod."))
                .prop("completed", bool("Whether the migration completed."))
                .prop("failed", bool("Whether the migration failed."))
                .prop("abortRequested", bool("Whether an abort was requested."))
                .prop("abortStatus", string("Outcome of an abort: Succeeded, Failed or Aborting."))
                .prop("failureReason", string("Why the migration failed."))
                .prop("migrationUid", string("UID of the VirtualMachineInstanceMigration object."))
                .prop("mode", string("Copy mode in use: PreCopy, PostCopy or Paused."))
                .prop("migrationPolicyName", string("MigrationPolicy applied, if any."))
                .prop("migrationConfiguration", preserved("Effective migration settings (cluster defaults "
                        + "merged with the policy)."))
                .prop("migrationNetworkType", string("Network the migration runs over: Pod or Migration."))
                .prop("sourcePersistentStatePVCName", string("Claim holding persistent state (TPM/EFI) on the "
                        + "source."))
                .prop("targetPersistentStatePVCName", string("Claim holding persistent state on the target."))
                .prop("sourceState", preserved("State kept by the source virt-handler."))
                .prop("targetState", preserved("State kept by the target virt-handler."))
                .preserveUnknown()
                .build());
    }
}
