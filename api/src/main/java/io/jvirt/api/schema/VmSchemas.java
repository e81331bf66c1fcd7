package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.V1;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.dateTime;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.preserved;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringMap;

import io.fabric8.kubernetes.api.model.LabelSelector;

/**
 * VirtualMachine spec and status, and the kubevirt.io/v1 workload kinds built on the VMI spec: VirtualMachine,
 * VirtualMachineInstance, VirtualMachineInstanceMigration, VirtualMachineInstanceReplicaSet and
 * VirtualMachineInstancePreset.
 */
final class VmSchemas {
    static final String VM_SPEC = V1 + "VirtualMachineSpec";
    static final String VM_STATUS = V1 + "VirtualMachineStatus";

    private VmSchemas() {
    }

    static void register(Defs d) {
        Schema inferFromVolume = string("Name of a volume whose source carries annotations naming the resource "
                + "to use; removed from the matcher once inferred.");
        Schema failurePolicy = string("What happens when inference fails: Reject (default) or Ignore.");
        String instancetypeMatcher = d.define(V1 + "InstancetypeMatcher", object("Reference to the instance "
                + "type that fills in the VM's resources.")
                .prop("name", string("Name of the VirtualMachineInstancetype or "
                        + "VirtualMachineClusterInstancetype."))
                .prop("kind", string("VirtualMachineInstancetype or VirtualMachineClusterInstancetype (the "
                        + "default)."))
                .prop("revisionName", string("ControllerRevision holding the copy of the instance type in use; "
                        + "recorded when first applied."))
                .prop("inferFromVolume", inferFromVolume)
                .prop("inferFromVolumeFailurePolicy", failurePolicy)
                .build());
        String preferenceMatcher = d.define(V1 + "PreferenceMatcher", object("Reference to the preference that "
                + "fills in defaults of the VM.")
                .prop("name", string("Name of the VirtualMachinePreference or VirtualMachineClusterPreference."))
                .prop("kind", string("VirtualMachinePreference or VirtualMachineClusterPreference (the "
                        + "default)."))
                .prop("revisionName", string("ControllerRevision holding the copy of the preference in use; "
                        + "recorded when first applied."))
                .prop("inferFromVolume", inferFromVolume)
                .prop("inferFromVolumeFailurePolicy", failurePolicy)
                .build());
        String dvTemplate = d.define(V1 + "DataVolumeTemplateSpec", object("A DataVolume created for and owned "
                + "by the VM.")
                .prop("apiVersion", string("Ignored; kept for compatibility."))
                .prop("kind", string("Ignored; kept for compatibility."))
                .prop("metadata", Defs.meta("Name, labels and annotations of the DataVolume."))
                .prop("spec", ref(OtherKubevirtSchemas.DV_SPEC, "Specification of the DataVolume."))
                .prop("status", preserved("Ignored; kept for compatibility."))
                .required("spec")
                .build());

        d.define(VM_SPEC, object("Desired state of a virtual machine: the template of its instances and "
                + "when they should run.")
                .prop("runStrategy", VmiSpecSchemas.runStrategy(true))
                .prop("running", bool("Deprecated: use runStrategy. true is the same as runStrategy Always and "
                        + "false the same as Halted; cannot be combined with runStrategy."))
                .prop("template", ref(VmiSpecSchemas.TEMPLATE_SPEC, "Template of the VirtualMachineInstance "
                        + "the VM runs."))
                .prop("instancetype", ref(instancetypeMatcher, "Instance type that provides CPU, memory and "
                        + "related settings."))
                .prop("preference", ref(preferenceMatcher, "Preference that provides device and feature "
                        + "defaults."))
                .prop("dataVolumeTemplates", array("DataVolumes created with the VM and deleted with it; "
                        + "volumes refer to them by name.", ref(dvTemplate, null)))
                .prop("updateVolumesStrategy", string("How volume changes reach a running VM: Replacement "
                        + "(after a restart) or Migration (storage live migration)."))
                .required("template")
                .build());

        String statusRef = d.define(V1 + "InstancetypeStatusRef", object("Instance type or preference the VM "
                + "controller resolved.")
                .prop("name", string("Name of the resource."))
                .prop("kind", string("Kind of the resource."))
                .prop("controllerRevisionRef", object("The ControllerRevision holding the copy in use.")
                        .prop("name", string("Name of the ControllerRevision."))
                        .build())
                .prop("inferFromVolume", inferFromVolume)
                .prop("inferFromVolumeFailurePolicy", failurePolicy)
                .build());
        String vmCondition = d.define(V1 + "VirtualMachineCondition", Defs.condition("A condition of a "
                + "VirtualMachine.", "Condition type: Ready, Paused, Failure, RestartRequired or "
                + "ManualRecoveryRequired."));
        d.define(VM_STATUS, object("Observed state of a virtual machine and of its current instance.")
                .prop("printableStatus", string("Human-readable summary: Stopped, Provisioning, Starting, "
                        + "Running, Paused, Stopping, Terminating, CrashLoopBackOff, Migrating, Unknown, "
                        + "ErrorUnschedulable, ErrImagePull, ImagePullBackOff, ErrorPvcNotFound, "
                        + "DataVolumeError, WaitingForVolumeBinding or WaitingForReceiver."))
                .prop("created", bool("Whether a VirtualMachineInstance exists for the VM."))
                .prop("ready", bool("Whether the instance is running and ready."))
                .prop("conditions", array("Current conditions.", ref(vmCondition, null)))
                .prop("stateChangeRequests", array("Start/stop requests waiting to be carried out by the "
                        + "controller.", object("A requested state change.")
                        .prop("action", string("Start or Stop."))
                        .prop("data", stringMap("Extra data for the action, e.g. paused: \"true\"."))
                        .prop("uid", string("UID of the instance the request applies to, if any."))
                        .required("action")
                        .build()))
                .prop("volumeRequests", array("Volume hotplug requests waiting to be applied.",
                        preserved("An add or remove volume request.")))
                .prop("volumeSnapshotStatuses", array("Whether each volume supports snapshots.",
                        object("Snapshot support of a volume.")
                                .prop("name", string("Name of the volume."))
                                .prop("enabled", bool("Whether the volume can be snapshotted."))
                                .prop("reason", string("Why not, when it cannot."))
                                .required("name", "enabled")
                                .build()))
                .prop("startFailure", object("Consecutive failed starts, for crash-loop back-off.")
                        .prop("consecutiveFailCount", int64("Number of consecutive failed starts."))
                        .prop("lastFailedVMIUID", string("UID of the instance that failed last."))
                        .prop("retryAfterTimestamp", dateTime("Earliest time of the next start attempt."))
                        .build())
                .prop("memoryDumpRequest", object("Progress of a memory dump request.")
                        .prop("claimName", string("Claim receiving the dump."))
                        .prop("phase", string("Associating, InProgress, Unmounting, Completed, Dissociating or "
                                + "Failed."))
                        .prop("remove", bool("Whether dissociating the claim was requested."))
                        .prop("startTimestamp", dateTime("When the dump started."))
                        .prop("endTimestamp", dateTime("When the dump finished."))
                        .prop("fileName", string("Name of the dump file."))
                        .prop("message", string("Details about a failure."))
                        .required("claimName", "phase")
                        .build())
                .prop("snapshotInProgress", string("Name of the VirtualMachineSnapshot in progress."))
                .prop("restoreInProgress", string("Name of the VirtualMachineRestore in progress."))
                .prop("observedGeneration", int64("Generation of the VM the running instance was created "
                        + "from."))
                .prop("desiredGeneration", int64("Generation the instance should reflect; compared with "
                        + "observedGeneration to detect pending changes."))
                .prop("runStrategy", VmiSpecSchemas.runStrategy(false))
                .prop("volumeUpdateState", preserved("State of volume updates (volume migrations)."))
                .prop("changedBlockTracking", preserved("Changed block tracking state for backups."))
                .prop("instancetypeRef", ref(statusRef, "Instance type in use."))
                .prop("preferenceRef", ref(statusRef, "Preference in use."))
                .build());

        d.kind("kubevirt.io", "v1", "VirtualMachine", V1 + "VirtualMachine", object("VirtualMachine keeps a "
                + "virtual machine's definition and starts, stops and restarts its VirtualMachineInstance "
                + "according to the run strategy.")
                .prop("spec", ref(VM_SPEC, "Desired state of the VM."))
                .prop("status", ref(VM_STATUS, "Observed state of the VM."))
                .required("spec")
                .build());
        d.kind("kubevirt.io", "v1", "VirtualMachineInstance", V1 + "VirtualMachineInstance", object(
                "VirtualMachineInstance is a running virtual machine: one guest in one virt-launcher pod.")
                .prop("spec", ref(VmiSpecSchemas.VMI_SPEC, "Desired state of the instance."))
                .prop("status", ref(VmiStatusSchemas.VMI_STATUS, "Observed state of the instance."))
                .required("spec")
                .build());
        registerMigration(d);
        registerReplicaSetAndPreset(d);
    }

