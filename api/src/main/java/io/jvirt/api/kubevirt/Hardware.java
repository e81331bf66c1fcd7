package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/** Derived facts about a VMI spec that several rules share (KubeVirt's {@code pkg/util/hardware} and friends). */
final class Hardware {
    /** {@code memory.HotplugBlockAlignmentBytes}: 2 MiB. */
    static final long HOTPLUG_ALIGNMENT = 0x200000L;
    /** {@code memory.Hotplug1GHugePagesBlockAlignmentBytes}: 1 GiB. */
    static final long HOTPLUG_ALIGNMENT_1G = 0x40000000L;
    /** {@code requiredMinGuestMemory}: 1 GiB. */
    static final long HOTPLUG_MIN_GUEST = 0x40000000L;

    private Hardware() {
    }

    /**
     * {@code hardware.GetNumberOfVCPUs}: the product of the non-zero values among cores, sockets and threads; 0 when
     * none is set.
     */
    static long vcpus(JsonNode cpu) {
        long cores = Tree.uint(cpu, "cores");
        long sockets = Tree.uint(cpu, "sockets");
        long threads = Tree.uint(cpu, "threads");
        long v = cores;
        if (sockets != 0) {
            v = v == 0 ? sockets : v * sockets;
        }
        if (threads != 0) {
            v = v == 0 ? threads : v * threads;
        }
        return v;
    }

    /**
     * vCPUs for sizing: the topology, else limits.cpu, else requests.cpu (rounded up), at least 1 (the memory
     * overhead's and pod rendering's rule).
     */
    static long vcpusForSizing(JsonNode spec) {
        JsonNode domain = spec.path("domain");
        long v = Tree.has(domain, "cpu") ? vcpus(domain.path("cpu")) : 0;
        if (v == 0) {
            JsonNode res = domain.path("resources");
            Optional<Quantity> q = Tree.quantity(res, "limits", "cpu").or(() -> Tree.quantity(res, "requests", "cpu"));
            v = q.map(Quantity::value).orElse(0L);
        }
        return Math.max(1, v);
    }

    static boolean dedicated(JsonNode spec) {
        return Tree.bool(Tree.at(spec, "domain", "cpu", "dedicatedCpuPlacement"));
    }

    /** The supplemental IOThread pool size ({@code ioThreadsPolicy: supplementalPool}), else 0. */
    static long supplementalIoThreads(JsonNode spec) {
        JsonNode domain = spec.path("domain");
        if (!"supplementalPool".equals(Tree.text(domain, "ioThreadsPolicy"))) {
            return 0;
        }
        return Tree.uint(domain, "ioThreads", "supplementalPoolThreadCount");
    }

    static boolean hasHugepages(JsonNode spec) {
        return Tree.has(spec, "domain", "memory", "hugepages");
    }

    static Optional<Quantity> hugepageSize(JsonNode spec) {
        return Quantity.tryParse(Tree.text(spec, "domain", "memory", "hugepages", "pageSize"));
    }

    /** Any VFIO device: a GPU or host device with a device-plugin name, or an SR-IOV interface. */
    static boolean vfio(JsonNode spec) {
        JsonNode devices = Tree.at(spec, "domain", "devices");
        for (JsonNode g : Tree.list(devices, "gpus")) {
            if (!Tree.text(g, "deviceName").isEmpty()) {
                return true;
            }
        }
        for (JsonNode h : Tree.list(devices, "hostDevices")) {
            if (!Tree.text(h, "deviceName").isEmpty()) {
                return true;
            }
        }
        for (JsonNode i : Tree.list(devices, "interfaces")) {
            if (Tree.has(i, "sriov")) {
                return true;
            }
        }
        return false;
    }

    static boolean tpm(JsonNode spec) {
        JsonNode tpm = Tree.at(spec, "domain", "devices", "tpm");
        return Tree.has(tpm) && (!Tree.has(tpm, "enabled") || tpm.path("enabled").asBoolean(true));
    }

    static boolean sev(JsonNode spec) {
        JsonNode ls = Tree.at(spec, "domain", "launchSecurity");
        return Tree.has(ls, "sev") || Tree.has(ls, "snp");
    }

    static boolean graphics(JsonNode spec) {
        JsonNode g = Tree.at(spec, "domain", "devices", "autoattachGraphicsDevice");
        return !Tree.has(g) || g.asBoolean(true);
    }

    static boolean downwardMetricsVolume(JsonNode spec) {
        for (JsonNode v : Tree.list(spec, "volumes")) {
            if (Tree.has(v, "downwardMetrics")) {
                return true;
            }
        }
        return false;
    }

    static String arch(JsonNode spec, ClusterConfig config) {
        String a = Tree.text(spec, "architecture");
        return a.isEmpty() ? config.defaultArchitecture() : a;
    }

    /**
     * KubeVirt's {@code memory.ValidateLiveUpdateMemory}: why memory hotplug cannot work with this spec and
     * {@code maxGuest}, or empty when it can.
     */
    static Optional<String> liveUpdateMemoryProblem(JsonNode spec, Quantity maxGuest) {
        JsonNode domain = spec.path("domain");
        if (Tree.has(domain, "cpu", "realtime")) {
            return Optional.of("Memory hotplug is not compatible with realtime VMs");
        }
        if (Tree.has(domain, "cpu", "numa", "guestMappingPassthrough")) {
            return Optional.of("Memory hotplug is not compatible with guest mapping passthrough");
        }
        if (Tree.has(domain, "launchSecurity")) {
            return Optional.of("Memory hotplug is not compatible with encrypted VMs");
        }
        long alignment = "1Gi".equals(Tree.text(domain, "memory", "hugepages", "pageSize"))
                ? HOTPLUG_ALIGNMENT_1G : HOTPLUG_ALIGNMENT;
        Optional<Quantity> guest = Tree.quantity(domain, "memory", "guest");
        if (guest.isEmpty()) {
            return Optional.of("Guest memory must be configured when memory hotplug is enabled");
        }
        if (maxGuest == null) {
            return Optional.of("Max guest memory must be configured when memory hotplug is enabled");
        }
        if (guest.get().compareTo(maxGuest) > 0) {
            return Optional.of("Guest memory is greater than the configured maxGuest memory");
        }
        if (guest.get().value() % alignment != 0) {
            return Optional.of("Guest memory must be " + Quantity.ofBytes(alignment) + " aligned");
        }
        if (maxGuest.value() % alignment != 0) {
            return Optional.of("MaxGuest must be " + Quantity.ofBytes(alignment) + " aligned");
        }
        if (!"amd64".equals(Tree.text(spec, "architecture"))) {
            return Optional.of("Memory hotplug is only available for x86_64 VMs");
        }
        if (guest.get().value() < HOTPLUG_MIN_GUEST) {
            return Optional.of("Memory hotplug is only available for VMs with at least 1Gi of guest memory");
        }
        return Optional.empty();
    }
}
