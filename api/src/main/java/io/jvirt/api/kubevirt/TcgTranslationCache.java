package io.jvirt.api.kubevirt;

/**
 * Size of QEMU's TCG translation cache for a guest that runs under software emulation (no KVM).
 *
 * <p>Under emulation QEMU translates guest code into host code and keeps it in one cache per guest. QEMU 7.2 reserves
 * 1 GiB for it and lets it fill up to that, so an emulated guest's memory outside its RAM is unbounded in practice
 * and never accounted anywhere. jvirt caps it (libvirt's {@code <features><tcg><tb-cache>}), which makes the cost
 * bounded and known:
 *
 * <pre>
 * cache = guest memory / 8, at least 16Mi and at most 256Mi
 *       = the annotation jvirt.io/tcg-translation-cache on the VMI (a quantity, 4Mi..1Gi), when set
 * </pre>
 *
 * Measured on the test guest (busybox, 128Mi, QEMU 7.2, docs/benchmarks.md): uncapped, the cache held 64 MiB at the
 * login prompt; capped at 16 MiB the boot took as long as uncapped; at 8 MiB the boot took twice as long (QEMU
 * flushes a full cache and translates again). Larger guests run larger kernels and programs, hence the share of guest
 * memory. The cache does not exist under KVM.
 */
public final class TcgTranslationCache {
    /** VMI annotation overriding the computed size (a Kubernetes quantity). */
    public static final String ANNOTATION = "jvirt.io/tcg-translation-cache";
    public static final long MI = 1L << 20;
    public static final long MIN = 16 * MI;
    public static final long MAX = 256 * MI;
    /** Bounds accepted for the annotation. */
    public static final long ANNOTATION_MIN = 4 * MI;
    public static final long ANNOTATION_MAX = 1024 * MI;

    private TcgTranslationCache() {
    }

    /**
     * The cache size in bytes, a whole number of MiB (libvirt takes MiB).
     *
     * @param guestMemoryBytes the guest's memory
     * @param annotation       the value of {@link #ANNOTATION}, or null
     * @throws IllegalArgumentException naming the annotation when its value is not a quantity within bounds
     */
    public static long bytes(long guestMemoryBytes, String annotation) {
        if (annotation != null) {
            return parse(annotation);
        }
        long share = Math.max(0, guestMemoryBytes) / 8;
        return Math.min(MAX, Math.max(MIN, share / MI * MI));
    }

    /** The cache size in MiB. */
    public static long mebibytes(long guestMemoryBytes, String annotation) {
        return bytes(guestMemoryBytes, annotation) / MI;
    }

    /**
     * An annotation value in bytes, rounded down to whole MiB.
     *
     * @throws IllegalArgumentException naming the annotation and the accepted range
     */
    public static long parse(String annotation) {
        String where = "metadata.annotations[" + ANNOTATION + "]";
        Quantity q = Quantity.tryParse(annotation).orElseThrow(() -> new IllegalArgumentException(where
                + ": '" + annotation + "' is not a quantity; use a size such as 64Mi"));
        long bytes = q.value();
        if (bytes < ANNOTATION_MIN || bytes > ANNOTATION_MAX) {
            throw new IllegalArgumentException(where + ": " + annotation + " is out of range; use 4Mi to 1Gi");
        }
        return bytes / MI * MI;
    }
}