    private static void registerMigration(Defs d) {
        String condition = d.define(V1 + "VirtualMachineInstanceMigrationCondition", Defs.condition("A condition "
                + "of a migration.", "Condition type, e.g. migrationAbortRequested."));
        d.kind("kubevirt.io", "v1", "VirtualMachineInstanceMigration", V1 + "VirtualMachineInstanceMigration",
                object("VirtualMachineInstanceMigration requests a live migration of a VMI to another node and "
                        + "tracks it.")
                        .prop("spec", object("What to migrate.")
                                .prop("vmiName", string("Name of the VMI to migrate, in the migration's "
                                        + "namespace."))
                                .prop("addedNodeSelector", stringMap("Extra node labels the target node must "
                                        + "have; can only narrow the VMI's own constraints."))
                                .prop("sendTo", object("Makes this the source side of a decentralized "
                                        + "migration.")
                                        .prop("migrationID", string("Identifier shared by both sides."))
                                        .prop("connectURL", string("URL of the target's synchronization "
                                                + "controller."))
                                        .required("migrationID", "connectURL")
                                        .build())
                                .prop("receive", object("Makes this the target side of a decentralized "
                                        + "migration.")
                                        .prop("migrationID", string("Identifier shared by both sides."))
                                        .required("migrationID")
                                        .build())
                                .prop("priority", string("Priority: system-critical, user-triggered or "
                                        + "system-maintenance."))
                                .build())
                        .prop("status", object("Progress of the migration.")
                                .prop("phase", string("Pending, Scheduling, Scheduled, PreparingTarget, "
                                        + "TargetReady, Running, Succeeded, Failed, WaitingForSync or "
                                        + "Synchronizing."))
                                .prop("phaseTransitionTimestamps", array("When each phase was entered.",
                                        object("Time a phase was entered.")
                                                .prop("phase", string("The phase."))
                                                .prop("phaseTransitionTimestamp", dateTime("When it was "
                                                        + "entered."))
                                                .build()))
                                .prop("conditions", array("Current conditions.", ref(condition, null)))
                                .prop("migrationState", ref(VmiStatusSchemas.MIGRATION_STATE, "Detailed "
                                        + "migration state."))
                                .prop("synchronizationAddresses", Schema.stringArray("Addresses of the "
                                        + "synchronization controller."))
                                .build())
                        .required("spec")
                        .build());
    }

