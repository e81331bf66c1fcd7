package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.CDI;
import static io.jvirt.api.schema.Defs.MIGRATIONS;
import static io.jvirt.api.schema.Defs.NAD;
import static io.jvirt.api.schema.Defs.POOL;
import static io.jvirt.api.schema.Defs.SNAPSHOT;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.dateTime;
import static io.jvirt.api.schema.Schema.enumString;
import static io.jvirt.api.schema.Schema.int32;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.intOrString;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.preserved;
import static io.jvirt.api.schema.Schema.quantity;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringArray;
import static io.jvirt.api.schema.Schema.stringMap;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReference;

/**
 * The smaller groups: pool.kubevirt.io, migrations.kubevirt.io, snapshot.kubevirt.io, CDI's DataVolume and Multus'
 * NetworkAttachmentDefinition.
 */
final class OtherKubevirtSchemas {
    static final String DV_SPEC = CDI + "DataVolumeSpec";

    private OtherKubevirtSchemas() {
    }

    static void register(Defs d) {
        registerDataVolume(d);
        registerPool(d);
        registerMigrationPolicy(d);
        registerSnapshots(d);
        d.kind("k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition", NAD + "NetworkAttachmentDefinition",
                object("NetworkAttachmentDefinition (Multus) describes a secondary network pods and VMs can "
                        + "attach to.")
                        .prop("spec", object("The network's CNI configuration.")
                                .prop("config", string("CNI configuration as a JSON string; when empty, a "
                                        + "configuration file named after the object is used."))
                                .build())
                        .build());
    }

    private static void registerDataVolume(Defs d) {
        Schema source = object("Where the data comes from; set exactly one source. Only the source kinds are "
                + "described; their settings are passed through.")
                .prop("http", preserved("Import from an http(s) URL: url, secretRef, certConfigMap, "
                        + "extraHeaders, secretExtraHeaders."))
                .prop("registry", preserved("Import a containerDisk image from a registry: url, imageStream, "
                        + "pullMethod, secretRef, certConfigMap."))
                .prop("pvc", preserved("Clone an existing PVC: namespace, name."))
                .prop("snapshot", preserved("Restore from a VolumeSnapshot: namespace, name."))
                .prop("blank", preserved("Create an empty (blank) disk image."))
                .prop("upload", preserved("Wait for an upload through the CDI upload proxy."))
                .prop("s3", preserved("Import from an S3 bucket."))
                .prop("gcs", preserved("Import from Google Cloud Storage."))
                .prop("imageio", preserved("Import from oVirt imageio."))
                .prop("vddk", preserved("Import from VMware through VDDK."))
                .preserveUnknown()
                .build();
        d.define(DV_SPEC, object("Desired DataVolume: a source of data and the PVC to populate with it. Further "
                + "CDI fields are passed through.")
                .prop("source", source)
                .prop("sourceRef", object("Indirect source: a DataSource that points at the data.")
                        .prop("kind", string("Kind of the reference; DataSource."))
                        .prop("namespace", string("Namespace of the DataSource; the DataVolume's by default."))
                        .prop("name", string("Name of the DataSource."))
                        .required("kind", "name")
                        .build())
                .prop("storage", object("Storage request; unset values are completed from the StorageClass's "
                        + "StorageProfile (access modes, volume mode, size overhead).")
                        .prop("accessModes", stringArray("Access modes, e.g. ReadWriteOnce or ReadWriteMany."))
                        .prop("volumeMode", string("Filesystem or Block."))
                        .prop("storageClassName", string("StorageClass of the PVC."))
                        .prop("resources", preserved("Requested size, e.g. requests: {storage: 10Gi}."))
                        .prop("selector", d.k8s(LabelSelector.class, "Label query over volumes to bind."))
                        .prop("volumeName", string("PersistentVolume to bind to."))
                        .prop("dataSource", preserved("Populator data source of the PVC."))
                        .preserveUnknown()
                        .build())
                .prop("pvc", d.k8s(PersistentVolumeClaimSpec.class, "Exact PVC specification to create; "
                        + "alternative to storage."))
                .prop("contentType", enumString("What the data is: kubevirt (a VM disk image, the default) or "
                        + "archive (a tar to unpack).", "kubevirt", "archive"))
                .prop("preallocation", bool("Whether the disk image is fully allocated up front."))
                .prop("priorityClassName", string("PriorityClass of the importer, cloner or uploader pod."))
                .prop("checkpoints", array("Stages of a multi-stage (warm) import.", object("A stage.")
                        .prop("previous", string("Snapshot of the previous checkpoint."))
                        .prop("current", string("Snapshot of this checkpoint."))
                        .required("previous", "current")
                        .build()))
                .prop("finalCheckpoint", bool("Whether the current checkpoint is the last one."))
                .preserveUnknown()
                .build());
        String condition = d.define(CDI + "DataVolumeCondition", object("A condition of a DataVolume.")
                .prop("type", string("Condition type: Ready, Bound or Running."))
                .prop("status", string("True, False or Unknown."))
                .prop("lastTransitionTime", dateTime("Last time the status changed."))
                .prop("lastHeartbeatTime", dateTime("Last time the condition was updated."))
                .prop("reason", string("Machine-readable reason."))
                .prop("message", string("Human-readable details."))
                .required("type", "status")
                .build());
        d.kind("cdi.kubevirt.io", "v1beta1", "DataVolume", CDI + "DataVolume", object("DataVolume (CDI) "
                + "imports, clones or uploads a disk image into a PersistentVolumeClaim of the same name.")
                .prop("spec", ref(DV_SPEC, "Source and target of the data."))
                .prop("status", object("Progress of the population.")
                        .prop("phase", string("Phase, e.g. Pending, ImportScheduled, ImportInProgress, "
                                + "CloneInProgress, UploadReady, WaitForFirstConsumer, Succeeded, Failed, "
                                + "Paused, Unknown."))
                        .prop("progress", string("Transfer progress as a percentage such as \"45.5%\", or N/A."))
                        .prop("restartCount", int32("How often the populating pod restarted."))
                        .prop("claimName", string("Name of the PVC that holds the data."))
                        .prop("conditions", array("Current conditions.", ref(condition, null)))
                        .build())
                .required("spec")
                .build());
    }

