package io.jvirt.controller.placement;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.kubevirt.Quantity;
import io.jvirt.placement.Request;

import java.util.Optional;

/** The placement request of a VMI (pure): what its spec asks of the host's CPUs, NUMA nodes and hugepages. */
public final class PlacementRequests {
    private PlacementRequests() {
    }

    /** Empty when the VMI needs nothing placed (shared CPUs, ordinary memory). */
    public static Optional<Request> of(JsonNode vmi, boolean fullPcpusOnly) {
        JsonNode domain = vmi.path("spec").path("domain");
        JsonNode cpu = domain.path("cpu");
        boolean dedicated = cpu.path("dedicatedCpuPlacement").asBoolean(false);
        String pageSize = domain.path("memory").path("hugepages").path("pageSize").asText(null);
        if (!dedicated && pageSize == null) {
            return Optional.empty();
        }
        int sockets = Math.max(1, cpu.path("sockets").asInt(0));
        int cores = Math.max(1, cpu.path("cores").asInt(0));
        int threads = Math.max(1, cpu.path("threads").asInt(0));
        int vcpus = sockets * cores * threads;
        if (!cpu.has("sockets") && !cpu.has("cores") && !cpu.has("threads")) {
            // KubeVirt: no topology → vCPUs from the CPU request/limit
            JsonNode res = domain.path("resources");
            String q = res.path("limits").path("cpu").asText(res.path("requests").path("cpu").asText("1"));
            vcpus = (int) Math.max(1, Quantity.parse(q).value());
        }
        String mem = domain.path("memory").path("guest").asText(
                domain.path("resources").path("requests").path("memory").asText(
                        domain.path("resources").path("limits").path("memory").asText("0")));
        long memory = Quantity.parse(mem).bytes();
        return Optional.of(new Request(vcpus, threads, dedicated, cpu.path("isolateEmulatorThread").asBoolean(false),
                cpu.path("numa").has("guestMappingPassthrough"), pageSize, memory, fullPcpusOnly));
    }
}
