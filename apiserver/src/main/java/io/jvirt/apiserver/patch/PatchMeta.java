package io.jvirt.apiserver.patch;

import java.util.HashMap;
import java.util.Map;

/**
 * The strategic-merge-patch metadata of a kind: what Go's {@code patchStrategy} / {@code patchMergeKey} struct tags
 * say, keyed by a dotted path of field names from the object root in which list elements are transparent
 * ({@code spec.containers.env} is the env list of any container). Lists without an entry are replaced whole; maps
 * without an entry are merged. Immutable.
 */
public final class PatchMeta {
    /**
     * One field's strategy. {@code merge}: merge lists (by {@code mergeKey} for lists of objects, as a set for lists
     * of primitives). {@code retainKeys}: kubectl sends {@code $retainKeys} for it (applying honours the directive
     * wherever it appears, so this is informational here). {@code replace}: an explicit replace, which only matters
     * for maps since lists are replaced by default.
     */
    public record Field(boolean merge, boolean retainKeys, boolean replace, String mergeKey) {
        public static final Field DEFAULT = new Field(false, false, false, "");

        public Field {
            mergeKey = mergeKey == null ? "" : mergeKey;
        }
    }

    private static final PatchMeta EMPTY = new PatchMeta(Map.of());
    private static final PatchMeta METADATA_ONLY = withObjectMeta().build();
    private static final Map<String, PatchMeta> BUILT_IN = builtIn();

    private final Map<String, Field> fields;

    private PatchMeta(Map<String, Field> fields) {
        this.fields = Map.copyOf(fields);
    }

    /** No field has a strategy: every list is replaced, every map merged. */
    public static PatchMeta empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The built-in table for a kind served through strategic merge patch. Kinds not in the table (and kinds of
     * other groups that happen to share a name) get the ObjectMeta rules only.
     */
    public static PatchMeta forKind(String apiVersion, String kind) {
        String group = apiVersion == null || apiVersion.indexOf('/') < 0
                ? ""
                : apiVersion.substring(0, apiVersion.indexOf('/'));
        return BUILT_IN.getOrDefault(group + "/" + kind, METADATA_ONLY);
    }

    /** The field at a dotted path, {@link Field#DEFAULT} when the table has no entry. */
    public Field field(String path) {
        return fields.getOrDefault(path, Field.DEFAULT);
    }

    public static final class Builder {
        private final Map<String, Field> fields = new HashMap<>();

        private Builder() {
        }

        /**
         * Declares a field's strategy the way the Go tag spells it: {@code merge}, {@code retainKeys},
         * {@code merge,retainKeys} or {@code replace}; null or empty for the default.
         */
        public Builder field(String path, String strategy, String mergeKey) {
            boolean merge = false;
            boolean retainKeys = false;
            boolean replace = false;
            if (strategy != null && !strategy.isBlank()) {
                for (String part : strategy.split(",")) {
                    switch (part.trim()) {
                        case "merge" -> merge = true;
                        case "retainKeys" -> retainKeys = true;
                        case "replace" -> replace = true;
                        default -> throw new IllegalArgumentException("unknown patch strategy \"" + part.trim()
                                + "\" for " + path);
                    }
                }
            }
            fields.put(path, new Field(merge, retainKeys, replace, mergeKey));
            return this;
        }

        public Builder field(String path, String strategy) {
            return field(path, strategy, "");
        }

        public PatchMeta build() {
            return new PatchMeta(fields);
        }
    }

    private static Builder withObjectMeta() {
        return builder()
                .field("metadata.finalizers", "merge")
                .field("metadata.ownerReferences", "merge", "uid");
    }

    // Transcribed from the patchStrategy/patchMergeKey tags of k8s.io/api core/v1; fields without tags (tolerations,
    // envFrom, containerStatuses, node taints and images, ServiceAccount imagePullSecrets, Namespace finalizers...)
    // are deliberately absent so they are replaced.
    private static Map<String, PatchMeta> builtIn() {
        Map<String, PatchMeta> table = new HashMap<>();

        Builder pod = withObjectMeta();
        for (String containers : new String[] {"spec.containers", "spec.initContainers", "spec.ephemeralContainers"}) {
            pod.field(containers, "merge", "name")
                    .field(containers + ".ports", "merge", "containerPort")
                    .field(containers + ".env", "merge", "name")
                    .field(containers + ".volumeMounts", "merge", "mountPath")
                    .field(containers + ".volumeDevices", "merge", "devicePath");
        }
        pod.field("spec.volumes", "merge,retainKeys", "name")
                .field("spec.imagePullSecrets", "merge", "name")
                .field("spec.hostAliases", "merge", "ip")
                .field("spec.topologySpreadConstraints", "merge", "topologyKey")
                .field("spec.schedulingGates", "merge", "name")
                .field("spec.resourceClaims", "merge,retainKeys", "name")
                .field("status.conditions", "merge", "type")
                .field("status.podIPs", "merge", "ip")
                .field("status.hostIPs", "merge", "ip")
                .field("status.resourceClaimStatuses", "merge,retainKeys", "name");
        table.put("/Pod", pod.build());

        table.put("/Node", withObjectMeta()
                .field("spec.podCIDRs", "merge")
                .field("status.conditions", "merge", "type")
                .field("status.addresses", "merge", "type")
                .build());
        table.put("/Service", withObjectMeta()
                .field("spec.ports", "merge", "port")
                .field("status.conditions", "merge", "type")
                .build());
        table.put("/ServiceAccount", withObjectMeta()
                .field("secrets", "merge", "name")
                .build());
        table.put("/Namespace", withObjectMeta()
                .field("status.conditions", "merge", "type")
                .build());
        table.put("/PersistentVolumeClaim", withObjectMeta()
                .field("status.conditions", "merge", "type")
                .build());
        return Map.copyOf(table);
    }
}
