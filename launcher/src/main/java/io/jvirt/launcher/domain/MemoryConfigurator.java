package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;

/**
 * Guest memory in bytes: {@code spec.domain.memory.guest}, falling back like KubeVirt's defaulting to
 * {@code resources.requests.memory}, then {@code resources.limits.memory}, then the hugepage size.
 *
 * <p>Not converted yet (a later issue): hugepages {@code <memoryBacking>}, {@code memory.maxGuest} hotplug
 * ({@code <maxMemory>}); both are ignored so such VMIs still start with plain memory.
 */
final class MemoryConfigurator implements DomainConfigurator {

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        domain.memoryBytes = guestMemoryBytes(vmi);
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
