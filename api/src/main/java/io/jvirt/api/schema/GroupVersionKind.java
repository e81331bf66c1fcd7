package io.jvirt.api.schema;

import io.jvirt.api.resources.ResourceType;

/** A kind in a group-version; the group is {@code ""} for the core group. */
public record GroupVersionKind(String group, String version, String kind) {

    public static GroupVersionKind of(ResourceType type) {
        return new GroupVersionKind(type.group(), type.version(), type.kind());
    }

    /** Parses {@code apiVersion} ({@code v1} or {@code group/version}) and a kind. */
    public static GroupVersionKind fromApiVersion(String apiVersion, String kind) {
        int slash = apiVersion.indexOf('/');
        return slash < 0
                ? new GroupVersionKind("", apiVersion, kind)
                : new GroupVersionKind(apiVersion.substring(0, slash), apiVersion.substring(slash + 1), kind);
    }

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    public GroupVersionKind listKind() {
        return new GroupVersionKind(group, version, kind + "List");
    }
}
