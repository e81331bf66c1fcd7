package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.Json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The unaggregated discovery documents ({@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/G[/V]}). */
public final class Discovery {
    static final List<String> VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch",
            "update", "watch");
    /** The Kubernetes version this server speaks (the middle of the kubectl range it is tested with, 1.27–1.33). */
    public static final String KUBE_MAJOR = "1";
    public static final String KUBE_MINOR = "30";

    private final ResourceCatalog catalog;
    private final String serverAddress;

    public Discovery(ResourceCatalog catalog, String serverAddress) {
        this.catalog = catalog;
        this.serverAddress = serverAddress;
    }

    public ObjectNode version() {
        ObjectNode v = Json.object();
        v.put("major", KUBE_MAJOR);
        v.put("minor", KUBE_MINOR);
        v.put("gitVersion", "v" + KUBE_MAJOR + "." + KUBE_MINOR + ".0+jvirt");
        v.put("gitCommit", "jvirt");
        v.put("gitTreeState", "clean");
        v.put("buildDate", "2026-01-01T00:00:00Z");
        v.put("goVersion", "java" + Runtime.version().feature());
        v.put("compiler", "jvirt");
        v.put("platform", "linux/amd64");
        return v;
    }

    public ObjectNode legacyVersions() {
        ObjectNode o = Json.object();
        o.put("kind", "APIVersions");
        o.putArray("versions").add("v1");
        ObjectNode addr = o.putArray("serverAddressByClientCIDRs").addObject();
        addr.put("clientCIDR", "0.0.0.0/0");
        addr.put("serverAddress", serverAddress);
        return o;
    }

    public ObjectNode groups() {
        ObjectNode o = Json.object();
        o.put("kind", "APIGroupList");
        o.put("apiVersion", "v1");
        ArrayNode groups = o.putArray("groups");
        for (Map.Entry<String, List<String>> e : catalog.groupVersions().entrySet()) {
            if (!e.getKey().isEmpty()) {
                groups.add(group(e.getKey(), e.getValue()));
            }
        }
        groups.add(group(Subresources.GROUP, List.of(Subresources.VERSION)));
        return o;
    }

    /** The APIGroup document, or null when the group is not served. */
    public ObjectNode group(String name) {
        List<String> versions = name.equals(Subresources.GROUP) ? List.of(Subresources.VERSION)
                : catalog.groupVersions().get(name);
        if (versions == null || name.isEmpty()) {
            return null;
        }
        ObjectNode g = group(name, versions);
        g.put("kind", "APIGroup");
        g.put("apiVersion", "v1");
        return g;
    }

    private static ObjectNode group(String name, List<String> versions) {
        ObjectNode g = Json.object();
        g.put("name", name);
        ArrayNode vs = g.putArray("versions");
        for (String v : versions) {
            ObjectNode vn = vs.addObject();
            vn.put("groupVersion", name + "/" + v);
            vn.put("version", v);
        }
        ObjectNode pref = g.putObject("preferredVersion");
        pref.put("groupVersion", name + "/" + versions.getFirst());
        pref.put("version", versions.getFirst());
        return g;
    }

    /** The APIResourceList of a group-version, or null when not served. */
    public ObjectNode resources(String group, String version) {
        if (group.equals(Subresources.GROUP) && version.equals(Subresources.VERSION)) {
            return Subresources.discovery();
        }
        List<ResourceType> types = catalog.inGroupVersion(group, version);
        if (types.isEmpty()) {
            return null;
        }
        ObjectNode o = Json.object();
        o.put("kind", "APIResourceList");
        o.put("apiVersion", "v1");
        o.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        ArrayNode rs = o.putArray("resources");
        for (ResourceType t : types) {
            ObjectNode r = rs.addObject();
            r.put("name", t.plural());
            r.put("singularName", t.singular());
            r.put("namespaced", t.namespaced());
            r.put("kind", t.kind());
            ArrayNode verbs = r.putArray("verbs");
            VERBS.forEach(verbs::add);
            if (!t.shortNames().isEmpty()) {
                ArrayNode sn = r.putArray("shortNames");
                t.shortNames().forEach(sn::add);
            }
            if (!t.categories().isEmpty()) {
                ArrayNode cs = r.putArray("categories");
                t.categories().forEach(cs::add);
            }
            r.put("storageVersionHash", hash(t.apiVersion() + "/" + t.kind()));
            if (t.statusSubresource()) {
                ObjectNode s = rs.addObject();
                s.put("name", t.plural() + "/status");
                s.put("singularName", "");
                s.put("namespaced", t.namespaced());
                s.put("kind", t.kind());
                s.putArray("verbs").add("get").add("patch").add("update");
            }
        }
        return o;
    }

    /** kube-apiserver's storageVersionHash: the first 8 bytes of a SHA-256, base64. */
    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(d, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
