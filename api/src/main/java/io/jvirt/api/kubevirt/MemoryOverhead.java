package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The memory a VM needs on its node beyond its guest RAM, for jvirt's architecture (reference §4.2).
 *
 * <p>KubeVirt ({@code pkg/hypervisor/kvm/hypervisorbackend.go}, {@code GetMemoryOverhead}) sizes the
 * virt-launcher pod, which runs five processes per VM. jvirt runs no per-VM launcher, virt-launcher-monitor,
 * virtlogd or virtqemud: one node agent JVM and one shared libvirtd serve every VM on a node and are accounted
 * once per node, not per VM. So the per-VM fixed part is QEMU's own; the variable parts keep KubeVirt's
 * structure and numbers:
 *
 * <pre>
 * overhead = ceil(memory/1000)*1000 / 512   page tables, "one bit per 512 b of RAM" (KubeVirt, on requests.memory;
 *                                           jvirt falls back to memory.guest when no request is set)
 *          + 50Mi                           QEMU itself: KubeVirt's QemuOverhead, the RSS of qemu minus guest RAM
 *                                           and page tables (replaces KubeVirt's 240Mi = 25Mi virt-launcher-monitor
 *                                           + 100Mi virt-launcher + 25Mi virtlogd + 40Mi virtqemud + 50Mi qemu)
 *          + 8Mi  * vCPUs                   per-vCPU tables and thread stacks (KubeVirt); vCPUs = the topology,
 *                                           else the CPU limit/request, at least 1
 *          + 8Mi                            the IOThread (KubeVirt)
 *          + 32Mi   if autoattachGraphicsDevice is not false    video RAM (KubeVirt)
 *          + 128Mi  if arm64                2 x 64Mi UEFI pflash that QEMU maps on aarch64 (KubeVirt; amd64 OVMF's
 *                                           few MiB of flash are within the QEMU base)
 *          + 1Gi    if a VFIO device        GPU/host device/SR-IOV: VFIO locks guest RAM plus ~1G of MMIO (KubeVirt)
 *          + 1Mi    if a downwardMetrics volume                  its memory-backed disk (KubeVirt)
 *          + 256Mi  if SEV/SEV-SNP          encrypted-guest bounce buffers (KubeVirt, libvirt's SEV guidance)
 *          + 53Mi   if a TPM                libvirt still spawns one swtpm per VM (KubeVirt's swtpm VSZ)
 *          + the TCG translation cache      when the cluster forces emulation (developerConfiguration.useEmulation):
 *                                           jvirt caps QEMU's cache, see TcgTranslationCache (16Mi..256Mi)
 *          + memory.reservedOverhead.addedOverhead                   user-reserved (KubeVirt)
 * overhead += floor(ceil(overhead/1000) * (additionalGuestMemoryOverheadRatio - 1)) * 1000   (KubeVirt, last)
 * </pre>
 *
 * Dropped from KubeVirt's formula: the four launcher-pod processes above, the exec-probe overheads (10Mi per probe +
 * 100Mi, for virt-probe inside the launcher; jvirt probes through the node agent) and the 100Mi KubeVirt adds for
 * dedicated-CPU/Guaranteed pods (headroom for the launcher pod's own processes). Network binding plugin memory is
 * not included (no plugins yet). A node that falls back to emulation on its own (its KVM probe failed) runs guests
 * with the capped cache without it being in this sum; set {@code useEmulation} to have it accounted.
 *
 * <p>Worked example, 1 vCPU, 1Gi, graphics on, amd64: 2Mi + 50Mi + 8Mi + 8Mi + 32Mi = 100Mi (KubeVirt: 290Mi).
 */
public final class MemoryOverhead {
    public static final long MI = 1L << 20;
    public static final long QEMU = 50 * MI;
    public static final long PER_VCPU = 8 * MI;
    public static final long IOTHREAD = 8 * MI;
    public static final long VIDEO = 32 * MI;
    public static final long ARM64_UEFI = 128 * MI;
    public static final long VFIO = 1024 * MI;
    public static final long DOWNWARD_METRICS = MI;
    public static final long SEV = 256 * MI;
    public static final long TPM = 53 * MI;

    /** One term of the sum. */
    public record Item(String name, long bytes) {
    }

    /**
     * The overhead and how it was computed, for display (e.g. in the VMI status).
     *
     * @param items the non-zero terms in formula order (names: pageTables, qemu, vcpus, iothread, video, uefi,
     *              vfio, downwardMetrics, sev, tpm, tcgCache, reservedOverhead, additionalRatio)
     * @param total their sum in bytes
     */
    public record Breakdown(List<Item> items, long total) {
        public Breakdown {
            items = List.copyOf(items);
        }

        /** The bytes of one term, 0 when absent. */
        public long bytes(String name) {
            return items.stream().filter(i -> i.name().equals(name)).mapToLong(Item::bytes).sum();
        }

        public Quantity quantity() {
            return Quantity.ofBytes(total);
        }
    }

    private MemoryOverhead() {
    }

    /** The overhead in bytes of a VMI spec. */
    public static long of(JsonNode vmiSpec, ClusterConfig config) {
        return breakdown(vmiSpec, config).total();
    }

    /** The overhead in bytes of a whole VMI (its annotations may size the TCG translation cache). */
    public static long ofVmi(JsonNode vmi, ClusterConfig config) {
        String tcg = vmi.path("metadata").path("annotations").path(TcgTranslationCache.ANNOTATION).asText(null);
        return breakdown(vmi.path("spec"), tcg, config).total();
    }

    public static Breakdown breakdown(JsonNode spec, ClusterConfig config) {
        return breakdown(spec, null, config);
    }

    /**
     * @param tcgAnnotation the VMI's {@link TcgTranslationCache#ANNOTATION}, or null; an invalid value counts as
     *                      the computed size (the node refuses to start such a VMI with the annotation's error)
     */
    public static Breakdown breakdown(JsonNode spec, String tcgAnnotation, ClusterConfig config) {
        List<Item> items = new ArrayList<>();
        JsonNode domain = spec.path("domain");
        Optional<Quantity> memory = Tree.quantity(domain, "resources", "requests", "memory")
                .filter(q -> !q.isZero()).or(() -> Tree.quantity(domain, "memory", "guest"));
        long memBytes = memory.map(Quantity::value).orElse(0L);
        add(items, "pageTables", ceilDiv(Math.max(0, memBytes), 1000) * 1000 / 512);
        add(items, "qemu", QEMU);
        add(items, "vcpus", PER_VCPU * Hardware.vcpusForSizing(spec));
        add(items, "iothread", IOTHREAD);
        if (Hardware.graphics(spec)) {
            add(items, "video", VIDEO);
        }
        if ("arm64".equals(Hardware.arch(spec, config))) {
            add(items, "uefi", ARM64_UEFI);
        }
        if (Hardware.vfio(spec)) {
            add(items, "vfio", VFIO);
        }
        if (Hardware.downwardMetricsVolume(spec)) {
            add(items, "downwardMetrics", DOWNWARD_METRICS);
        }
        if (Hardware.sev(spec)) {
            add(items, "sev", SEV);
        }
        if (Hardware.tpm(spec)) {
            add(items, "tpm", TPM);
        }
        if (config.useEmulation()) {
            long guest = Tree.quantity(domain, "memory", "guest").map(Quantity::value).orElse(memBytes);
            long cache;
            try {
                cache = TcgTranslationCache.bytes(guest, tcgAnnotation);
            } catch (IllegalArgumentException e) {
                cache = TcgTranslationCache.bytes(guest, null);
            }
            add(items, "tcgCache", cache);
        }
        Tree.quantity(domain, "memory", "reservedOverhead", "addedOverhead")
                .ifPresent(q -> add(items, "reservedOverhead", Math.max(0, q.value())));
        long total = items.stream().mapToLong(Item::bytes).sum();
        String ratio = config.additionalGuestMemoryOverheadRatio();
        if (ratio != null && !ratio.isBlank()) {
            try {
                BigDecimal r = new BigDecimal(ratio.trim());
                long kilo = ceilDiv(total, 1000);
                long extraKilo = BigDecimal.valueOf(kilo).multiply(r.subtract(BigDecimal.ONE))
                        .setScale(0, RoundingMode.DOWN).longValueExact();
                add(items, "additionalRatio", extraKilo * 1000);
                total += extraKilo * 1000;
            } catch (NumberFormatException | ArithmeticException e) {
                // KubeVirt logs and ignores a ratio it cannot parse
            }
        }
        return new Breakdown(items, total);
    }

    private static void add(List<Item> items, String name, long bytes) {
        if (bytes != 0) {
            items.add(new Item(name, bytes));
        }
    }

    private static long ceilDiv(long a, long b) {
        return Math.floorDiv(a + b - 1, b);
    }
}
