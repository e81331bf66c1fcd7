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
import static io.jvirt.api.schema.Schema.ref;
import static io.jvirt.api.schema.Schema.string;
import static io.jvirt.api.schema.Schema.stringArray;
import static io.jvirt.api.schema.Schema.stringMap;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.ExecAction;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.TCPSocketAction;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;

/**
 * {@code VirtualMachineInstanceSpec} apart from the domain: scheduling, volumes, networks, probes, access
 * credentials (KubeVirt's {@code types.go} and {@code schema.go}).
 */
final class VmiSpecSchemas {
    static final String VMI_SPEC = V1 + "VirtualMachineInstanceSpec";
    static final String TEMPLATE_SPEC = V1 + "VirtualMachineInstanceTemplateSpec";
    static final String VOLUME = V1 + "Volume";
    static final String NETWORK = V1 + "Network";
    static final String PROBE = V1 + "Probe";
    static final String ACCESS_CREDENTIAL = V1 + "AccessCredential";
    static final String PVC_SOURCE = V1 + "PersistentVolumeClaimVolumeSource";

    private VmiSpecSchemas() {
    }

    static void register(Defs d) {
        registerVolumes(d);
        registerNetworks(d);
        registerProbe(d);
        registerAccessCredentials(d);

        String resourceClaim = d.define(V1 + "VirtualMachineInstanceResourceClaim", object("A ResourceClaim "
                + "(dynamic resource allocation) the virt-launcher pod must get before it starts.")
                .prop("name", string("Name of the claim within the VMI; devices refer to it as claimName."))
                .prop("resourceClaimName", string("Name of an existing ResourceClaim in the VMI's namespace. "
                        + "Set exactly one of this and resourceClaimTemplateName."))
                .prop("resourceClaimTemplateName", string("Name of a ResourceClaimTemplate from which a claim is "
                        + "created for the pod."))
                .required("name")
                .build());
        String utilityVolume = d.define(V1 + "UtilityVolume", object("A PVC mounted into the virt-launcher pod "
                + "without a disk in the guest, used by operational workflows such as memory dumps or backups.")
                .prop("name", string("Name of the utility volume, unique among all volumes of the VMI."))
                .prop("claimName", string("Name of the PersistentVolumeClaim."))
                .prop("readOnly", bool("Mount the claim read-only."))
                .prop("type", string("What the volume is for: MemoryDump or Backup."))
                .required("name", "claimName")
                .build());

        d.define(VMI_SPEC, object("Desired state of a virtual machine instance: its virtual hardware, the "
                + "volumes and networks it uses and how it is scheduled.")
                .prop("domain", ref(DomainSchemas.DOMAIN_SPEC, "Virtual hardware of the guest."))
                .prop("volumes", array("Volumes the disks and filesystems refer to by name. At most 256.",
                        ref(VOLUME, null)))
                .prop("networks", array("Networks the interfaces connect to by name. At most 256.",
                        ref(NETWORK, null)))
                .prop("terminationGracePeriodSeconds", int64("Seconds between asking the guest to shut down "
                        + "(ACPI) and forcefully stopping it. Defaults to 30."))
                .prop("nodeSelector", stringMap("Labels a node must have for the VMI to be scheduled on it."))
                .prop("affinity", d.k8s(Affinity.class, "Node and pod affinity/anti-affinity rules for the "
                        + "virt-launcher pod."))
                .prop("tolerations", array("Taints the virt-launcher pod tolerates.",
                        d.k8s(Toleration.class, null)))
                .prop("topologySpreadConstraints", array("How VMIs are spread across topology domains such as "
                        + "zones or nodes.", d.k8s(TopologySpreadConstraint.class, null)))
                .prop("schedulerName", string("Scheduler that places the virt-launcher pod; the default "
                        + "scheduler when empty."))
                .prop("priorityClassName", string("PriorityClass of the virt-launcher pod."))
                .prop("serviceAccountName", string("ServiceAccount the virt-launcher pod runs as. The token is "
                        + "not exposed to the guest unless a serviceAccount volume is added."))
                .prop("evictionStrategy", string("What happens when the node is drained: None (stop or restart "
                        + "per run strategy), LiveMigrate, LiveMigrateIfPossible (migrate when possible, else "
                        + "None) or External (block eviction and signal an external controller). Defaults to "
                        + "the cluster setting."))
                .prop("startStrategy", string("Set to \"Paused\" to start the guest paused."))
                .prop("livenessProbe", ref(PROBE, "Periodic liveness check; the VMI is stopped when it fails."))
                .prop("readinessProbe", ref(PROBE, "Periodic readiness check; the VMI is removed from service "
                        + "endpoints while it fails."))
                .prop("hostname", string("Hostname of the guest; defaults to the VMI name when DHCP or "
                        + "cloud-init is used."))
                .prop("subdomain", string("Subdomain; with a matching headless service the guest gets the FQDN "
                        + "<hostname>.<subdomain>.<namespace>.svc.<cluster domain>."))
                .prop("dnsPolicy", string("DNS policy of the pod: ClusterFirst (default), "
                        + "ClusterFirstWithHostNet, Default or None."))
                .prop("dnsConfig", d.k8s(PodDNSConfig.class, "DNS settings merged into the generated "
                        + "resolver configuration."))
                .prop("accessCredentials", array("SSH keys or passwords injected into the guest. At most 256.",
                        ref(ACCESS_CREDENTIAL, null)))
                .prop("architecture", string("CPU architecture of the guest: amd64, arm64 or s390x. Defaults "
                        + "to the cluster's default architecture."))
                .prop("resourceClaims", array("ResourceClaims the VMI's devices are allocated from (alpha).",
                        ref(resourceClaim, null)))
                .prop("utilityVolumes", array("PVCs mounted into the virt-launcher pod for operational "
                        + "workflows, without a guest disk. At most 256.", ref(utilityVolume, null)))
                .required("domain")
                .build());

        d.define(TEMPLATE_SPEC, object("Template from which VirtualMachineInstances are created.")
                .prop("metadata", Defs.meta("Labels and annotations the created VMIs get."))
                .prop("spec", ref(VMI_SPEC, "Specification of the created VMIs."))
                .build());
    }

