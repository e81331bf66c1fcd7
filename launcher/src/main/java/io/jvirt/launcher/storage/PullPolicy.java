package io.jvirt.launcher.storage;

/**
 * {@code containerDisk.imagePullPolicy}: when the node asks the registry for an image (Kubernetes' container
 * {@code imagePullPolicy}). How each applies to images that were imported rather than pulled is on
 * {@link ImagePuller}.
 */
public enum PullPolicy {
    /** ask the registry at every start; a pull is a no-op when the manifest digest is unchanged */
    ALWAYS("Always"),
    /** pull only when the image is not in the local store */
    IF_NOT_PRESENT("IfNotPresent"),
    /** never pull: a missing image is an error */
    NEVER("Never");

    private final String value;

    PullPolicy(String value) {
        this.value = value;
    }

    /** The API spelling ({@code Always}, {@code IfNotPresent}, {@code Never}). */
    public String value() {
        return value;
    }

    /**
     * The policy of a containerDisk: {@code spec} if set (the admission chain always sets it), else the default
     * admission would give — the rule of {@code VmiDefaults} (KubeVirt's defaulting): {@code Always} for an image
     * ending in {@code :latest} or without any {@code :} or {@code @}, {@code IfNotPresent} otherwise. (Unlike
     * Kubernetes' rule for containers, a registry port such as {@code localhost:5000/disk} means {@code IfNotPresent}.)
     *
     * @throws IllegalArgumentException for a {@code spec} other than the three values
     */
    public static PullPolicy of(String spec, String reference) {
        if (spec != null && !spec.isBlank()) {
            for (PullPolicy p : values()) {
                if (p.value.equals(spec.strip())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("invalid imagePullPolicy '" + spec
                    + "' (expected Always, IfNotPresent or Never)");
        }
        String r = reference == null ? "" : reference.strip();
        return r.endsWith(":latest") || (r.indexOf(':') < 0 && r.indexOf('@') < 0) ? ALWAYS : IF_NOT_PRESENT;
    }
}