    private static void registerPool(Defs d) {
        String template = d.define(POOL + "VirtualMachineTemplateSpec", object("Template of the VMs of a pool.")
                .prop("metadata", Defs.meta("Labels and annotations of the created VMs."))
                .prop("spec", ref(VmSchemas.VM_SPEC, "Specification of the created VMs."))
                .build());
        String condition = d.define(POOL + "VirtualMachinePoolCondition", Defs.condition("A condition of a pool.",
                "Condition type: ReplicaFailure or ReplicaPaused."));
        d.kind("pool.kubevirt.io", "v1beta1", "VirtualMachinePool", POOL + "VirtualMachinePool", object(
                "VirtualMachinePool keeps a number of VirtualMachines created from one template.")
                .prop("spec", object("Desired VMs of the pool.")
                        .prop("replicas", int32("Number of VMs to keep. Defaults to 1."))
                        .prop("selector", d.k8s(LabelSelector.class, "Label query selecting the pool's VMs; "
                                + "must match the template's labels."))
                        .prop("virtualMachineTemplate", ref(template, "Template of the VMs."))
                        .prop("paused", bool("When true, the pool stops creating, deleting and updating VMs."))
                        .prop("nameGeneration", object("Options for naming the VMs' per-index resources.")
                                .prop("appendIndexToConfigMapRefs", bool("Append the VM index to ConfigMap "
                                        + "references."))
                                .prop("appendIndexToSecretRefs", bool("Append the VM index to Secret "
                                        + "references."))
                                .build())
                        .prop("maxUnavailable", intOrString("Number or percentage of VMs that may be unavailable "
                                + "during an update. Defaults to 100%."))
                        .prop("scaleInStrategy", preserved("How VMs are removed when scaling in: unmanaged, "
                                + "opportunistic or proactive (default)."))
                        .prop("updateStrategy", preserved("How VMs are updated after a template change: "
                                + "unmanaged, opportunistic or proactive (default)."))
                        .prop("autohealing", object("When a failing VM is replaced.")
                                .prop("startUpFailureThreshold", int64("Consecutive failed starts before the VM "
                                        + "is replaced. Defaults to 3."))
                                .prop("minFailingToStartDuration", string("How long a VM must be failing before "
                                        + "it is replaced, e.g. 5m."))
                                .build())
                        .required("selector", "virtualMachineTemplate")
                        .build())
                .prop("status", object("Observed VMs of the pool.")
                        .prop("replicas", int32("Number of VMs that are not final or deleted."))
                        .prop("readyReplicas", int32("Number of ready VMs."))
                        .prop("conditions", array("Current conditions.", ref(condition, null)))
                        .prop("labelSelector", string("Selector in string form, for the scale subresource."))
                        .build())
                .required("spec")
                .build());
    }