    private static void registerVolumes(Defs d) {
        Schema secretRef = d.k8s(LocalObjectReference.class, "Secret in the VMI's namespace holding the "
                + "user data (key \"userdata\" or \"userData\").");
        Schema networkDataSecretRef = d.k8s(LocalObjectReference.class, "Secret in the VMI's namespace holding "
                + "the network data (key \"networkdata\" or \"networkData\").");
        String noCloud = d.define(V1 + "CloudInitNoCloudSource", cloudInit("cloud-init NoCloud data source: "
                + "user data and network data are put on a small ISO (volume id \"cidata\").", secretRef,
                networkDataSecretRef));
        String configDrive = d.define(V1 + "CloudInitConfigDriveSource", cloudInit("cloud-init ConfigDrive data "
                + "source: user data and network data are put on an OpenStack-style config drive (volume id "
                + "\"config-2\").", secretRef, networkDataSecretRef));
        Schema claimName = string("Name of a PersistentVolumeClaim in the VMI's namespace.");
        Schema pvcReadOnly = bool("Use the claim read-only. Defaults to false.");
        Schema hotpluggable = bool("Whether the volume can be hot-plugged and hot-unplugged while the VMI runs.");
        d.define(PVC_SOURCE, object("Attach a PersistentVolumeClaim directly to the guest.")
                .prop("claimName", claimName)
                .prop("readOnly", pvcReadOnly)
                .prop("hotpluggable", hotpluggable)
                .required("claimName")
                .build());
        String containerDisk = d.define(V1 + "ContainerDiskSource", object("A disk image shipped in a container "
                + "image; changes are discarded when the VMI stops.")
                .prop("image", string("Container image with the disk, e.g. "
                        + "\"quay.io/containerdisks/fedora:latest\"; the image holds one file under /disk."))
                .prop("path", string("Absolute path of the disk file inside the image when it is not the only "
                        + "file under /disk."))
                .prop("imagePullPolicy", string("When to pull the image: Always, Never or IfNotPresent. Defaults "
                        + "to Always for :latest and IfNotPresent otherwise."))
                .prop("imagePullSecret", string("Name of the registry secret used to pull the image."))
                .required("image")
                .build());
        Schema volumeLabel = string("Volume label of the disk created for the guest, e.g. \"cidata\", "
                + "\"config-2\" or \"OEMDRV\".");
        Schema optional = bool("Whether the VMI may start when the source or its keys do not exist.");
        String volume = VOLUME;
        d.define(volume, object("A named volume; exactly one source must be set. Disks and filesystems refer to "
                + "volumes by name.")
                .prop("name", string("Name of the volume, a DNS label unique within the VMI."))
                .prop("containerDisk", ref(containerDisk, "Ephemeral disk from a container image."))
                .prop("cloudInitNoCloud", ref(noCloud, "cloud-init NoCloud user and network data."))
                .prop("cloudInitConfigDrive", ref(configDrive, "cloud-init ConfigDrive user and network data."))
                .prop("persistentVolumeClaim", ref(PVC_SOURCE, "A PersistentVolumeClaim attached directly."))
                .prop("dataVolume", object("A CDI DataVolume (and the PVC of the same name) attached to the "
                        + "guest.")
                        .prop("name", string("Name of the DataVolume in the VMI's namespace."))
                        .prop("hotpluggable", hotpluggable)
                        .required("name")
                        .build())
                .prop("ephemeral", object("A read-only PVC used as backing image for a copy-on-write overlay "
                        + "that is discarded when the VMI stops.")
                        .prop("persistentVolumeClaim", object("The backing claim.")
                                .prop("claimName", claimName)
                                .prop("readOnly", pvcReadOnly)
                                .required("claimName")
                                .build())
                        .build())
                .prop("emptyDisk", object("A new sparse disk that lives as long as the VMI.")
                        .prop("capacity", quantity("Size of the disk, e.g. 10Gi."))
                        .required("capacity")
                        .build())
                .prop("hostDisk", object("A disk image file on the node (requires the HostDisk feature gate).")
                        .prop("path", string("Path of the image file on the node."))
                        .prop("type", string("Disk (the file must exist) or DiskOrCreate (created when "
                                + "missing)."))
                        .prop("capacity", quantity("Size of the file to create; only with DiskOrCreate."))
                        .prop("shared", bool("Whether the path is shared between nodes."))
                        .required("path", "type")
                        .build())
                .prop("configMap", object("A ConfigMap presented to the guest as a disk.")
                        .prop("name", string("Name of the ConfigMap in the VMI's namespace."))
                        .prop("optional", optional)
                        .prop("volumeLabel", volumeLabel)
                        .build())
                .prop("secret", object("A Secret presented to the guest as a disk.")
                        .prop("secretName", string("Name of the Secret in the VMI's namespace."))
                        .prop("optional", optional)
                        .prop("volumeLabel", volumeLabel)
                        .build())
                .prop("serviceAccount", object("The token of a ServiceAccount presented to the guest as a disk; "
                        + "at most one per VMI.")
                        .prop("serviceAccountName", string("Name of the ServiceAccount."))
                        .build())
                .prop("downwardAPI", object("Pod metadata (labels, annotations, ...) presented to the guest as "
                        + "a disk.")
                        .prop("fields", array("Files of the disk and the metadata each holds.",
                                d.k8s(DownwardAPIVolumeFile.class, null)))
                        .prop("volumeLabel", volumeLabel)
                        .build())
                .prop("downwardMetrics", empty("A small disk with host and guest metrics in vhostmd format."))
                .prop("sysprep", object("A Windows Sysprep answer file (autounattend.xml) attached as a CD-ROM; "
                        + "set one of secret and configMap.")
                        .prop("secret", d.k8s(LocalObjectReference.class, "Secret holding the answer file."))
                        .prop("configMap", d.k8s(LocalObjectReference.class, "ConfigMap holding the answer "
                                + "file."))
                        .build())
                .prop("memoryDump", object("A PVC that receives a memory dump of the guest; attached to "
                        + "virt-launcher only.")
                        .prop("claimName", claimName)
                        .prop("readOnly", pvcReadOnly)
                        .prop("hotpluggable", hotpluggable)
                        .required("claimName")
                        .build())
                .required("name")
                .build());
    }

