package io.jvirt.api.schema;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Named schema definitions ({@code components.schemas}) and the index from served kinds to their definitions.
 * Filled once by {@link CoreSchemas} and {@link KubevirtSchemas}, then frozen; {@link #standard()} is the shared
 * instance every served kind has an entry in.
 */
public final class SchemaRegistry {
    public static final String OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    public static final String LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

    static final String API_VERSION_DESCRIPTION = "APIVersion defines the versioned schema of this representation of "
            + "an object. Servers should convert recognized schemas to the latest internal value, and may reject "
            + "unrecognized values. More info: "
            + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
    static final String KIND_DESCRIPTION = "Kind is a string value representing the REST resource this object "
            + "represents. Servers may infer this from the endpoint the client submits requests to. Cannot be "
            + "updated. In CamelCase. More info: "
            + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
    static final String METADATA_DESCRIPTION = "Standard object's metadata. More info: "
            + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    private final Map<String, Schema> definitions = new LinkedHashMap<>();
    private final Map<GroupVersionKind, String> kinds = new LinkedHashMap<>();
    private boolean frozen;

    SchemaRegistry() {
    }

    private static final class Holder {
        static final SchemaRegistry STANDARD = build();

        private static SchemaRegistry build() {
            SchemaRegistry registry = new SchemaRegistry();
            CoreSchemas core = new CoreSchemas(registry);
            core.registerServedKinds();
            KubevirtSchemas.register(registry, core);
            registry.frozen = true;
            return registry;
        }
    }

    /** Core and KubeVirt schemas for every kind in {@link io.jvirt.api.resources.ResourceCatalog#standard()}. */
    public static SchemaRegistry standard() {
        return Holder.STANDARD;
    }

    // ---------------------------------------------------------------- building (package-private)

    void define(String name, Schema schema) {
        if (frozen) {
            throw new IllegalStateException("registry is frozen");
        }
        Schema previous = definitions.putIfAbsent(name, schema);
        if (previous != null && !previous.equals(schema)) {
            throw new IllegalStateException("definition " + name + " defined twice");
        }
    }

    boolean isDefined(String name) {
        return definitions.containsKey(name);
    }

    /**
     * Registers a top-level kind: the definition gets {@code apiVersion}, {@code kind} and {@code metadata} fields
     * and its {@code x-kubernetes-group-version-kind}; a {@code <Kind>List} definition is added next to it.
     */
    void defineKind(GroupVersionKind gvk, String name, Schema body) {
        Schema.ObjectBuilder b = Schema.object(body.description())
                .prop("apiVersion", Schema.string(API_VERSION_DESCRIPTION))
                .prop("kind", Schema.string(KIND_DESCRIPTION))
                .prop("metadata", Schema.ref(OBJECT_META, METADATA_DESCRIPTION));
        body.properties().forEach((k, v) -> {
            if (!k.equals("apiVersion") && !k.equals("kind") && !k.equals("metadata")) {
                b.prop(k, v);
            }
        });
        b.required(body.required().toArray(String[]::new));
        if (body.preserveUnknownFields()) {
            b.preserveUnknown();
        }
        define(name, b.build().withGvks(List.of(gvk)));
        kinds.put(gvk, name);

        GroupVersionKind listGvk = gvk.listKind();
        String listName = name + "List";
        Schema list = Schema.object(gvk.kind() + "List is a list of " + gvk.kind() + " objects.")
                .prop("apiVersion", Schema.string(API_VERSION_DESCRIPTION))
                .prop("kind", Schema.string(KIND_DESCRIPTION))
                .prop("metadata", Schema.ref(LIST_META, "Standard list metadata. More info: "
                        + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"))
                .prop("items", Schema.array("List of " + gvk.kind() + " objects.", Schema.ref(name, null)))
                .required("items")
                .build()
                .withGvks(List.of(listGvk));
        define(listName, list);
        kinds.put(listGvk, listName);
    }

    // ---------------------------------------------------------------- queries

    public Optional<Schema> definition(String name) {
        return Optional.ofNullable(definitions.get(name));
    }

    public Map<String, Schema> definitions() {
        return Collections.unmodifiableMap(definitions);
    }

    /** Definition name of a kind (or list kind), if served. */
    public Optional<String> definitionName(GroupVersionKind gvk) {
        return Optional.ofNullable(kinds.get(gvk));
    }

    public Optional<Schema> kindSchema(GroupVersionKind gvk) {
        return definitionName(gvk).map(definitions::get);
    }

    public Set<GroupVersionKind> kinds() {
        return Collections.unmodifiableSet(kinds.keySet());
    }

    /** Follows references until an inline schema; descriptions of the outer reference are not merged. */
    public Schema resolve(Schema schema) {
        Schema s = schema;
        int guard = 0;
        while (s != null && s.isRef()) {
            Schema target = definitions.get(s.ref());
            if (target == null) {
                throw new IllegalStateException("undefined schema " + s.ref());
            }
            s = target;
            if (++guard > 64) {
                throw new IllegalStateException("reference loop at " + schema.ref());
            }
        }
        return s;
    }

    /** All definition names reachable from the given ones (themselves included), sorted. */
    public Set<String> closure(Set<String> roots) {
        Set<String> seen = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (!seen.add(name)) {
                continue;
            }
            Schema s = definitions.get(name);
            if (s == null) {
                throw new IllegalStateException("undefined schema " + name);
            }
            collectRefs(s, todo);
        }
        return seen;
    }

    private static void collectRefs(Schema s, Deque<String> out) {
        if (s == null) {
            return;
        }
        if (s.isRef()) {
            out.push(s.ref());
            return;
        }
        s.properties().values().forEach(p -> collectRefs(p, out));
        collectRefs(s.items(), out);
        collectRefs(s.additionalProperties(), out);
    }
}
