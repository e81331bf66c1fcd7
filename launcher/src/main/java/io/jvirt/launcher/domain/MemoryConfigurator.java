package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;

/**
 * Guest memory in bytes: {@code spec.domain.memory.guest}, falling back like KubeVirt's defaulting to
 * {@code resources.requests.memory}, then {@code resources.limits.memory}, then the hugepage size.
 *
 * <p>Hugepages ({@code spec.domain.memory.hugepages.pageSize}) → {@code <memoryBacking><hugepages><page size
 * unit='b'/></hugepages><source type='memfd'/></memoryBacking>}. KubeVirt writes an empty {@code <hugepages/>}, which
 * makes libvirt use the host's default hugepage size (2Mi on x86) whatever the VMI asked for; here the page size is
 * explicit, so a 1Gi guest gets 1Gi pages. memfd backing (QEMU's {@code memory-backend-memfd} with hugetlb) unless the
 * annotation {@code kubevirt.io/memfd: "false"}. With NUMA passthrough {@link PlacementConfigurator} replaces the page
 * by one per guest cell and adds {@code <allocation mode='immediate'/>}. Guest memory must be a whole number of pages.
 *
 * <p>Not converted yet: {@code memory.maxGuest} hotplug ({@code <maxMemory>}); ignored, so such VMIs start with their
 * current memory.
 */
final class MemoryConfigurator implements DomainConfigurator {

    static final String HUGEPAGES = "spec.domain.memory.hugepages";
    /** Annotation turning memfd memory backing off for hugepage guests (as in KubeVirt). */
    static final String MEMFD_ANNOTATION = "kubevirt.io/memfd";

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        domain.memoryBytes = guestMemoryBytes(vmi);
        Long pageBytes = hugepageBytes(vmi);
        if (pageBytes == null) {
            return;
        }
        if (domain.memoryBytes % pageBytes != 0) {
            throw ConversionException.at(HUGEPAGES + ".pageSize", "guest memory of " + domain.memoryBytes
                    + " bytes is not a multiple of the page size (" + pageBytes + " bytes)");
        }
        domain.memoryBacking = backing(vmi, pageBytes, 0, false);
    }

    /**
     * {@code <memoryBacking>} for hugepages of {@code pageBytes}: one {@code <page>} for the whole guest
     * ({@code cells == 0}) or one per guest NUMA cell ({@code nodeset} = cell id) with immediate allocation, as
     * KubeVirt's NUMA passthrough writes it; {@code <nosharepages/>} for realtime guests.
     */
    static XmlElement backing(Vmi vmi, long pageBytes, int cells, boolean realtime) {
        XmlElement backing = new XmlElement("memoryBacking");
        XmlElement hugepages = backing.child("hugepages");
        if (cells == 0) {
            hugepages.child("page").attr("size", pageBytes).attr("unit", "b");
        }
        for (int cell = 0; cell < cells; cell++) {
            hugepages.child("page").attr("size", pageBytes).attr("unit", "b").attr("nodeset", cell);
        }
        if (realtime) {
            backing.child("nosharepages");
        }
        if (!"false".equals(vmi.annotation(MEMFD_ANNOTATION))) {
            backing.child("source").attr("type", "memfd");
        }
        if (cells > 0) {
            backing.child("allocation").attr("mode", "immediate");
        }
        return backing;
    }

    /** The hugepage size in bytes, or null when the VMI does not ask for hugepages. */
    static Long hugepageBytes(Vmi vmi) {
        JsonNode memory = Json.object(vmi.domain(), "memory", Vmi.DOMAIN);
        JsonNode hugepages = Json.object(memory, "hugepages", "spec.domain.memory");
        if (!Json.isSet(hugepages)) {
            return null;
        }
        BigDecimal size = Quantity.read(hugepages, "pageSize", HUGEPAGES);
        if (size == null) {
            throw ConversionException.at(HUGEPAGES + ".pageSize", "is required (2Mi or 1Gi)");
        }
        long bytes = Quantity.ceilToLong(size, HUGEPAGES + ".pageSize");
        if (bytes < 4096 || Long.bitCount(bytes) != 1) {
            throw ConversionException.at(HUGEPAGES + ".pageSize", size.toPlainString()
                    + " bytes is not a hugepage size (a power of two such as 2Mi or 1Gi)");
        }
        return bytes;
    }

    static long guestMemoryBytes(Vmi vmi) {
        JsonNode memory = Json.object(vmi.domain(), "memory", Vmi.DOMAIN);
        JsonNode resources = Json.object(vmi.domain(), "resources", Vmi.DOMAIN);
        String[][] candidates = {
                {"spec.domain.memory", "guest"},
                {"spec.domain.resources.requests", "memory"},
                {"spec.domain.resources.limits", "memory"},
                {"spec.domain.memory.hugepages", "pageSize"},
        };
        JsonNode[] parents = {
                memory,
                Json.object(resources, "requests", "spec.domain.resources"),
                Json.object(resources, "limits", "spec.domain.resources"),
                Json.object(memory, "hugepages", "spec.domain.memory"),
        };
        for (int i = 0; i < candidates.length; i++) {
            BigDecimal value = Quantity.read(parents[i], candidates[i][1], candidates[i][0]);
            if (value != null) {
                String field = candidates[i][0] + "." + candidates[i][1];
                long bytes = Quantity.ceilToLong(value, field);
                if (bytes <= 0) {
                    throw ConversionException.at(field, "guest memory must be positive, got " + value.toPlainString());
                }
                return bytes;
            }
        }
        throw ConversionException.at("spec.domain.memory.guest", "no guest memory: set spec.domain.memory.guest or "
                + "spec.domain.resources.requests.memory");
    }
}