    private static Schema cloudInit(String description, Schema secretRef, Schema networkDataSecretRef) {
        return object(description + " Set at most one of each user data and network data source.")
                .prop("userData", string("Inline user data (cloud-config or script), at most 2048 bytes."))
                .prop("userDataBase64", string("User data encoded as base64, at most 2048 bytes once decoded."))
                .prop("secretRef", secretRef)
                .prop("networkData", string("Inline network configuration, at most 2048 bytes."))
                .prop("networkDataBase64", string("Network configuration encoded as base64."))
                .prop("networkDataSecretRef", networkDataSecretRef)
                .build();
    }

    private static void registerNetworks(Defs d) {
        d.define(NETWORK, object("A network the VMI can connect interfaces to; set exactly one of pod and "
                + "multus.")
                .prop("name", string("Name of the network, a DNS label unique within the VMI."))
                .prop("pod", object("The pod network (the cluster's default network).")
                        .prop("vmNetworkCIDR", string("IPv4 CIDR of the guest network behind masquerade. "
                                + "Defaults to 10.0.2.0/24."))
                        .prop("vmIPv6NetworkCIDR", string("IPv6 CIDR of the guest network behind masquerade. "
                                + "Defaults to fd10:0:2::/120."))
                        .build())
                .prop("multus", object("A secondary network defined by a Multus NetworkAttachmentDefinition.")
                        .prop("networkName", string("NetworkAttachmentDefinition as <name> or "
                                + "<namespace>/<name>; the VMI's namespace when none is given."))
                        .prop("default", bool("Make this the pod's default network instead of the cluster "
                                + "network."))
                        .required("networkName")
                        .build())
                .required("name")
                .build());
    }