    private static void registerMigrationPolicy(Defs d) {
        d.kind("migrations.kubevirt.io", "v1alpha1", "MigrationPolicy", MIGRATIONS + "MigrationPolicy", object(
                "MigrationPolicy overrides the cluster's live-migration settings for the VMIs it selects.")
                .prop("spec", object("Which VMIs the policy applies to and the settings it imposes. Further "
                        + "migration settings are passed through.")
                        .prop("selectors", object("Labels a VMI and its namespace must carry; all given labels "
                                + "must match.")
                                .prop("namespaceSelector", stringMap("Labels the VMI's namespace must have."))
                                .prop("virtualMachineInstanceSelector", stringMap("Labels the VMI must have."))
                                .build())
                        .prop("allowAutoConverge", bool("Allow throttling the guest's CPUs so the migration "
                                + "converges."))
                        .prop("bandwidthPerMigration", quantity("Network bandwidth per migration, per second; "
                                + "0 means unlimited."))
                        .prop("completionTimeoutPerGiB", int64("Seconds per GiB of guest memory before the "
                                + "migration is cancelled or switched to post-copy."))
                        .prop("allowPostCopy", bool("Allow switching to post-copy when the completion timeout "
                                + "is reached."))
                        .prop("allowWorkloadDisruption", bool("Allow pausing or post-copy instead of cancelling "
                                + "when the completion timeout is reached."))
                        .required("selectors")
                        .preserveUnknown()
                        .build())
                .prop("status", preserved("Status of the policy (currently empty)."))
                .required("spec")
                .build());
    }

    private static void registerSnapshots(Defs d) {
        String error = d.define(SNAPSHOT + "Error", object("Last error of a snapshot or restore.")
                .prop("time", dateTime("When the error happened."))
                .prop("message", string("What went wrong."))
                .build());
        String condition = d.define(SNAPSHOT + "Condition", Defs.condition("A condition of a snapshot or restore.",
                "Condition type: Ready, Progressing or Failure."));
        Schema conditions = array("Current conditions.", ref(condition, null));
        d.kind("snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshot", SNAPSHOT + "VirtualMachineSnapshot",
                object("VirtualMachineSnapshot takes a point-in-time snapshot of a VM's definition and volumes.")
                        .prop("spec", object("What to snapshot and how.")
                                .prop("source", d.k8s(TypedLocalObjectReference.class, "The VM to snapshot "
                                        + "(apiGroup kubevirt.io, kind VirtualMachine, name)."))
                                .prop("deletionPolicy", enumString("What happens to the snapshot content when "
                                        + "the snapshot is deleted: Delete or Retain.", "Delete", "Retain"))
                                .prop("failureDeadline", string("How long the snapshot may take before it is "
                                        + "marked failed, e.g. 5m (the default)."))
                                .prop("snapshotMode", string("How a running VM is snapshotted: Direct "
                                        + "(default) or External."))
                                .prop("overlayScratchSize", quantity("Size of the scratch volume for External "
                                        + "mode overlays."))
                                .required("source")
                                .build())
                        .prop("status", object("Progress and result of the snapshot.")
                                .prop("sourceUID", string("UID of the snapshotted VM."))
                                .prop("virtualMachineSnapshotContentName", string("Content object holding the "
                                        + "snapshot data."))
                                .prop("creationTime", dateTime("When the snapshot was taken."))
                                .prop("phase", string("InProgress, Succeeded, Failed, Deleting or Unknown."))
                                .prop("readyToUse", bool("Whether the snapshot can be restored."))
                                .prop("error", ref(error, "Last error."))
                                .prop("conditions", conditions)
                                .prop("indications", stringArray("Deprecated: use sourceIndications."))
                                .prop("sourceIndications", array("State of the VM when it was snapshotted "
                                        + "(Online, GuestAgent, NoGuestAgent, ...).", object("An indication.")
                                        .prop("indication", string("The indication."))
                                        .prop("message", string("What it means."))
                                        .required("indication", "message")
                                        .build()))
                                .prop("snapshotVolumes", object("Volumes included in and excluded from the "
                                        + "snapshot.")
                                        .prop("includedVolumes", stringArray("Volumes in the snapshot."))
                                        .prop("excludedVolumes", stringArray("Volumes left out."))
                                        .build())
                                .build())
                        .required("spec")
                        .build());
        registerSnapshotContentAndRestore(d, error, conditions);
    }

