package io.jvirt.api.schema;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.Duration;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.storage.StorageClass;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Schemas of the Kubernetes kinds jvirt serves, derived by reflecting over fabric8's model classes with Jackson's
 * bean introspection: each Jackson property becomes a field, {@link Quantity} and {@link IntOrString} become
 * int-or-string, maps become {@code additionalProperties}, lists become arrays and every other model class becomes a
 * named definition ({@code io.k8s.api.core.v1.PodSpec}, {@code io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta})
 * referenced with {@code $ref}, so cycles end at the reference. fabric8's catch-all {@code additionalProperties}
 * map is ignored by Jackson ({@code @JsonIgnore} + any-setter) and never becomes a field. fabric8 carries no field
 * documentation, so descriptions are short generic ones except for the fields every object shares.
 */
public final class CoreSchemas {
    private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";
    private static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    /** Model classes of {@code io.fabric8.kubernetes.api.model} that live in apimachinery's meta/v1. */
    private static final Set<String> META_TYPES = Set.of("ObjectMeta", "ListMeta", "LabelSelector",
            "LabelSelectorRequirement", "OwnerReference", "ManagedFieldsEntry", "FieldsV1", "Condition", "Status",
            "StatusDetails", "StatusCause", "DeleteOptions", "Preconditions", "Time", "MicroTime", "Duration",
            "TypeMeta", "WatchEvent", "APIResource", "APIResourceList", "APIGroup", "APIGroupList", "APIVersions",
            "GroupVersionForDiscovery", "ServerAddressByClientCIDR", "Patch", "ListOptions", "GetOptions",
            "CreateOptions", "UpdateOptions", "PatchOptions");

    /** Descriptions of fields that mean the same thing in every Kubernetes type. */
    private static final Map<String, String> COMMON_FIELDS = Map.ofEntries(
            Map.entry("apiVersion", SchemaRegistry.API_VERSION_DESCRIPTION),
            Map.entry("kind", SchemaRegistry.KIND_DESCRIPTION),
            Map.entry("metadata", SchemaRegistry.METADATA_DESCRIPTION),
            Map.entry("spec", "Desired state of the object, as written by its owner."),
            Map.entry("status", "Most recently observed state of the object; written by the system, read-only "
                    + "for clients."),
            Map.entry("name", "Name of the referent or item; unique within its scope."),
            Map.entry("namespace", "Namespace the object or referent lives in; empty for cluster-scoped objects."),
            Map.entry("labels", "Map of string keys and values used to organize and select objects."),
            Map.entry("annotations", "Unstructured key-value map for arbitrary metadata; not used for selection."),
            Map.entry("uid", "Unique identifier assigned by the server when the object is created; never reused."),
            Map.entry("resourceVersion", "Opaque value identifying the internal version of the object, used for "
                    + "optimistic concurrency and watches."),
            Map.entry("generation", "Sequence number of the desired state; incremented by the server when the "
                    + "spec changes."),
            Map.entry("creationTimestamp", "Server time at which the object was created (RFC 3339)."),
            Map.entry("deletionTimestamp", "Time after which the object will be removed; set when deletion was "
                    + "requested and finalizers are pending."),
            Map.entry("finalizers", "Identifiers that must be removed before the object is deleted from storage."),
            Map.entry("ownerReferences", "Objects this one depends on; when all owners are gone the object is "
                    + "garbage collected."),
            Map.entry("generateName", "Prefix the server uses to generate a unique name when name is empty."),
            Map.entry("managedFields", "Which field manager owns which fields, maintained by the server for "
                    + "server-side apply."),
            Map.entry("conditions", "Latest observations of the object's state, one entry per condition type."),
            Map.entry("image", "Container image name, e.g. registry/repository:tag."),
            Map.entry("resources", "Compute resources (cpu, memory, ...) requested and limited."),
            Map.entry("nodeSelector", "Labels a node must carry for the workload to be scheduled onto it."),
            Map.entry("tolerations", "Taints this workload tolerates."),
            Map.entry("affinity", "Node, pod affinity and anti-affinity scheduling constraints."),
            Map.entry("type", "Type of the object or entry."),
            Map.entry("reason", "Short machine-readable CamelCase reason."),
            Map.entry("message", "Human-readable explanation."),
            Map.entry("items", "List of objects."));