    private static void registerProbe(Defs d) {
        d.define(PROBE, object("A health check of the guest; set exactly one of exec, guestAgentPing, httpGet "
                + "and tcpSocket.")
                .prop("exec", d.k8s(ExecAction.class, "Run a command inside the guest through the QEMU guest "
                        + "agent; exit status 0 is healthy."))
                .prop("guestAgentPing", empty("Healthy while the QEMU guest agent answers."))
                .prop("httpGet", d.k8s(HTTPGetAction.class, "HTTP GET against the guest; 2xx/3xx is healthy."))
                .prop("tcpSocket", d.k8s(TCPSocketAction.class, "Healthy when a TCP connection can be "
                        + "opened."))
                .prop("initialDelaySeconds", int32("Seconds after the VMI started before the first probe."))
                .prop("timeoutSeconds", int32("Seconds after which a probe attempt fails. Defaults to 1."))
                .prop("periodSeconds", int32("Seconds between probes. Defaults to 10."))
                .prop("successThreshold", int32("Consecutive successes to count as healthy again. Defaults to "
                        + "1."))
                .prop("failureThreshold", int32("Consecutive failures to count as unhealthy. Defaults to 3."))
                .build());
    }

    private static void registerAccessCredentials(Defs d) {
        Schema secretSource = object("Where the credentials come from.")
                .prop("secret", object("A Secret in the VMI's namespace.")
                        .prop("secretName", string("Name of the Secret."))
                        .required("secretName")
                        .build())
                .build();
        d.define(ACCESS_CREDENTIAL, object("A credential injected into the guest; set exactly one of "
                + "sshPublicKey and userPassword.")
                .prop("sshPublicKey", object("SSH public keys to authorize in the guest.")
                        .prop("source", secretSource.withDescription("Secret whose values are public keys."))
                        .prop("propagationMethod", object("How the keys reach the guest; set exactly one.")
                                .prop("configDrive", empty("Through the cloud-init ConfigDrive metadata."))
                                .prop("noCloud", empty("Through the cloud-init NoCloud metadata."))
                                .prop("qemuGuestAgent", object("At runtime through the QEMU guest agent.")
                                        .prop("users", stringArray("Guest users whose authorized_keys are "
                                                + "updated."))
                                        .required("users")
                                        .build())
                                .build())
                        .required("source", "propagationMethod")
                        .build())
                .prop("userPassword", object("Passwords of guest users (secret key = user, value = password).")
                        .prop("source", secretSource.withDescription("Secret mapping users to passwords."))
                        .prop("propagationMethod", object("How the passwords reach the guest.")
                                .prop("qemuGuestAgent", empty("At runtime through the QEMU guest agent."))
                                .build())
                        .required("source", "propagationMethod")
                        .build())
                .build());
    }

    /** The run strategies and what each means, shared by spec.runStrategy and status.runStrategy. */
    static Schema runStrategy(boolean spec) {
        String text = "Whether and when the controller keeps a VirtualMachineInstance for this VM: "
                + "Always (a VMI always exists; it is recreated whenever it stops or fails), "
                + "RerunOnFailure (started once and recreated only after a failure; a clean guest shutdown "
                + "leaves it stopped), "
                + "Manual (never started or restarted automatically; use the start/stop/restart subresources), "
                + "Halted (no VMI; a running one is stopped), "
                + "Once (started once and never restarted, whatever the outcome), "
                + "WaitAsReceiver (a receiver VMI waits for an incoming decentralized live migration).";
        if (!spec) {
            return string("Run strategy last acted upon by the controller. " + text);
        }
        return enumString(text + " Mutually exclusive with the deprecated running field.",
                "Always", "Halted", "Manual", "RerunOnFailure", "Once", "WaitAsReceiver");
    }
}
