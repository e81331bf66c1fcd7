package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The compute container's {@code resources} for a VMI (KubeVirt's {@code VMIResourcePredicates},
 * {@code renderresources.go}; reference §4.1), in KubeVirt's rule order:
 *
 * <ol>
 *   <li>Start from the VMI's {@code domain.resources}.</li>
 *   <li>No memory request: the memory limit, else {@code memory.guest} (or the hugepage size) × 100 /
 *       {@code memoryOvercommit}.</li>
 *   <li>Dedicated CPUs: requests = limits = vCPUs (+ supplemental IOThreads, + 1 or 2 for an isolated emulator
 *       thread), memory limit = memory request: Guaranteed QoS. Otherwise the CPU request (if the VMI sets none)
 *       is (vCPUs + supplemental IOThreads) / {@code cpuAllocationRatio}.</li>
 *   <li>Hugepages: {@code hugepages-<size>} request = limit = the memory request (the guest size if smaller);
 *       memory request/limit become the overhead (+ any request above the guest size). Otherwise the overhead
 *       is added to the memory request (unless {@code overcommitGuestOverhead}) and to an existing limit.</li>
 *   <li>Device-plugin resources, request = limit = 1 per device: GPU/host-device {@code deviceName}s,
 *       {@code devices.kubevirt.io/sev}, {@code tdx}, {@code pr-helper}.</li>
 *   <li>Always, in limits only (Kubernetes defaults extended-resource requests to limits):
 *       {@code devices.kubevirt.io/kvm} (unless {@code useEmulation}), {@code tun} (pod interface),
 *       {@code vhost-net} (a virtio NIC without emulation), {@code vhost-vsock} (autoattachVSOCK); and 50M of
 *       {@code ephemeral-storage} request.</li>
 * </ol>
 *
 * Not reproduced: automatic CPU/memory limits from namespace ResourceQuotas and label selectors, SR-IOV network
 * resource names (they need the NetworkAttachmentDefinitions), DRA claims.
 */
public final class PodResources {
    public static final String KVM = "devices.kubevirt.io/kvm";
    public static final String TUN = "devices.kubevirt.io/tun";
    public static final String VHOST_NET = "devices.kubevirt.io/vhost-net";
    public static final String VHOST_VSOCK = "devices.kubevirt.io/vhost-vsock";
    public static final String SEV = "devices.kubevirt.io/sev";
    public static final String TDX = "devices.kubevirt.io/tdx";
    public static final String PR_HELPER = "devices.kubevirt.io/pr-helper";
    public static final Quantity EPHEMERAL_STORAGE = Quantity.parse("50M");

    private PodResources() {
    }