    private static void registerSnapshotContentAndRestore(Defs d, String error, Schema conditions) {
        d.kind("snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshotContent",
                SNAPSHOT + "VirtualMachineSnapshotContent", object("VirtualMachineSnapshotContent holds the data "
                        + "of a snapshot: the VM definition and the volume snapshots.")
                        .prop("spec", object("Captured data.")
                                .prop("virtualMachineSnapshotName", string("Snapshot this content belongs to."))
                                .prop("source", object("Copy of the snapshotted object.")
                                        .prop("virtualMachine", object("The VM as it was.")
                                                .prop("metadata", Defs.meta("Metadata of the VM."))
                                                .prop("spec", ref(VmSchemas.VM_SPEC, "Spec of the VM."))
                                                .prop("status", ref(VmSchemas.VM_STATUS, "Status of the VM."))
                                                .build())
                                        .build())
                                .prop("volumeBackups", array("Per-volume snapshot data.", object("Snapshot of "
                                        + "one volume.")
                                        .prop("volumeName", string("Name of the VM volume."))
                                        .prop("persistentVolumeClaim", object("The PVC as it was.")
                                                .prop("metadata", Defs.meta("Metadata of the PVC."))
                                                .prop("spec", d.k8s(PersistentVolumeClaimSpec.class, "Spec of "
                                                        + "the PVC."))
                                                .build())
                                        .prop("volumeSnapshotName", string("VolumeSnapshot holding the data."))
                                        .required("volumeName", "persistentVolumeClaim")
                                        .build()))
                                .required("source")
                                .build())
                        .prop("status", object("State of the content.")
                                .prop("creationTime", dateTime("When the content was created."))
                                .prop("readyToUse", bool("Whether all volume snapshots are ready."))
                                .prop("error", ref(error, "Last error."))
                                .prop("volumeSnapshotStatus", array("State of each volume snapshot.",
                                        object("State of a volume snapshot.")
                                                .prop("volumeSnapshotName", string("Name of the snapshot."))
                                                .prop("creationTime", dateTime("When it was taken."))
                                                .prop("readyToUse", bool("Whether it is ready."))
                                                .prop("error", ref(error, "Last error."))
                                                .required("volumeSnapshotName")
                                                .build()))
                                .prop("snapshotMode", string("Mode the snapshot was taken with."))
                                .build())
                        .required("spec")
                        .build());
        d.kind("snapshot.kubevirt.io", "v1beta1", "VirtualMachineRestore", SNAPSHOT + "VirtualMachineRestore",
                object("VirtualMachineRestore restores a VM (the same or a new one) from a snapshot.")
                        .prop("spec", object("What to restore where.")
                                .prop("target", d.k8s(TypedLocalObjectReference.class, "VM to restore into; "
                                        + "created when it does not exist."))
                                .prop("virtualMachineSnapshotName", string("Snapshot to restore from."))
                                .prop("targetReadinessPolicy", enumString("What to do when the target VM is "
                                        + "running: StopTarget, WaitGracePeriod (default), FailImmediate or "
                                        + "WaitEventually.", "StopTarget", "WaitGracePeriod", "FailImmediate",
                                        "WaitEventually"))
                                .prop("volumeRestorePolicy", string("How restored PVCs are named: RandomizeNames "
                                        + "(default), InPlace or PrefixTargetName."))
                                .prop("volumeOwnershipPolicy", string("Who owns restored volumes: Vm or None."))
                                .prop("volumeRestoreOverrides", array("Per-volume changes applied when "
                                        + "restoring.", object("Overrides for one volume.")
                                        .prop("volumeName", string("Name of the volume."))
                                        .prop("restoreName", string("Name of the restored PVC."))
                                        .prop("labels", stringMap("Labels added to the restored PVC."))
                                        .prop("annotations", stringMap("Annotations added to the restored PVC."))
                                        .build()))
                                .prop("patches", stringArray("JSON patches applied to a newly created target "
                                        + "VM, e.g. {\"op\": \"replace\", \"path\": \"/metadata/name\", ...}."))
                                .required("target", "virtualMachineSnapshotName")
                                .build())
                        .prop("status", object("Progress of the restore.")
                                .prop("restores", array("Restored volumes.", object("A restored volume.")
                                        .prop("volumeName", string("Name of the VM volume."))
                                        .prop("persistentVolumeClaim", string("Name of the restored PVC."))
                                        .prop("volumeSnapshotName", string("Snapshot it was restored from."))
                                        .prop("dataVolumeName", string("DataVolume created for it, if any."))
                                        .required("volumeName", "persistentVolumeClaim", "volumeSnapshotName")
                                        .build()))
                                .prop("restoreTime", dateTime("When the restore finished."))
                                .prop("deletedDataVolumes", stringArray("DataVolumes deleted by the restore."))
                                .prop("complete", bool("Whether the restore is complete."))
                                .prop("conditions", conditions)
                                .build())
                        .required("spec")
                        .build());
    }
}
