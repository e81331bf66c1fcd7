package io.jvirt.api.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

class OpenApiV3Test {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ResourceCatalog CATALOG = ResourceCatalog.standard();
    private static final OpenApiV3 OPENAPI = new OpenApiV3(CATALOG);

    private static JsonNode doc(ResourceType t) throws IOException {
        return MAPPER.readTree(OPENAPI.document(OpenApiV3.pathOf(t.group(), t.version())).orElseThrow());
    }

    private static boolean gvkMatches(JsonNode ext, ResourceType t) {
        return ext.path("group").asText("?").equals(t.group()) && ext.path("version").asText().equals(t.version())
                && ext.path("kind").asText().equals(t.kind());
    }

    /** What kubectl's query-param verifier does: the PATCH operation of the kind lists fieldValidation. */
    @Test
    void everyKindHasSchemaAndPatchWithFieldValidation() throws IOException {
        for (ResourceType t : CATALOG.all()) {
            JsonNode doc = doc(t);
            assertThat(findKindSchema(doc, t)).as(t.kind() + " schema").isNotNull();
            List<JsonNode> patches = new ArrayList<>();
            doc.path("paths").fields().forEachRemaining(e -> {
                JsonNode patch = e.getValue().path("patch");
                if (!patch.isMissingNode() && gvkMatches(patch.path("x-kubernetes-group-version-kind"), t)) {
                    patches.add(patch);
                }
            });
            assertThat(patches).as(t.kind() + " patch operations").hasSize(t.statusSubresource() ? 2 : 1);
            for (JsonNode patch : patches) {
                assertThat(patch.path("x-kubernetes-action").asText()).isEqualTo("patch");
                List<String> query = new ArrayList<>();
                patch.path("parameters").forEach(p -> {
                    if (p.path("in").asText().equals("query")) {
                        query.add(p.path("name").asText());
                    }
                });
                assertThat(query).as(t.kind()).contains("fieldValidation", "dryRun", "fieldManager", "force");
                Set<String> types = new TreeSet<>();
                patch.path("requestBody").path("content").fieldNames().forEachRemaining(types::add);
                assertThat(types).contains("application/json-patch+json", "application/merge-patch+json",
                        "application/apply-patch+yaml");
                assertThat(types.contains("application/strategic-merge-patch+json")).as(t.kind())
                        .isEqualTo(t.strategicMerge());
            }
        }
    }

    @Test
    void pathsFollowKubernetesLayout() throws IOException {
        ResourceType pod = CATALOG.findKind("v1", "Pod").orElseThrow();
        JsonNode paths = doc(pod).path("paths");
        assertThat(paths.has("/api/v1/namespaces/{namespace}/pods")).isTrue();
        assertThat(paths.has("/api/v1/namespaces/{namespace}/pods/{name}")).isTrue();
        assertThat(paths.has("/api/v1/namespaces/{namespace}/pods/{name}/status")).isTrue();
        assertThat(paths.has("/api/v1/pods")).isTrue();
        JsonNode item = paths.path("/api/v1/namespaces/{namespace}/pods/{name}");
        assertThat(item.path("get").path("x-kubernetes-action").asText()).isEqualTo("get");
        assertThat(item.path("put").path("x-kubernetes-action").asText()).isEqualTo("put");
        assertThat(item.path("delete").path("x-kubernetes-action").asText()).isEqualTo("delete");
        assertThat(item.path("patch").path("operationId").asText()).isEqualTo("patchCoreV1NamespacedPod");
        List<String> pathParams = new ArrayList<>();
        item.path("parameters").forEach(p -> pathParams.add(p.path("name").asText()));
        assertThat(pathParams).containsExactly("name", "namespace", "pretty");
        JsonNode collection = paths.path("/api/v1/namespaces/{namespace}/pods");
        assertThat(collection.path("get").path("x-kubernetes-action").asText()).isEqualTo("list");
        assertThat(collection.path("post").path("x-kubernetes-action").asText()).isEqualTo("post");
        assertThat(collection.path("delete").path("x-kubernetes-action").asText()).isEqualTo("deletecollection");
        assertThat(collection.path("get").path("responses").path("200").path("content").path("application/json")
                .path("schema").path("$ref").asText()).isEqualTo("#/components/schemas/io.k8s.api.core.v1.PodList");

        ResourceType ns = CATALOG.findKind("v1", "Namespace").orElseThrow();
        assertThat(doc(ns).path("paths").has("/api/v1/namespaces/{name}/status")).isTrue();
        ResourceType cip = CATALOG.findKind("instancetype.kubevirt.io/v1beta1", "VirtualMachineClusterInstancetype")
                .orElseThrow();
        JsonNode cipPaths = doc(cip).path("paths");
        assertThat(cipPaths.has("/apis/instancetype.kubevirt.io/v1beta1/virtualmachineclusterinstancetypes/{name}"))
                .isTrue();
        assertThat(cipPaths.has(
                "/apis/instancetype.kubevirt.io/v1beta1/virtualmachineclusterinstancetypes/{name}/status")).isFalse();
    }