    private static final Map<String, String> KIND_DESCRIPTIONS = Map.ofEntries(
            Map.entry("Namespace", "Namespace provides a scope for names of namespaced objects."),
            Map.entry("Node", "Node is a worker machine the cluster schedules workloads onto."),
            Map.entry("Pod", "Pod is a group of containers that are scheduled together onto a node."),
            Map.entry("ConfigMap", "ConfigMap holds non-confidential configuration data as key-value pairs."),
            Map.entry("Secret", "Secret holds confidential data such as passwords, tokens or keys."),
            Map.entry("Event", "Event is a report of something that happened to an object in the cluster."),
            Map.entry("Service", "Service exposes a set of pods under one stable name and virtual IP."),
            Map.entry("PersistentVolumeClaim", "PersistentVolumeClaim is a user's request for storage."),
            Map.entry("PersistentVolume", "PersistentVolume is a piece of storage provisioned in the cluster."),
            Map.entry("ServiceAccount", "ServiceAccount is an identity for processes running in pods."),
            Map.entry("StorageClass", "StorageClass describes a class of storage that can be provisioned "
                    + "dynamically."),
            Map.entry("Lease", "Lease records which holder currently owns a named lock, and until when."));

    /**
     * Strategic-merge-patch metadata of list fields of the served built-in types, from the {@code patchStrategy}
     * and {@code patchMergeKey} struct tags of {@code k8s.io/api} (fabric8 does not carry them). kubectl computes
     * client-side apply patches of built-in kinds from these; without them it would treat the lists as atomic.
     */
    private static final Map<String, String[]> PATCH_META = Map.ofEntries(
            Map.entry("ObjectMeta.finalizers", new String[] {"merge", null}),
            Map.entry("ObjectMeta.ownerReferences", new String[] {"merge", "uid"}),
            Map.entry("PodSpec.volumes", new String[] {"merge,retainKeys", "name"}),
            Map.entry("PodSpec.containers", new String[] {"merge", "name"}),
            Map.entry("PodSpec.initContainers", new String[] {"merge", "name"}),
            Map.entry("PodSpec.ephemeralContainers", new String[] {"merge", "name"}),
            Map.entry("PodSpec.imagePullSecrets", new String[] {"merge", "name"}),
            Map.entry("PodSpec.hostAliases", new String[] {"merge", "ip"}),
            Map.entry("PodSpec.topologySpreadConstraints", new String[] {"merge", "topologyKey"}),
            Map.entry("PodSpec.resourceClaims", new String[] {"merge,retainKeys", "name"}),
            Map.entry("PodSpec.schedulingGates", new String[] {"merge", "name"}),
            Map.entry("Container.ports", new String[] {"merge", "containerPort"}),
            Map.entry("Container.env", new String[] {"merge", "name"}),
            Map.entry("Container.volumeMounts", new String[] {"merge", "mountPath"}),
            Map.entry("Container.volumeDevices", new String[] {"merge", "devicePath"}),
            Map.entry("EphemeralContainer.env", new String[] {"merge", "name"}),
            Map.entry("EphemeralContainer.volumeMounts", new String[] {"merge", "mountPath"}),
            Map.entry("EphemeralContainer.volumeDevices", new String[] {"merge", "devicePath"}),
            Map.entry("PodStatus.conditions", new String[] {"merge", "type"}),
            Map.entry("PodStatus.podIPs", new String[] {"merge", "ip"}),
            Map.entry("PodStatus.hostIPs", new String[] {"merge", "ip"}),
            Map.entry("NodeSpec.podCIDRs", new String[] {"merge", null}),
            Map.entry("NodeStatus.conditions", new String[] {"merge", "type"}),
            Map.entry("NodeStatus.addresses", new String[] {"merge", "type"}),
            Map.entry("NamespaceStatus.conditions", new String[] {"merge", "type"}),
            Map.entry("ServiceSpec.ports", new String[] {"merge", "port"}),
            Map.entry("ServiceStatus.conditions", new String[] {"merge", "type"}),
            Map.entry("ServiceAccount.secrets", new String[] {"merge", "name"}),
            Map.entry("PersistentVolumeClaimStatus.conditions", new String[] {"merge", "type"}));

