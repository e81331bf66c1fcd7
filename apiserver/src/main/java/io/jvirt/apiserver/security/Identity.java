package io.jvirt.apiserver.security;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An authenticated caller. jvirt knows exactly two: {@link #ADMIN} (every verb) and {@link #VIEWER} (read-only:
 * {@code get}, {@code list}, {@code watch}).
 *
 * @param role     short name, also the token file stem and kubeconfig suffix: {@code admin} or {@code viewer}
 * @param userName the Kubernetes user name reported to clients (e.g. SelfSubjectReview): {@code jvirt-admin} /
 *                 {@code jvirt-viewer}
 * @param groups   the user's groups
 * @param mayWrite whether non-read verbs (create, update, patch, delete, deletecollection, and subresource actions)
 *                 are allowed
 */
public record Identity(String role, String userName, List<String> groups, boolean mayWrite) {

    /** The verbs a read-only identity may use. */
    public static final Set<String> READ_VERBS = Set.of("get", "list", "watch");

    public static final Identity ADMIN = new Identity("admin", "jvirt-admin",
            List.of("system:masters", "system:authenticated"), true);

    public static final Identity VIEWER = new Identity("viewer", "jvirt-viewer",
            List.of("system:authenticated"), false);

    /**
     * jvirt's own controllers and node agents (KubeVirt's virt-controller / virt-handler service accounts): may
     * write what KubeVirt reserves for its components, such as the {@code kubevirt.io/nodeName} label.
     */
    public static final Identity COMPONENTS = new Identity("components", "system:jvirt:components",
            List.of("system:serviceaccounts", "system:authenticated"), true);

    /** Every identity, admin first. */
    public static final List<Identity> ALL = List.of(ADMIN, VIEWER, COMPONENTS);

    public Identity {
        groups = List.copyOf(groups);
    }

    /** Whether this identity may use {@code verb} (Kubernetes verb name, case-insensitive). */
    public boolean allows(String verb) {
        return mayWrite || (verb != null && READ_VERBS.contains(verb.toLowerCase(Locale.ROOT)));
    }

    /** The identity with this role or user name ({@code admin}, {@code jvirt-admin}, ...), or null. */
    public static Identity byName(String name) {
        for (Identity i : ALL) {
            if (i.role.equals(name) || i.userName.equals(name)) {
                return i;
            }
        }
        return null;
    }
}
