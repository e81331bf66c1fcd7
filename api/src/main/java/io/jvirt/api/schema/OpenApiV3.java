package io.jvirt.api.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code /openapi/v3} discovery document and one OpenAPI 3.0 document per served group-version, as
 * kube-apiserver publishes them. kubectl reads them for {@code explain} (schemas with
 * {@code x-kubernetes-group-version-kind}) and to decide whether the server validates fields itself (a
 * {@code fieldValidation} query parameter on the PATCH operation of the kind). All documents are rendered once,
 * with sorted keys, when the instance is created.
 */
public final class OpenApiV3 {
    static final String ROOT_PREFIX = "/openapi/v3/";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Map<String, byte[]> documents = new LinkedHashMap<>();
    private final Map<String, String> hashes = new LinkedHashMap<>();
    private final byte[] root;

    public OpenApiV3(ResourceCatalog catalog) {
        this(catalog, SchemaRegistry.standard(), "unversioned");
    }

    /**
     * @param kubernetesVersion what {@code info.version} says (kube-apiserver puts its own version there)
     */
    public OpenApiV3(ResourceCatalog catalog, SchemaRegistry registry, String kubernetesVersion) {
        Map<String, List<ResourceType>> byPath = new LinkedHashMap<>();
        for (ResourceType t : catalog.all()) {
            byPath.computeIfAbsent(pathOf(t.group(), t.version()), p -> new ArrayList<>()).add(t);
        }
        ObjectNode rootPaths = F.objectNode();
        for (Map.Entry<String, List<ResourceType>> e : byPath.entrySet()) {
            byte[] doc = render(e.getValue(), registry, kubernetesVersion);
            String hash = sha512(doc);
            documents.put(e.getKey(), doc);
            hashes.put(e.getKey(), hash);
            rootPaths.putObject(e.getKey()).put("serverRelativeURL", ROOT_PREFIX + e.getKey() + "?hash=" + hash);
        }
        ObjectNode rootNode = F.objectNode();
        rootNode.set("paths", rootPaths);
        root = write(rootNode);
    }

    /** {@code api/v1} for the core group, {@code apis/<group>/<version>} otherwise. */
    public static String pathOf(String group, String version) {
        return group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
    }

    /** Body of {@code GET /openapi/v3}: {@code {"paths": {"api/v1": {"serverRelativeURL": ...}, ...}}}. */
    public byte[] root() {
        return root.clone();
    }

    /**
     * Body of {@code GET /openapi/v3/<path>} for a served group-version path such as {@code api/v1} or
     * {@code apis/kubevirt.io/v1} (a leading {@code /openapi/v3/} or {@code /} and a query string are ignored).
     */
    public Optional<byte[]> document(String path) {
        byte[] doc = documents.get(normalize(path));
        return Optional.ofNullable(doc == null ? null : doc.clone());
    }

    /** Uppercase hex SHA-512 of a document, as used in {@code ?hash=} and for ETags. */
    public Optional<String> hash(String path) {
        return Optional.ofNullable(hashes.get(normalize(path)));
    }

    /** Served group-version paths in catalogue order. */
    public List<String> paths() {
        return List.copyOf(documents.keySet());
    }

    private static String normalize(String path) {
        String p = path;
        int q = p.indexOf('?');
        if (q >= 0) {
            p = p.substring(0, q);
        }
        if (p.startsWith(ROOT_PREFIX)) {
            p = p.substring(ROOT_PREFIX.length());
        }
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    static String sha512(byte[] bytes) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 unavailable", e);
        }
    }

    private static byte[] write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(SchemaJson.sorted(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- one group-version document

    private static byte[] render(List<ResourceType> types, SchemaRegistry registry, String kubernetesVersion) {
        ObjectNode doc = F.objectNode();
        doc.put("openapi", "3.0.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Kubernetes");
        info.put("version", kubernetesVersion);
        ObjectNode paths = doc.putObject("paths");
        Set<String> roots = new LinkedHashSet<>();
        roots.add(OpenApiPaths.STATUS);
        roots.add(OpenApiPaths.DELETE_OPTIONS);
        roots.add(OpenApiPaths.PATCH);
        roots.add(OpenApiPaths.WATCH_EVENT);
        for (ResourceType t : types) {
            GroupVersionKind gvk = GroupVersionKind.of(t);
            String kindDef = registry.definitionName(gvk)
                    .orElseThrow(() -> new IllegalStateException("no schema for " + gvk));
            String listDef = registry.definitionName(gvk.listKind())
                    .orElseThrow(() -> new IllegalStateException("no list schema for " + gvk));
            roots.add(kindDef);
            roots.add(listDef);
            new OpenApiPaths(t, kindDef, listDef).addTo(paths);
        }
        ObjectNode components = doc.putObject("components");
        ObjectNode schemas = components.putObject("schemas");
        for (String name : registry.closure(roots)) {
            schemas.set(name, SchemaJson.definition(registry.definition(name).orElseThrow()));
        }
        schemas.set(SchemaJson.QUANTITY, SchemaJson.definition(SchemaJson.QUANTITY_SCHEMA));
        schemas.set(SchemaJson.INT_OR_STRING, SchemaJson.definition(SchemaJson.INT_OR_STRING_SCHEMA));
        ObjectNode bearer = components.putObject("securitySchemes").putObject("BearerToken");
        bearer.put("type", "apiKey");
        bearer.put("description", "Bearer Token authentication");
        bearer.put("name", "authorization");
        bearer.put("in", "header");
        doc.putArray("security").addObject().putArray("BearerToken");
        return write(doc);
    }

    /** Operation-id fragment of a group: {@code Core}, {@code KubevirtIo}, {@code Storage}, ... */
    static String groupId(String group) {
        if (group.isEmpty()) {
            return "Core";
        }
        String g = group.endsWith(".k8s.io") && !group.contains("cni") ? group.substring(0, group.length() - 7)
                : group;
        StringBuilder b = new StringBuilder();
        for (String part : g.split("[.-]")) {
            if (!part.isEmpty()) {
                b.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
            }
        }
        return b.toString();
    }
}