    private final SchemaRegistry registry;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<Class<?>, String> derived = new HashMap<>();

    CoreSchemas(SchemaRegistry registry) {
        this.registry = registry;
    }

    /** Registers every core/built-in kind of the standard catalogue plus the meta types responses use. */
    void registerServedKinds() {
        kind("", "v1", Namespace.class);
        kind("", "v1", Node.class);
        kind("", "v1", Pod.class);
        kind("", "v1", ConfigMap.class);
        kind("", "v1", Secret.class);
        kind("", "v1", Event.class);
        kind("", "v1", Service.class);
        kind("", "v1", PersistentVolumeClaim.class);
        kind("", "v1", PersistentVolume.class);
        kind("", "v1", ServiceAccount.class);
        kind("storage.k8s.io", "v1", StorageClass.class);
        kind("coordination.k8s.io", "v1", Lease.class);
        kind("events.k8s.io", "v1", io.fabric8.kubernetes.api.model.events.v1.Event.class);
        kind("apps", "v1", io.fabric8.kubernetes.api.model.apps.ControllerRevision.class);
        ref(ObjectMeta.class, null);
        ref(Status.class, null);
        ref(DeleteOptions.class, null);
        registry.define(META + "Patch", Schema.empty("Patch is the body of a PATCH request; its format depends "
                + "on the Content-Type (JSON patch, merge patch, strategic merge patch or apply configuration)."));
        registry.define(META + "WatchEvent", Schema.object("Event of a watch stream.")
                .prop("type", Schema.string("ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."))
                .prop("object", Schema.preserved("The object (or a Status for ERROR events)."))
                .required("type", "object")
                .build());
    }

    private void kind(String group, String version, Class<?> type) {
        String name = definitionName(type);
        derived.put(type, name);
        String kind = type.getSimpleName();
        Schema body = derive(type).withDescription(KIND_DESCRIPTIONS.getOrDefault(kind, kind + " object."));
        registry.defineKind(new GroupVersionKind(group, version, kind), name, body);
    }

    /**
     * A field schema referring to the definition derived from a fabric8 model class, deriving it on first use.
     * KubeVirt's definitions use this for the Kubernetes types they embed (tolerations, affinity, ...).
     */
    Schema ref(Class<?> type, String description) {
        return schemaOf(mapper.constructType(type), description);
    }

    /** Definition name Kubernetes uses for a fabric8 model class. */
    public static String definitionName(Class<?> type) {
        String pkg = type.getPackageName();
        String simple = type.getSimpleName();
        if (pkg.equals(MODEL_PACKAGE)) {
            return (META_TYPES.contains(simple) ? META : "io.k8s.api.core.v1.") + simple;
        }
        if (pkg.startsWith(MODEL_PACKAGE + ".")) {
            String rest = pkg.substring(MODEL_PACKAGE.length() + 1);
            if (rest.equals("storage")) {
                rest = "storage.v1";
            }
            return "io.k8s.api." + rest + "." + simple;
        }
        return pkg + "." + simple;
    }

    // ---------------------------------------------------------------- derivation

