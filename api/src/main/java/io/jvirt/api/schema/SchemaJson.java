package io.jvirt.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders {@link Schema} nodes as OpenAPI v3 JSON, the way kube-apiserver publishes them. */
final class SchemaJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private SchemaJson() {
    }

    /** Shared definitions the renderer refers to for int-or-string fields (as Kubernetes names them). */
    static final String QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    static final String INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

    static final Schema QUANTITY_SCHEMA = Schema.quantity("Quantity is a fixed-point number with an optional "
            + "suffix: a binary SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal SI suffix (m, k, M, G, T, P, E) or "
            + "a decimal exponent, e.g. 500m, 2, 1.5Gi or 1e3. Written as a string or a number.");
    static final Schema INT_OR_STRING_SCHEMA = Schema.intOrString("IntOrString holds either an integer or a "
            + "string, e.g. a port number or name, or a count or percentage.");

    /** Renders a named definition. */
    static ObjectNode definition(Schema s) {
        return render(s, true);
    }

    /** Renders a field schema; int-or-string fields refer to the shared Quantity / IntOrString definitions. */
    static ObjectNode toJson(Schema s) {
        return render(s, false);
    }

    private static ObjectNode render(Schema s, boolean definition) {
        if (s.intOrString() && !definition) {
            return toJson(Schema.ref("quantity".equals(s.format()) ? QUANTITY : INT_OR_STRING, s.description()));
        }
        ObjectNode n = F.objectNode();
        if (s.patchStrategy() != null) {
            n.put("x-kubernetes-patch-strategy", s.patchStrategy());
        }
        if (s.patchMergeKey() != null) {
            n.put("x-kubernetes-patch-merge-key", s.patchMergeKey());
        }
        if (s.isRef()) {
            // OpenAPI 3.0 ignores siblings of $ref, so a described reference wraps it in allOf (as Kubernetes does)
            if (s.description() != null || n.size() > 0) {
                if (s.description() != null) {
                    n.put("description", s.description());
                }
                n.putArray("allOf").addObject().put("$ref", s.refPointer());
            } else {
                n.put("$ref", s.refPointer());
            }
            return n;
        }
        if (s.description() != null) {
            n.put("description", s.description());
        }
        if (s.intOrString()) {
            ArrayNode any = n.putArray("anyOf");
            any.addObject().put("type", Schema.INTEGER);
            any.addObject().put("type", Schema.STRING);
            n.put("x-kubernetes-int-or-string", true);
            return n;
        }
        if (s.type() != null) {
            n.put("type", s.type());
        }
        if (s.format() != null) {
            n.put("format", s.format());
        }
        if (!s.enumValues().isEmpty()) {
            ArrayNode e = n.putArray("enum");
            s.enumValues().forEach(e::add);
        }
        if (!s.properties().isEmpty()) {
            ObjectNode props = n.putObject("properties");
            new TreeMap<>(s.properties()).forEach((k, v) -> props.set(k, toJson(v)));
        }
        if (!s.required().isEmpty()) {
            ArrayNode r = n.putArray("required");
            s.required().stream().sorted().forEach(r::add);
        }
        if (s.items() != null) {
            n.set("items", toJson(s.items()));
        }
        if (s.additionalProperties() != null) {
            n.set("additionalProperties", toJson(s.additionalProperties()));
        }
        if (s.preserveUnknownFields()) {
            n.put("x-kubernetes-preserve-unknown-fields", true);
        }
        if (!s.gvks().isEmpty()) {
            ArrayNode g = n.putArray("x-kubernetes-group-version-kind");
            for (GroupVersionKind gvk : s.gvks()) {
                gvkNode(g.addObject(), gvk);
            }
        }
        return n;
    }

    static ObjectNode gvkNode(ObjectNode target, GroupVersionKind gvk) {
        target.put("group", gvk.group());
        target.put("kind", gvk.kind());
        target.put("version", gvk.version());
        return target;
    }

    /** A copy of the tree with the fields of every object sorted by name, for byte-stable output. */
    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            Map<String, JsonNode> fields = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                fields.put(e.getKey(), sorted(e.getValue()));
            }
            ObjectNode out = F.objectNode();
            fields.forEach(out::set);
            return out;
        }
        if (node.isArray()) {
            List<JsonNode> items = new ArrayList<>();
            node.forEach(i -> items.add(sorted(i)));
            ArrayNode out = F.arrayNode();
            items.forEach(out::add);
            return out;
        }
        return node;
    }
}