    /**
     * @param vmi           the (defaulted) VirtualMachineInstance
     * @param overheadBytes {@link MemoryOverhead#of}
     * @return {@code {"requests": {...}, "limits": {...}}} with canonical quantity strings
     */
    public static ObjectNode compute(JsonNode vmi, ClusterConfig config, long overheadBytes) {
        JsonNode spec = vmi.path("spec");
        JsonNode domain = spec.path("domain");
        Map<String, Quantity> req = copy(domain.path("resources").path("requests"));
        Map<String, Quantity> lim = copy(domain.path("resources").path("limits"));
        Quantity overhead = Quantity.ofBytes(overheadBytes);

        // 1. memory request
        Optional<Quantity> guest = Tree.quantity(domain, "memory", "guest");
        if (!req.containsKey("memory")) {
            if (lim.containsKey("memory")) {
                req.put("memory", lim.get("memory"));
            } else {
                Optional<Quantity> base = guest.or(() -> Hardware.hasHugepages(spec) ? Hardware.hugepageSize(spec)
                        : Optional.empty());
                base.ifPresent(b -> req.put("memory", Quantity.of(
                        BigDecimal.valueOf(b.value() * 100 / config.memoryOvercommit()), b.format())));
            }
        }

        // 2. CPU
        long extra = Hardware.supplementalIoThreads(spec);
        JsonNode cpu = domain.path("cpu");
        if (Hardware.dedicated(spec)) {
            long vcpus = Hardware.vcpus(cpu);
            long base = vcpus != 0 ? vcpus : Optional.ofNullable(lim.get("cpu")).or(() -> Optional.ofNullable(
                    req.get("cpu"))).map(Quantity::value).orElse(1L);
            long emulator = 0;
            if (Tree.bool(cpu.path("isolateEmulatorThread"))) {
                boolean evenParity = Tree.has(vmi, "metadata", "annotations", ClusterConfig.EVEN_PARITY_ANNOTATION);
                emulator = evenParity && (base + extra) % 2 == 0 ? 2 : 1;
            }
            Quantity cpus = Quantity.ofUnits(base + extra + emulator);
            req.put("cpu", cpus);
            lim.put("cpu", cpus);
            if (req.containsKey("memory")) {
                lim.put("memory", req.get("memory"));
            }
        } else if (!req.containsKey("cpu")) {
            long vcpus = Hardware.vcpusForSizing(spec) + extra;
            req.put("cpu", Quantity.ofMillis(vcpus * 1000 / config.cpuAllocationRatio()));
        }

        // 3. hugepages or overhead
        Optional<Quantity> pageSize = Hardware.hasHugepages(spec) ? Hardware.hugepageSize(spec) : Optional.empty();
        if (pageSize.isPresent()) {
            String ps = Tree.text(spec, "domain", "memory", "hugepages", "pageSize");
            Quantity memReq = req.getOrDefault("memory", Quantity.ZERO);
            Quantity huge = guest.isPresent() && memReq.value() > guest.get().value() ? guest.get() : memReq;
            req.put("hugepages-" + ps, huge);
            lim.put("hugepages-" + ps, huge);
            Quantity reqDiff = Quantity.ofBytes(0);
            Quantity limDiff = Quantity.ofBytes(0);
            if (guest.isPresent()) {
                if (memReq.value() > guest.get().value()) {
                    reqDiff = reqDiff.plus(memReq).minus(guest.get());
                }
                Quantity memLim = lim.getOrDefault("memory", Quantity.ZERO);
                if (memLim.value() > guest.get().value()) {
                    limDiff = limDiff.plus(memLim).minus(guest.get());
                }
            }
            req.put("memory", reqDiff.plus(overhead));
            if (lim.containsKey("memory")) {
                lim.put("memory", limDiff.plus(overhead));
            }
        } else {
            Quantity memReq = req.getOrDefault("memory", Quantity.ofBytes(0));
            if (!Tree.bool(domain.path("resources").path("overcommitGuestOverhead"))) {
                memReq = memReq.plus(overhead);
            }
            req.put("memory", memReq);
            if (lim.containsKey("memory")) {
                lim.put("memory", lim.get("memory").plus(overhead));
            }
        }

        // 5. device-plugin resources
        JsonNode devices = domain.path("devices");
        for (String kind : new String[] {"gpus", "hostDevices"}) {
            for (JsonNode d : Tree.list(devices, kind)) {
                String name = Tree.text(d, "deviceName");
                if (!name.isEmpty()) {
                    addOne(req, name);
                    addOne(lim, name);
                }
            }
        }
        JsonNode ls = domain.path("launchSecurity");
        if (Tree.has(ls, "sev") || Tree.has(ls, "snp")) {
            addOne(req, SEV);
            addOne(lim, SEV);
        }
        if (Tree.has(ls, "tdx")) {
            addOne(req, TDX);
            addOne(lim, TDX);
        }
        boolean reservation = false;
        for (JsonNode d : Tree.list(devices, "disks")) {
            reservation |= Tree.bool(d.path("lun").path("reservation"));
        }
        if (reservation) {
            addOne(req, PR_HELPER);
            addOne(lim, PR_HELPER);
        }

        // 6. always-required devices and scratch space
        JsonNode auto = devices.path("autoattachPodInterface");
        boolean podIface = !Tree.has(auto) || auto.asBoolean(true);
        if (podIface || !Tree.list(devices, "interfaces").isEmpty()) {
            lim.put(TUN, Quantity.ofUnits(1));
        }
        boolean virtioNic = false;
        for (JsonNode i : Tree.list(devices, "interfaces")) {
            String model = Tree.text(i, "model");
            virtioNic |= model.isEmpty() || model.equals("virtio");
        }
        if (virtioNic && !config.useEmulation()) {
            lim.put(VHOST_NET, Quantity.ofUnits(1));
        }
        if (!config.useEmulation()) {
            lim.put(KVM, Quantity.ofUnits(1));
        }
        if (Tree.bool(devices.path("autoattachVSOCK"))) {
            lim.put(VHOST_VSOCK, Quantity.ofUnits(1));
        }
        req.merge("ephemeral-storage", EPHEMERAL_STORAGE, Quantity::plus);

        ObjectNode out = Tree.F.objectNode();
        write(out.putObject("requests"), req);
        write(out.putObject("limits"), lim);
        return out;
    }

    private static Map<String, Quantity> copy(JsonNode list) {
        Map<String, Quantity> m = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = list.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Quantity.of(e.getValue()).ifPresent(q -> m.put(e.getKey(), q));
        }
        return m;
    }

    private static void addOne(Map<String, Quantity> m, String name) {
        m.merge(name, Quantity.ofUnits(1), Quantity::plus);
    }

    private static void write(ObjectNode target, Map<String, Quantity> m) {
        for (String first : new String[] {"cpu", "memory"}) {
            if (m.containsKey(first)) {
                target.put(first, m.get(first).toString());
            }
        }
        m.forEach((k, v) -> {
            if (!k.equals("cpu") && !k.equals("memory")) {
                target.put(k, v.toString());
            }
        });
    }
}
