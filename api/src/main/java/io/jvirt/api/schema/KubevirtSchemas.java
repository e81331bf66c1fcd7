package io.jvirt.api.schema;

import static io.jvirt.api.schema.Defs.V1;
import static io.jvirt.api.schema.Schema.array;
import static io.jvirt.api.schema.Schema.bool;
import static io.jvirt.api.schema.Schema.enumString;
import static io.jvirt.api.schema.Schema.int64;
import static io.jvirt.api.schema.Schema.map;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.preserved;
import static io.jvirt.api.schema.Schema.quantity;
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringArray;
import static io.jvirt.api.schema.Schema.stringMap;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LocalObjectReference;

/**
 * Entry point of the hand-written KubeVirt schemas; registers every KubeVirt-related kind jvirt serves, and itself
 * defines the KubeVirt installation CR. The definitions are split by area: {@link DomainSchemas},
 * {@link DeviceSchemas}, {@link VmiSpecSchemas}, {@link VmiStatusSchemas}, {@link VmSchemas},
 * {@link InstancetypeSchemas} and {@link OtherKubevirtSchemas}.
 *
 * <p>Only field names found in KubeVirt's (and CDI's, Multus') Go API types are declared. Large, rarely edited
 * subtrees keep {@code x-kubernetes-preserve-unknown-fields} so their further content passes unchecked.
 */
public final class KubevirtSchemas {
    private KubevirtSchemas() {
    }

    static void register(SchemaRegistry registry, CoreSchemas core) {
        Defs d = new Defs(registry, core);
        DomainSchemas.register(d);
        DeviceSchemas.register(d);
        VmiSpecSchemas.register(d);
        VmiStatusSchemas.register(d);
        OtherKubevirtSchemas.register(d);
        VmSchemas.register(d);
        InstancetypeSchemas.register(d);
        registerKubeVirt(d);
    }

