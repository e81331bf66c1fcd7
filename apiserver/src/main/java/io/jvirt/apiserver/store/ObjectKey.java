package io.jvirt.apiserver.store;

import java.util.Objects;

/**
 * Identity of one stored object: the resource it belongs to (e.g. {@code kubevirt.io/virtualmachines}, or
 * {@code /pods} for the core group), its namespace ({@code ""} for cluster-scoped kinds) and its name.
 * Objects of one resource are ordered by {@link #sortKey()}, which is also what list pagination continues from.
 */
public record ObjectKey(String resource, String namespace, String name) implements Comparable<ObjectKey> {
    public ObjectKey {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /** {@code namespace/name}; cluster-scoped objects sort as {@code /name}. */
    public String sortKey() {
        return namespace + "/" + name;
    }

    @Override
    public int compareTo(ObjectKey o) {
        int c = resource.compareTo(o.resource);
        return c != 0 ? c : sortKey().compareTo(o.sortKey());
    }

    @Override
    public String toString() {
        return resource + "/" + sortKey();
    }
}