    private static void registerReplicaSetAndPreset(Defs d) {
        String condition = d.define(V1 + "VirtualMachineInstanceReplicaSetCondition", Defs.condition("A "
                + "condition of a replica set.", "Condition type: ReplicaFailure or ReplicaPaused."));
        d.kind("kubevirt.io", "v1", "VirtualMachineInstanceReplicaSet", V1 + "VirtualMachineInstanceReplicaSet",
                object("VirtualMachineInstanceReplicaSet keeps a number of identical VMIs running.")
                        .prop("spec", object("Desired replicas and their template.")
                                .prop("replicas", Schema.int32("Number of VMIs to keep. Defaults to 1."))
                                .prop("selector", d.k8s(LabelSelector.class, "Label query selecting the VMIs "
                                        + "the replica set owns; must match the template's labels."))
                                .prop("template", ref(VmiSpecSchemas.TEMPLATE_SPEC, "Template of the VMIs."))
                                .prop("paused", bool("When true, the replica set stops adding and removing "
                                        + "VMIs."))
                                .required("selector", "template")
                                .build())
                        .prop("status", object("Observed replicas.")
                                .prop("replicas", Schema.int32("Number of VMIs that are not final or deleted."))
                                .prop("readyReplicas", Schema.int32("Number of ready VMIs."))
                                .prop("conditions", array("Current conditions.", ref(condition, null)))
                                .prop("labelSelector", string("Selector in string form, for the scale "
                                        + "subresource."))
                                .build())
                        .required("spec")
                        .build());
        d.kind("kubevirt.io", "v1", "VirtualMachineInstancePreset", V1 + "VirtualMachineInstancePreset",
                object("Deprecated (use instance types and preferences): applies domain settings to every new "
                        + "VMI whose labels match.")
                        .prop("spec", object("Which VMIs to change and how.")
                                .prop("selector", d.k8s(LabelSelector.class, "Label query selecting the VMIs "
                                        + "the preset applies to."))
                                .prop("domain", ref(DomainSchemas.DOMAIN_SPEC, "Domain settings merged into "
                                        + "matching VMIs."))
                                .required("selector")
                                .build())
                        .build());
    }
}
