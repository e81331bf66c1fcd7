package io.jvirt.apiserver.http;

import java.util.ArrayList;
import java.util.List;

/**
 * What a request path addresses, parsed the way kube-apiserver's RequestInfoFactory does:
 * {@code /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}},
 * {@code /apis/{group}/{version}/...}, and the deprecated {@code .../watch/...} prefix.
 *
 * @param kind        RESOURCE for object paths; otherwise which non-resource endpoint
 * @param namespace   null for cluster-wide paths
 * @param watchPrefix the path used the {@code /watch/} prefix
 */
public record RequestInfo(Kind kind, String group, String version, String namespace, String resource, String name,
                          String subresource, boolean watchPrefix, List<String> rest) {

    public enum Kind { ROOT, LEGACY_VERSIONS, LEGACY_RESOURCES, GROUPS, GROUP, GROUP_RESOURCES, RESOURCE, OTHER }

    public static RequestInfo parse(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        if (parts.isEmpty()) {
            return other(Kind.ROOT, parts);
        }
        String prefix = parts.getFirst();
        int i;
        String group;
        String version;
        if (prefix.equals("api")) {
            if (parts.size() == 1) {
                return other(Kind.LEGACY_VERSIONS, parts);
            }
            group = "";
            version = parts.get(1);
            if (parts.size() == 2) {
                return new RequestInfo(Kind.LEGACY_RESOURCES, group, version, null, null, null, null, false, parts);
            }
            i = 2;
        } else if (prefix.equals("apis")) {
            if (parts.size() == 1) {
                return other(Kind.GROUPS, parts);
            }
            group = parts.get(1);
            if (parts.size() == 2) {
                return new RequestInfo(Kind.GROUP, group, null, null, null, null, null, false, parts);
            }
            version = parts.get(2);
            if (parts.size() == 3) {
                return new RequestInfo(Kind.GROUP_RESOURCES, group, version, null, null, null, null, false, parts);
            }
            i = 3;
        } else {
            return other(Kind.OTHER, parts);
        }
        boolean watch = false;
        if (parts.get(i).equals("watch")) {
            watch = true;
            i++;
        }
        List<String> seg = parts.subList(i, parts.size());
        String namespace = null;
        // "namespaces/{ns}/{resource}..." addresses namespaced objects; "namespaces" and "namespaces/{name}"
        // (with optional subresource) address Namespace objects themselves.
        if (seg.size() >= 3 && seg.get(0).equals("namespaces")
                && !seg.get(2).equals("status") && !seg.get(2).equals("finalize")) {
            namespace = seg.get(1);
            seg = seg.subList(2, seg.size());
        }
        if (seg.isEmpty() || seg.size() > 3) {
            return other(Kind.OTHER, parts);
        }
        String resource = seg.get(0);
        String name = seg.size() > 1 ? seg.get(1) : null;
        String sub = seg.size() > 2 ? seg.get(2) : null;
        return new RequestInfo(Kind.RESOURCE, group, version, namespace, resource, name, sub, watch, parts);
    }

    private static RequestInfo other(Kind k, List<String> parts) {
        return new RequestInfo(k, null, null, null, null, null, null, false, parts);
    }
}