    private Schema schemaOf(JavaType t, String description) {
        Class<?> raw = t.getRawClass();
        if (raw == Quantity.class) {
            return Schema.quantity(description);
        }
        if (raw == IntOrString.class) {
            return Schema.intOrString(description);
        }
        if (raw == MicroTime.class) {
            return Schema.dateTime(description);
        }
        if (raw == Duration.class) {
            return Schema.string(description);
        }
        if (raw == String.class || raw == Character.class || raw == char.class || raw.isEnum()) {
            return Schema.string(description);
        }
        if (raw == Boolean.class || raw == boolean.class) {
            return Schema.bool(description);
        }
        if (raw == Integer.class || raw == int.class || raw == Short.class || raw == short.class) {
            return Schema.int32(description);
        }
        if (raw == Long.class || raw == long.class || raw == java.math.BigInteger.class) {
            return Schema.int64(description);
        }
        if (raw == Double.class || raw == double.class || raw == Float.class || raw == float.class
                || raw == java.math.BigDecimal.class) {
            return Schema.number(description);
        }
        if (raw == byte[].class) {
            return new Schema(Schema.STRING, "byte", description, null, null, null, null, null, false, false, null,
                    null);
        }
        if (t.isMapLikeType()) {
            return Schema.map(description, schemaOf(t.getContentType(), null));
        }
        if (t.isCollectionLikeType() || t.isArrayType()) {
            return Schema.array(description, schemaOf(t.getContentType(), null));
        }
        if (raw == FieldsV1.class) {
            return Schema.preserved(description);
        }
        if (raw == Object.class || raw.isInterface() || KubernetesResource.class == raw
                || JsonNode.class.isAssignableFrom(raw) || !raw.getPackageName().startsWith(MODEL_PACKAGE)) {
            return anything(description);
        }
        String name = derived.get(raw);
        if (name == null) {
            name = definitionName(raw);
            derived.put(raw, name);
            Schema body = derive(raw);
            registry.define(name, body);
        }
        return Schema.ref(name, description);
    }

    /** Any JSON value: an untyped schema that keeps whatever it is given. */
    private static Schema anything(String description) {
        return new Schema(null, null, description, null, null, null, null, null, true, false, null, null);
    }

    private Schema derive(Class<?> type) {
        BeanDescription bd = mapper.getSerializationConfig().introspect(mapper.constructType(type));
        Map<String, Schema> props = new LinkedHashMap<>();
        for (BeanPropertyDefinition p : bd.findProperties()) {
            String field = p.getName();
            if (!p.hasField() || field.equals("additionalProperties")) {
                continue;
            }
            Schema schema = schemaOf(p.getPrimaryType(), describe(type, field));
            String[] patch = PATCH_META.get(type.getSimpleName() + "." + field);
            props.put(field, patch == null ? schema : schema.withPatch(patch[0], patch[1]));
        }
        String description = type.getSimpleName() + " (Kubernetes " + definitionName(type) + ").";
        if (props.isEmpty()) {
            return Schema.preserved(description);
        }
        return Schema.empty(description).withProperties(props);
    }

    private static String describe(Class<?> owner, String field) {
        String common = COMMON_FIELDS.get(field);
        if (common != null) {
            return common;
        }
        return humanize(field) + " (field " + field + " of " + owner.getSimpleName() + ").";
    }

    /** {@code terminationGracePeriodSeconds} → {@code Termination grace period seconds}. */
    static String humanize(String camel) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            boolean boundary = i > 0 && Character.isUpperCase(c)
                    && (Character.isLowerCase(camel.charAt(i - 1))
                    || (i + 1 < camel.length() && Character.isLowerCase(camel.charAt(i + 1))));
            if (boundary) {
                b.append(' ');
            }
            b.append(i == 0 ? Character.toUpperCase(c) : (boundary && i + 1 < camel.length()
                    && Character.isLowerCase(camel.charAt(i + 1)) ? Character.toLowerCase(c) : c));
        }
        return b.toString();
    }
}