    @Test
    void rootListsEveryGroupVersionWithMatchingHash() throws Exception {
        JsonNode root = MAPPER.readTree(OPENAPI.root());
        Set<String> expected = new TreeSet<>();
        CATALOG.groupVersions().forEach((g, vs) -> vs.forEach(v -> expected.add(OpenApiV3.pathOf(g, v))));
        Set<String> actual = new TreeSet<>();
        root.path("paths").fieldNames().forEachRemaining(actual::add);
        assertThat(actual).isEqualTo(expected).contains("api/v1", "apis/kubevirt.io/v1",
                "apis/storage.k8s.io/v1", "apis/cdi.kubevirt.io/v1beta1");
        for (String path : actual) {
            String url = root.path("paths").path(path).path("serverRelativeURL").asText();
            byte[] bytes = OPENAPI.document(path).orElseThrow();
            String hash = HexFormat.of().withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
            assertThat(url).isEqualTo("/openapi/v3/" + path + "?hash=" + hash);
            assertThat(OPENAPI.hash(path)).contains(hash);
            assertThat(OPENAPI.document("/openapi/v3/" + path + "?hash=" + hash)).isPresent();
            JsonNode doc = MAPPER.readTree(bytes);
            assertThat(doc.path("openapi").asText()).isEqualTo("3.0.0");
            assertThat(doc.path("info").path("title").asText()).isEqualTo("Kubernetes");
        }
        assertThat(OPENAPI.document("apis/nope/v1")).isEmpty();
    }

    @Test
    void outputIsDeterministic() {
        OpenApiV3 other = new OpenApiV3(CATALOG);
        assertThat(other.root()).isEqualTo(OPENAPI.root());
        for (String p : OPENAPI.paths()) {
            assertThat(other.document(p).orElseThrow()).isEqualTo(OPENAPI.document(p).orElseThrow());
        }
    }

    @Test
    void everyReferenceResolvesInsideItsDocument() throws IOException {
        for (String p : OPENAPI.paths()) {
            JsonNode doc = MAPPER.readTree(OPENAPI.document(p).orElseThrow());
            JsonNode schemas = doc.path("components").path("schemas");
            List<String> refs = new ArrayList<>();
            collectRefs(doc, refs);
            for (String ref : refs) {
                assertThat(ref).startsWith("#/components/schemas/");
                assertThat(schemas.has(ref.substring("#/components/schemas/".length()))).as(p + " " + ref).isTrue();
            }
        }
    }

    @Test
    void kindSchemasCarryGroupVersionKindAndTypeMetaFields() throws IOException {
        for (ResourceType t : CATALOG.all()) {
            JsonNode doc = doc(t);
            JsonNode kind = findKindSchema(doc, t);
            assertThat(kind.path("x-kubernetes-group-version-kind").isArray()).isTrue();
            assertThat(kind.path("properties").path("apiVersion").path("type").asText()).isEqualTo("string");
            assertThat(kind.path("properties").path("kind").path("description").asText()).isNotBlank();
            assertThat(resolve(doc, kind.path("properties").path("metadata")).path("properties").has("name"))
                    .isTrue();
            boolean listFound = false;
            for (JsonNode s : doc.path("components").path("schemas")) {
                for (JsonNode g : s.path("x-kubernetes-group-version-kind")) {
                    listFound |= g.path("kind").asText().equals(t.kind() + "List");
                }
            }
            assertThat(listFound).as(t.kind() + "List").isTrue();
        }
    }

