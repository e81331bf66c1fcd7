package io.jvirt.api.schema;

import static io.jvirt.api.schema.Schema.dateTime;
import static io.jvirt.api.schema.Schema.object;
import static io.jvirt.api.schema.Schema.string;

/**
 * What the hand-written KubeVirt definition files share while they fill the registry: definition naming, access to
 * the fabric8-derived Kubernetes types and a few recurring shapes.
 */
final class Defs {
    /** Definition-name prefixes: reversed group, version (as the apiserver names CRD schemas). */
    static final String V1 = "io.kubevirt.v1.";
    static final String INSTANCETYPE = "io.kubevirt.instancetype.v1beta1.";
    static final String POOL = "io.kubevirt.pool.v1beta1.";
    static final String MIGRATIONS = "io.kubevirt.migrations.v1alpha1.";
    static final String SNAPSHOT = "io.kubevirt.snapshot.v1beta1.";
    static final String CDI = "io.kubevirt.cdi.v1beta1.";
    static final String NAD = "io.cncf.cni.k8s.v1.";

    final SchemaRegistry registry;
    final CoreSchemas core;

    Defs(SchemaRegistry registry, CoreSchemas core) {
        this.registry = registry;
        this.core = core;
    }

    /** Defines a named schema and returns the name. */
    String define(String name, Schema schema) {
        registry.define(name, schema);
        return name;
    }

    void kind(String group, String version, String kind, String definitionName, Schema body) {
        registry.defineKind(new GroupVersionKind(group, version, kind), definitionName, body);
    }

    /** A Kubernetes type derived from fabric8 (tolerations, affinity, label selectors, ...). */
    Schema k8s(Class<?> type, String description) {
        return core.ref(type, description);
    }

    /** Reference to the standard ObjectMeta. */
    static Schema meta(String description) {
        return Schema.ref(SchemaRegistry.OBJECT_META, description);
    }

    /** The condition shape KubeVirt uses on all its kinds. */
    static Schema condition(String description, String typeDescription) {
        return object(description)
                .prop("type", string(typeDescription))
                .prop("status", string("Status of the condition: True, False or Unknown."))
                .prop("lastProbeTime", dateTime("Last time the condition was probed."))
                .prop("lastTransitionTime", dateTime("Last time the condition changed its status."))
                .prop("reason", string("Machine-readable CamelCase reason for the last transition."))
                .prop("message", string("Human-readable details about the last transition."))
                .required("type", "status")
                .build();
    }
}