    private static void registerKubeVirt(Defs d) {
        Schema enabled = bool("Whether it is enabled.");
        String developer = d.define(V1 + "DeveloperConfiguration", object("Feature gates and tuning knobs.")
                .prop("featureGates", stringArray("Feature gates to enable, e.g. HostDevices, Snapshot. A gate "
                        + "must not also be listed as disabled."))
                .prop("disabledFeatureGates", stringArray("Feature gates (usually beta ones) to disable."))
                .prop("useEmulation", bool("Fall back to software emulation (TCG) when /dev/kvm is missing. "
                        + "Defaults to false."))
                .prop("cpuAllocationRatio", int64("vCPUs per requested physical CPU for non-dedicated VMs: the "
                        + "pod requests 1/ratio CPU per vCPU. Defaults to 10."))
                .prop("memoryOvercommit", int64("Percentage of the pod's memory the guest sees; above 100 "
                        + "overcommits. Defaults to 100."))
                .prop("nodeSelectors", stringMap("Labels every node running VMs must have."))
                .prop("pvcTolerateLessSpaceUpToPercent", int64("How much smaller than requested (percent) a "
                        + "disk PVC may be. Defaults to 10."))
                .prop("minimumReservePVCBytes", int64("Bytes left unused on disk PVCs. Defaults to 131072."))
                .prop("minimumClusterTSCFrequency", int64("Fixes the cluster's minimum TSC frequency."))
                .prop("diskVerification", object("Limits for verifying containerDisk images.")
                        .prop("memoryLimit", quantity("Memory limit of the verification process."))
                        .required("memoryLimit")
                        .build())
                .prop("logVerbosity", object("Log verbosity per component (0-9, default 2).")
                        .prop("virtAPI", int64("Verbosity of virt-api."))
                        .prop("virtController", int64("Verbosity of virt-controller."))
                        .prop("virtHandler", int64("Verbosity of virt-handler."))
                        .prop("virtLauncher", int64("Verbosity of new virt-launcher pods."))
                        .prop("virtOperator", int64("Verbosity of virt-operator."))
                        .prop("virtSynchronizationController", int64("Verbosity of the synchronization "
                                + "controller."))
                        .prop("nodeVerbosity", map("Verbosity per node name.", int64(null)))
                        .build())
                .prop("clusterProfiler", bool("Enable pprof profiling of the control plane."))
                .prop("insecureRegistries", stringArray("Registries (host or host:port) that nodes pull "
                        + "containerDisk images from over plain HTTP. Loopback registries always are."))
                .build());
        String migrations = d.define(V1 + "MigrationConfiguration", object("Cluster-wide live-migration "
                + "settings; MigrationPolicies can override them per VM. Further keys are passed through.")
                .prop("parallelMigrationsPerCluster", int64("Concurrent migrations in the cluster. Defaults "
                        + "to 5."))
                .prop("parallelOutboundMigrationsPerNode", int64("Concurrent outgoing migrations per node. "
                        + "Defaults to 2."))
                .prop("bandwidthPerMigration", quantity("Bandwidth per migration per second; 0 is unlimited."))
                .prop("completionTimeoutPerGiB", int64("Seconds per GiB of memory before a migration is "
                        + "cancelled or switched to post-copy. Defaults to 150."))
                .prop("progressTimeout", int64("Seconds without progress before a migration is cancelled. "
                        + "Defaults to 150."))
                .prop("maxDowntimeMs", int64("Tolerated downtime at switchover in milliseconds. Defaults to "
                        + "900."))
                .prop("allowAutoConverge", bool("Allow throttling the guest so migrations converge."))
                .prop("allowPostCopy", bool("Allow post-copy migrations."))
                .prop("allowWorkloadDisruption", bool("Allow pausing or post-copy instead of cancelling."))
                .prop("unsafeMigrationOverride", bool("Migrate even when the compatibility check says unsafe."))
                .prop("nodeDrainTaintKey", string("Taint key that marks a node for draining. Defaults to "
                        + "kubevirt.io/drain."))
                .prop("network", string("Name of a dedicated migration network (NetworkAttachmentDefinition)."))
                .prop("disableTLS", bool("Disable TLS on the migration proxy."))
                .prop("matchSELinuxLevelOnMigration", bool("Let the target pod get its own SELinux level."))
                .prop("utilityVolumesTimeout", int64("Seconds to wait for utility volumes to detach."))
                .preserveUnknown()
                .build());
        Schema configuration = object("Cluster-wide KubeVirt configuration. Only commonly used settings are "
                + "described; further keys are passed through.")
                .prop("developerConfiguration", ref(developer, "Feature gates and tuning knobs."))
                .prop("cpuModel", string("Default CPU model of VMIs that do not set one."))
                .prop("cpuRequest", quantity("CPU request of VMIs that set none. Defaults to 100m."))
                .prop("machineType", string("Deprecated: use architectureConfiguration. Default machine type."))
                .prop("emulatedMachines", stringArray("Deprecated: use architectureConfiguration. Allowed "
                        + "machine types (globs)."))
                .prop("architectureConfiguration", preserved("Per-architecture machine types, emulated machines "
                        + "and OVMF paths, and the default architecture."))
                .prop("imagePullPolicy", string("Pull policy of user workload images (virt-launcher and "
                        + "friends)."))
                .prop("migrations", ref(migrations, "Live-migration settings."))
                .prop("network", object("Network defaults.")
                        .prop("defaultNetworkInterface", string("Binding of the default pod interface: bridge "
                                + "or masquerade."))
                        .prop("permitBridgeInterfaceOnPodNetwork", bool("Allow bridge binding on the pod "
                                + "network."))
                        .prop("permitSlirpInterface", bool("Deprecated: slirp was removed."))
                        .prop("binding", map("Network binding plugins by name.", preserved("A binding plugin: "
                                + "sidecarImage, networkAttachmentDefinition, domainAttachmentType, migration, "
                                + "downwardAPI, computeResourceOverhead.")))
                        .build())
                .prop("evictionStrategy", string("Default eviction strategy of VMIs: None, LiveMigrate, "
                        + "LiveMigrateIfPossible or External."))
                .prop("memBalloonStatsPeriod", int64("Seconds between memory balloon statistics updates; 0 "
                        + "disables them. Defaults to 10."))
                .prop("vmRolloutStrategy", enumString("How live-updatable VM changes reach running VMIs: "
                        + "LiveUpdate (applied live where possible) or Stage (applied at the next restart).",
                        "Stage", "LiveUpdate"))
                .prop("liveUpdateConfiguration", object("Defaults for CPU and memory hotplug.")
                        .prop("maxHotplugRatio", int64("Ratio between the maximum and the initial sockets or "
                                + "memory. Defaults to 4."))
                        .prop("maxCpuSockets", int64("Maximum sockets of VMs that set none."))
                        .prop("maxGuest", quantity("Maximum guest memory of VMs that set none."))
                        .build())
                .prop("permittedHostDevices", preserved("Host PCI, mediated and USB devices VMs may use."))
                .prop("mediatedDevicesConfiguration", preserved("Mediated device types to create on nodes."))
                .prop("obsoleteCPUModels", map("CPU models considered obsolete (model: true).", bool(null)))
                .prop("minCPUModel", string("Deprecated minimum CPU model."))
                .prop("ovmfPath", string("Deprecated: use architectureConfiguration. OVMF firmware path."))
                .prop("smbios", object("SMBIOS system information given to guests.")
                        .prop("manufacturer", string("Manufacturer."))
                        .prop("product", string("Product name."))
                        .prop("version", string("Version."))
                        .prop("sku", string("SKU."))
                        .prop("family", string("Family."))
                        .build())
                .prop("selinuxLauncherType", string("SELinux type of virt-launcher."))
                .prop("defaultRuntimeClass", string("RuntimeClass of virt-launcher pods."))
                .prop("supportedGuestAgentVersions", stringArray("Deprecated list of guest agent versions."))
                .prop("supportContainerResources", array("Resources of helper containers (container-disk, "
                        + "hotplug-disk, sidecar, ...).", preserved("Resources of one helper container type.")))
                .prop("virtualMachineInstancesPerNode", int64("Maximum VMIs per node."))
                .prop("additionalGuestMemoryOverheadRatio", string("Factor applied to the computed memory "
                        + "overhead, e.g. \"1.5\". Defaults to 1."))
                .prop("tlsConfiguration", object("TLS settings of KubeVirt's endpoints.")
                        .prop("minTLSVersion", enumString("Minimum TLS version.", "VersionTLS10", "VersionTLS11",
                                "VersionTLS12", "VersionTLS13"))
                        .prop("ciphers", stringArray("Allowed cipher suites."))
                        .build())
                .prop("vmStateStorageClass", string("StorageClass of PVCs that keep VM state such as TPM and "
                        + "EFI variables."))
                .prop("autoCPULimitNamespaceLabelSelector", d.k8s(LabelSelector.class, "Namespaces whose VMIs "
                        + "get a CPU limit equal to their vCPU count."))
                .prop("commonInstancetypesDeployment", object("Deployment of the common instance types.")
                        .prop("enabled", enabled).build())
                .prop("virtTemplateDeployment", object("Deployment of virt-template components.")
                        .prop("enabled", enabled).build())
                .prop("instancetype", object("Instance type handling.")
                        .prop("referencePolicy", enumString("How VMs keep instance types: reference (a "
                                + "ControllerRevision copy, default), expand (into the VM when not yet "
                                + "referenced) or expandAll.", "reference", "expand", "expandAll"))
                        .build())
                .prop("persistentReservationConfiguration", object("SCSI persistent reservation support.")
                        .prop("enabled", enabled).build())
                .prop("roleAggregationStrategy", enumString("Whether KubeVirt's cluster roles aggregate into "
                        + "admin/edit/view: AggregateToDefault (default) or Manual.", "AggregateToDefault",
                        "Manual"))
                .preserveUnknown()
                .build();
        String componentConfig = d.define(V1 + "ComponentConfig", object("Placement of KubeVirt components.")
                .prop("nodePlacement", preserved("nodeSelector, affinity and tolerations of the components."))
                .prop("replicas", Schema.int32("Number of replicas of the control-plane deployments."))
                .preserveUnknown()
                .build());
        String condition = d.define(V1 + "KubeVirtCondition", Defs.condition("A condition of the KubeVirt "
                + "installation.", "Condition type: Available, Progressing, Degraded, Created or Synchronized."));
        d.kind("kubevirt.io", "v1", "KubeVirt", V1 + "KubeVirt", object("KubeVirt is the installation and "
                + "cluster-wide configuration of KubeVirt; there is one per cluster.")
                .prop("spec", object("Desired installation and configuration.")
                        .prop("configuration", configuration)
                        .prop("imageTag", string("Tag of the KubeVirt component images. Defaults to the "
                                + "operator's."))
                        .prop("imageRegistry", string("Registry of the KubeVirt component images."))
                        .prop("imagePullPolicy", string("Pull policy of KubeVirt's infrastructure images."))
                        .prop("imagePullSecrets", array("Secrets for pulling the component images.",
                                d.k8s(LocalObjectReference.class, null)))
                        .prop("monitorNamespace", string("Namespace Prometheus runs in."))
                        .prop("monitorAccount", string("ServiceAccount of Prometheus."))
                        .prop("serviceMonitorNamespace", string("Namespace for the ServiceMonitor."))
                        .prop("workloadUpdateStrategy", object("How running VMIs are moved to new component "
                                + "versions.")
                                .prop("workloadUpdateMethods", stringArray("Allowed methods, least disruptive "
                                        + "first: LiveMigrate, Evict. Empty disables automatic updates."))
                                .prop("batchEvictionSize", int64("VMIs evicted per interval. Defaults to 10."))
                                .prop("batchEvictionInterval", string("Time between eviction batches, e.g. "
                                        + "1m0s."))
                                .build())
                        .prop("uninstallStrategy", string("Whether uninstalling with VMs present is allowed: "
                                + "RemoveWorkloads or BlockUninstallIfWorkloadsExist."))
                        .prop("certificateRotateStrategy", preserved("Rotation of KubeVirt's self-signed "
                                + "certificates."))
                        .prop("productName", string("Value of the app.kubernetes.io/part-of label."))
                        .prop("productVersion", string("Value of the app.kubernetes.io/version label."))
                        .prop("productComponent", string("Value of the app.kubernetes.io/component label."))
                        .prop("synchronizationPort", string("Port of the migration synchronization controller. "
                                + "Defaults to 9185."))
                        .prop("infra", ref(componentConfig, "Placement of the control-plane components."))
                        .prop("workloads", ref(componentConfig, "Placement of virt-handler and VM workloads."))
                        .prop("synchronizationPlacement", ref(componentConfig, "Placement of the "
                                + "synchronization controllers."))
                        .prop("customizeComponents", preserved("Patches and flags applied to the generated "
                                + "component resources."))
                        .build())
                .prop("status", object("State of the installation.")
                        .prop("phase", string("Deploying, Deployed, Deleting or Deleted."))
                        .prop("conditions", array("Current conditions.", ref(condition, null)))
                        .prop("operatorVersion", string("Version of the operator."))
                        .prop("targetKubeVirtVersion", string("Version being deployed."))
                        .prop("targetKubeVirtRegistry", string("Registry being deployed from."))
                        .prop("targetDeploymentConfig", string("Configuration being deployed."))
                        .prop("targetDeploymentID", string("Identifier of that configuration."))
                        .prop("observedKubeVirtVersion", string("Version deployed."))
                        .prop("observedKubeVirtRegistry", string("Registry deployed from."))
                        .prop("observedDeploymentConfig", string("Configuration deployed."))
                        .prop("observedDeploymentID", string("Identifier of the deployed configuration."))
                        .prop("observedGeneration", int64("Generation of the CR last acted upon."))
                        .prop("outdatedVirtualMachineInstanceWorkloads", int64("VMIs still on old component "
                                + "versions."))
                        .prop("defaultArchitecture", string("Default architecture of VMIs."))
                        .prop("generations", array("Generations of the resources the operator manages.",
                                object("Generation of one managed resource.")
                                        .prop("group", string("API group."))
                                        .prop("resource", string("Resource."))
                                        .prop("namespace", string("Namespace."))
                                        .prop("name", string("Name."))
                                        .prop("lastGeneration", int64("Last generation seen."))
                                        .prop("hash", string("Content hash for resources without "
                                                + "generations."))
                                        .required("group", "resource", "name", "lastGeneration")
                                        .build()))
                        .prop("synchronizationAddresses", stringArray("Addresses of the synchronization "
                                + "controller."))
                        .build())
                .required("spec")
                .build());
    }
}