    /** Like {@code kubectl explain vm.spec.runStrategy}: find the kind by GVK, then walk fields through refs. */
    @Test
    void explainNavigationThroughReferences() throws IOException {
        ResourceType vm = CATALOG.findKind("kubevirt.io/v1", "VirtualMachine").orElseThrow();
        JsonNode doc = doc(vm);
        JsonNode runStrategy = explain(doc, vm, "spec", "runStrategy");
        assertThat(runStrategy.path("type").asText()).isEqualTo("string");
        assertThat(runStrategy.path("description").asText()).contains("Always").contains("Halted")
                .contains("RerunOnFailure");
        JsonNode running = explain(doc, vm, "spec", "running");
        assertThat(running.path("type").asText()).isEqualTo("boolean");
        assertThat(running.path("description").asText()).containsIgnoringCase("deprecated");
        JsonNode dedicated = explain(doc, vm, "spec", "template", "spec", "domain", "cpu", "dedicatedCpuPlacement");
        assertThat(dedicated.path("type").asText()).isEqualTo("boolean");
        assertThat(dedicated.path("description").asText()).isNotBlank();
        JsonNode spec = explain(doc, vm, "spec");
        assertThat(spec.path("description").asText()).isNotBlank();
        JsonNode cores = explain(doc, vm, "spec", "template", "spec", "domain", "cpu", "cores");
        assertThat(cores.path("type").asText()).isEqualTo("integer");
        JsonNode disks = explain(doc, vm, "spec", "template", "spec", "domain", "devices", "disks");
        assertThat(disks.path("type").asText()).isEqualTo("array");
        JsonNode requests = explain(doc, vm, "spec", "template", "spec", "domain", "resources", "requests");
        assertThat(requests.path("additionalProperties").path("$ref").asText())
                .isEqualTo("#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
        assertThat(resolve(doc, requests.path("additionalProperties")).path("x-kubernetes-int-or-string").asBoolean())
                .isTrue();
        JsonNode tolerations = explain(doc, vm, "spec", "template", "spec", "tolerations");
        assertThat(resolve(doc, tolerations.path("items")).path("properties").has("effect")).isTrue();

        ResourceType pod = CATALOG.findKind("v1", "Pod").orElseThrow();
        JsonNode podDoc = doc(pod);
        assertThat(explain(podDoc, pod, "spec", "containers").path("type").asText()).isEqualTo("array");
        assertThat(explain(podDoc, pod, "metadata", "labels").path("additionalProperties").path("type").asText())
                .isEqualTo("string");
    }

    /** kubectl computes client-side apply patches of built-in kinds from these extensions. */
    @Test
    void builtinListsCarryStrategicMergePatchMetadata() throws IOException {
        ResourceType pod = CATALOG.findKind("v1", "Pod").orElseThrow();
        JsonNode schemas = doc(pod).path("components").path("schemas");
        JsonNode containers = schemas.path("io.k8s.api.core.v1.PodSpec").path("properties").path("containers");
        assertThat(containers.path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge");
        assertThat(containers.path("x-kubernetes-patch-merge-key").asText()).isEqualTo("name");
        JsonNode ports = schemas.path("io.k8s.api.core.v1.Container").path("properties").path("ports");
        assertThat(ports.path("x-kubernetes-patch-merge-key").asText()).isEqualTo("containerPort");
        JsonNode volumes = schemas.path("io.k8s.api.core.v1.PodSpec").path("properties").path("volumes");
        assertThat(volumes.path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge,retainKeys");
    }

    @Test
    void everyDeclaredFieldHasADescription() {
        SchemaRegistry registry = SchemaRegistry.standard();
        List<String> missing = new ArrayList<>();
        registry.definitions().forEach((name, s) -> checkDescriptions(name, s, missing));
        assertThat(missing).isEmpty();
    }

    private static void checkDescriptions(String path, Schema s, List<String> missing) {
        for (Map.Entry<String, Schema> e : s.properties().entrySet()) {
            String p = path + "." + e.getKey();
            if (e.getValue().description() == null || e.getValue().description().isBlank()) {
                missing.add(p);
            }
            checkDescriptions(p, e.getValue(), missing);
        }
        if (s.items() != null) {
            checkDescriptions(path + "[]", s.items(), missing);
        }
        if (s.additionalProperties() != null) {
            checkDescriptions(path + "{}", s.additionalProperties(), missing);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode findKindSchema(JsonNode doc, ResourceType t) {
        for (JsonNode s : doc.path("components").path("schemas")) {
            for (JsonNode g : s.path("x-kubernetes-group-version-kind")) {
                if (gvkMatches(g, t)) {
                    return s;
                }
            }
        }
        return null;
    }

    private static JsonNode explain(JsonNode doc, ResourceType t, String... fields) {
        JsonNode current = findKindSchema(doc, t);
        JsonNode field = current;
        for (String f : fields) {
            JsonNode resolved = resolve(doc, current);
            if (resolved.path("type").asText().equals("array")) {
                resolved = resolve(doc, resolved.path("items"));
            }
            field = resolved.path("properties").path(f);
            assertThat(field.isMissingNode()).as("field " + f).isFalse();
            current = field;
        }
        // keep the field's own description, but show the resolved type like kubectl does
        JsonNode target = resolve(doc, field);
        com.fasterxml.jackson.databind.node.ObjectNode out = target.deepCopy();
        if (field.has("description")) {
            out.put("description", field.path("description").asText());
        }
        return out;
    }

    private static JsonNode resolve(JsonNode doc, JsonNode schema) {
        JsonNode s = schema;
        while (true) {
            if (s.has("$ref")) {
                s = doc.path("components").path("schemas").path(s.path("$ref").asText()
                        .substring("#/components/schemas/".length()));
            } else if (s.has("allOf") && !s.has("properties") && s.path("allOf").size() == 1) {
                s = s.path("allOf").get(0);
            } else {
                return s;
            }
        }
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                if (e.getKey().equals("$ref")) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            });
        } else if (n.isArray()) {
            n.forEach(c -> collectRefs(c, out));
        }
    }
}
