package io.jvirt.api.resources;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every resource the platform serves. Short names, categories and printer columns follow KubeVirt's CRDs
 * ({@code pkg/virt-operator/resource/generate/components/crds.go}) and Kubernetes' built-in kinds.
 */
public final class ResourceCatalog {
    private static final String READY_CONDITION = ".status.conditions[?(@.type=='Ready')].status";

    private final List<ResourceType> types;
    private final Map<String, ResourceType> byGroupVersionPlural = new LinkedHashMap<>();

    private ResourceCatalog(List<ResourceType> types) {
        this.types = List.copyOf(types);
        for (ResourceType t : types) {
            byGroupVersionPlural.put(t.group() + "/" + t.version() + "/" + t.plural(), t);
        }
    }

    /** The catalogue jvirt serves. */
    public static ResourceCatalog standard() {
        List<ResourceType> t = new ArrayList<>();
        // core/v1
        t.add(core("Namespace", "namespaces", false, List.of("ns"), List.of(), true, false,
                Set.of("status.phase"),
                List.of(PrinterColumn.of("Status", "string", ".status.phase", "Namespace phase"), PrinterColumn.age())));
        t.add(core("Node", "nodes", false, List.of("no"), List.of(), true, true,
                Set.of("spec.unschedulable"), List.of()));
        t.add(core("Pod", "pods", true, List.of("po"), List.of("all"), true, false,
                Set.of("spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName",
                        "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName", "spec.hostNetwork"),
                List.of()));
        t.add(core("ConfigMap", "configmaps", true, List.of("cm"), List.of(), false, false, Set.of(),
                List.of(PrinterColumn.of("Data", "integer", ".data", "Number of data entries"), PrinterColumn.age())));
        t.add(core("Secret", "secrets", true, List.of(), List.of(), false, false, Set.of("type"),
                List.of(PrinterColumn.of("Type", "string", ".type", "Secret type"), PrinterColumn.age())));
        t.add(core("Event", "events", true, List.of("ev"), List.of(), false, false,
                Set.of("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
                List.of()));
        t.add(core("Service", "services", true, List.of("svc"), List.of("all"), true, false, Set.of(),
                List.of(PrinterColumn.of("Type", "string", ".spec.type", "Service type"),
                        PrinterColumn.of("Cluster-IP", "string", ".spec.clusterIP", "Cluster IP"),
                        PrinterColumn.age())));
        t.add(core("PersistentVolumeClaim", "persistentvolumeclaims", true, List.of("pvc"), List.of(), true, false,
                Set.of(), List.of(PrinterColumn.of("Status", "string", ".status.phase", "Claim phase"),
                        PrinterColumn.of("Volume", "string", ".spec.volumeName", "Bound volume"),
                        PrinterColumn.of("Capacity", "string", ".status.capacity.storage", "Capacity"),
                        PrinterColumn.of("StorageClass", "string", ".spec.storageClassName", "Storage class"),
                        PrinterColumn.age())));
        t.add(core("PersistentVolume", "persistentvolumes", false, List.of("pv"), List.of(), true, false, Set.of(),
                List.of(PrinterColumn.of("Capacity", "string", ".spec.capacity.storage", "Capacity"),
                        PrinterColumn.of("Status", "string", ".status.phase", "Volume phase"),
                        PrinterColumn.of("StorageClass", "string", ".spec.storageClassName", "Storage class"),
                        PrinterColumn.age())));
        t.add(core("ServiceAccount", "serviceaccounts", true, List.of("sa"), List.of(), false, false, Set.of(), List.of()));
        t.add(builtin("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, List.of("sc"), false,
                List.of(PrinterColumn.of("Provisioner", "string", ".provisioner", "Provisioner"), PrinterColumn.age())));
        t.add(builtin("coordination.k8s.io", "v1", "Lease", "leases", true, List.of(), false,
                List.of(PrinterColumn.of("Holder", "string", ".spec.holderIdentity", "Holder"), PrinterColumn.age())));
        t.add(builtin("events.k8s.io", "v1", "Event", "events", true, List.of("ev"), false, List.of()));
        // KubeVirt captures the instancetype and preference a VM started with in ControllerRevisions
        t.add(builtin("apps", "v1", "ControllerRevision", "controllerrevisions", true, List.of(), false,
                List.of(PrinterColumn.of("Revision", "integer", ".revision", "Revision"), PrinterColumn.age())));

        // kubevirt.io/v1
        t.add(kubevirt("kubevirt.io", "v1", "VirtualMachine", "virtualmachines", true, List.of("vm", "vms"), true,
                Set.of(), List.of(PrinterColumn.age(),
                        PrinterColumn.of("Status", "string", ".status.printableStatus", "Human Readable Status"),
                        PrinterColumn.of("Ready", "string", READY_CONDITION, "Ready"))));
        t.add(kubevirt("kubevirt.io", "v1", "VirtualMachineInstance", "virtualmachineinstances", true,
                List.of("vmi", "vmis"), true, Set.of("status.nodeName", "status.phase"), List.of(PrinterColumn.age(),
                        PrinterColumn.of("Phase", "string", ".status.phase", "Phase"),
                        PrinterColumn.of("IP", "string", ".status.interfaces[0].ipAddress", "IP address"),
                        PrinterColumn.of("NodeName", "string", ".status.nodeName", "Node name"),
                        PrinterColumn.of("Ready", "string", READY_CONDITION, "Ready"),
                        new PrinterColumn("Live-Migratable", "string",
                                ".status.conditions[?(@.type=='LiveMigratable')].status", "Live migratable", 1),
                        new PrinterColumn("Paused", "string",
                                ".status.conditions[?(@.type=='Paused')].status", "Paused", 1))));
        t.add(kubevirt("kubevirt.io", "v1", "VirtualMachineInstanceMigration", "virtualmachineinstancemigrations",
                true, List.of("vmim", "vmims"), true, Set.of(), List.of(
                        PrinterColumn.of("Phase", "string", ".status.phase", "The current phase of VM instance migration"),
                        PrinterColumn.of("VMI", "string", ".spec.vmiName", "The name of the VMI to perform the migration on"))));
        t.add(kubevirt("kubevirt.io", "v1", "VirtualMachineInstanceReplicaSet", "virtualmachineinstancereplicasets",
                true, List.of("vmirs", "vmirss"), true, Set.of(), List.of(
                        PrinterColumn.of("Desired", "integer", ".spec.replicas", "Number of desired VirtualMachineInstances"),
                        PrinterColumn.of("Current", "integer", ".status.replicas", "Number of managed and not final or deleted VirtualMachineInstances"),
                        PrinterColumn.of("Ready", "integer", ".status.readyReplicas", "Number of managed VirtualMachineInstances which are ready to receive traffic"),
                        PrinterColumn.age())));
        t.add(kubevirt("kubevirt.io", "v1", "VirtualMachineInstancePreset", "virtualmachineinstancepresets", true,
                List.of("vmipreset", "vmipresets"), false, Set.of(), List.of()));
        t.add(kubevirt("kubevirt.io", "v1", "KubeVirt", "kubevirts", true, List.of("kv", "kvs"), true, Set.of(),
                List.of(PrinterColumn.age(), PrinterColumn.of("Phase", "string", ".status.phase", "Phase"))));

        // instancetype.kubevirt.io/v1beta1
        t.add(kubevirt("instancetype.kubevirt.io", "v1beta1", "VirtualMachineInstancetype",
                "virtualmachineinstancetypes", true,
                List.of("vminstancetype", "vminstancetypes", "vmf", "vmfs"), false, Set.of(), List.of()));
        t.add(kubevirt("instancetype.kubevirt.io", "v1beta1", "VirtualMachineClusterInstancetype",
                "virtualmachineclusterinstancetypes", false,
                List.of("vmclusterinstancetype", "vmclusterinstancetypes", "vmcf", "vmcfs"), false, Set.of(), List.of()));
        t.add(kubevirt("instancetype.kubevirt.io", "v1beta1", "VirtualMachinePreference",
                "virtualmachinepreferences", true,
                List.of("vmpref", "vmprefs", "vmp", "vmps"), false, Set.of(), List.of()));
        t.add(kubevirt("instancetype.kubevirt.io", "v1beta1", "VirtualMachineClusterPreference",
                "virtualmachineclusterpreferences", false,
                List.of("vmcp", "vmcps"), false, Set.of(), List.of()));
        // pool, migrations, snapshot
        t.add(kubevirt("pool.kubevirt.io", "v1beta1", "VirtualMachinePool", "virtualmachinepools", true,
                List.of("vmpool", "vmpools"), true, Set.of(), List.of(
                        PrinterColumn.of("Desired", "integer", ".spec.replicas", "Number of desired VirtualMachines"),
                        PrinterColumn.of("Current", "integer", ".status.replicas", "Number of managed and not final or deleted VirtualMachines"),
                        PrinterColumn.of("Ready", "integer", ".status.readyReplicas", "Number of managed VirtualMachines which are ready to receive traffic"),
                        PrinterColumn.age())));
        t.add(kubevirt("migrations.kubevirt.io", "v1alpha1", "MigrationPolicy", "migrationpolicies", false,
                List.of(), true, Set.of(), List.of()));
        t.add(kubevirt("snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshot", "virtualmachinesnapshots", true,
                List.of("vmsnapshot", "vmsnapshots"), true, Set.of(), List.of(
                        PrinterColumn.of("SourceKind", "string", ".spec.source.kind", "Source kind"),
                        PrinterColumn.of("SourceName", "string", ".spec.source.name", "Source name"),
                        PrinterColumn.of("Phase", "string", ".status.phase", "Phase"),
                        PrinterColumn.of("ReadyToUse", "boolean", ".status.readyToUse", "Ready to use"),
                        PrinterColumn.of("CreationTime", "date", ".status.creationTime", "Creation time"),
                        PrinterColumn.of("Error", "string", ".status.error.message", "Error"))));
        t.add(kubevirt("snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshotContent",
                "virtualmachinesnapshotcontents", true, List.of("vmsnapshotcontent", "vmsnapshotcontents"), true,
                Set.of(), List.of(
                        PrinterColumn.of("ReadyToUse", "boolean", ".status.readyToUse", "Ready to use"),
                        PrinterColumn.of("CreationTime", "date", ".status.creationTime", "Creation time"),
                        PrinterColumn.of("Error", "string", ".status.error.message", "Error"))));
        t.add(kubevirt("snapshot.kubevirt.io", "v1beta1", "VirtualMachineRestore", "virtualmachinerestores", true,
                List.of("vmrestore", "vmrestores"), true, Set.of(), List.of(
                        PrinterColumn.of("TargetKind", "string", ".spec.target.kind", "Target kind"),
                        PrinterColumn.of("TargetName", "string", ".spec.target.name", "Target name"),
                        PrinterColumn.of("Complete", "boolean", ".status.complete", "Complete"),
                        PrinterColumn.of("RestoreTime", "date", ".status.restoreTime", "Restore time"),
                        PrinterColumn.of("Error", "string", ".status.error.message", "Error"))));
        // CDI and Multus, consumed by KubeVirt
        t.add(kubevirt("cdi.kubevirt.io", "v1beta1", "DataVolume", "datavolumes", true, List.of("dv", "dvs"), true,
                Set.of(), List.of(
                        PrinterColumn.of("Phase", "string", ".status.phase", "The phase the data volume is in"),
                        PrinterColumn.of("Progress", "string", ".status.progress", "Transfer progress in percentage if known, N/A otherwise"),
                        PrinterColumn.of("Restarts", "integer", ".status.restartCount", "The number of times the transfer has been restarted."),
                        PrinterColumn.age())));
        t.add(kubevirt("k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition", "network-attachment-definitions", true,
                List.of("net-attach-def"), false, Set.of(), List.of()));
        return new ResourceCatalog(t);
    }

    private static ResourceType core(String kind, String plural, boolean namespaced, List<String> shortNames,
                                     List<String> categories, boolean status, boolean keepStatusOnCreate,
                                     Set<String> fields, List<PrinterColumn> columns) {
        return new ResourceType("", "v1", kind, plural, kind.toLowerCase(), namespaced, shortNames, categories,
                status, keepStatusOnCreate, fields, columns, true);
    }

    private static ResourceType builtin(String group, String version, String kind, String plural, boolean namespaced,
                                        List<String> shortNames, boolean status, List<PrinterColumn> columns) {
        return new ResourceType(group, version, kind, plural, kind.toLowerCase(), namespaced, shortNames, List.of(),
                status, false, Set.of(), columns, true);
    }

    private static ResourceType kubevirt(String group, String version, String kind, String plural, boolean namespaced,
                                         List<String> shortNames, boolean status, Set<String> fields,
                                         List<PrinterColumn> columns) {
        List<String> categories = group.equals("kubevirt.io") ? List.of("all") : List.of();
        return new ResourceType(group, version, kind, plural, kind.toLowerCase(), namespaced, shortNames, categories,
                status, false, fields, columns, false);
    }

    public List<ResourceType> all() {
        return types;
    }

    public Optional<ResourceType> find(String group, String version, String plural) {
        return Optional.ofNullable(byGroupVersionPlural.get(group + "/" + version + "/" + plural));
    }

    public Optional<ResourceType> findKind(String apiVersion, String kind) {
        return types.stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
    }

    /** Group → versions served, in catalogue order (core group under {@code ""}). */
    public Map<String, List<String>> groupVersions() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (ResourceType t : types) {
            List<String> vs = out.computeIfAbsent(t.group(), g -> new ArrayList<>());
            if (!vs.contains(t.version())) {
                vs.add(t.version());
            }
        }
        out.replaceAll((g, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(out);
    }

    public List<ResourceType> inGroupVersion(String group, String version) {
        return types.stream().filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
    }
}
