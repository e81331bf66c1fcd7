package io.jvirt.node.cpumanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.node.topology.HugepageCount;
import io.jvirt.node.topology.SysfsTopology;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.NumaNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the Node advertises about CPUs, memory, hugepages and KubeVirt's devices, computed as the kubelet does
 * so {@code kubectl describe node} reads as it does on a KubeVirt cluster:
 * <ul>
 * <li>{@code cpu}: capacity = online CPUs; allocatable = capacity − {@code --reserved-cpus};</li>
 * <li>{@code memory}: capacity = MemTotal; allocatable = capacity − reserved memory (default the kubelet's
 *     100Mi {@code evictionHard memory.available}) − every hugepage pool's capacity;</li>
 * <li>{@code hugepages-<size>} for every size the kernel supports: capacity = pages reserved × size;
 *     allocatable = per NUMA node {@code min(nr_hugepages, free_hugepages + pages of jvirt's own pods)} × size,
 *     so pages taken by other processes are never promised — and 0 when a {@link HugetlbfsCheck} says no
 *     hugetlbfs of that size is mounted (libvirt could not map them);</li>
 * <li>{@code devices.kubevirt.io/kvm|tun|vhost-net}: 1k each, as KubeVirt's device plugins advertise;</li>
 * <li>labels {@code kubevirt.io/cpumanager} and legacy {@code cpumanager}: {@code "true"} exactly when the static
 *     policy is configured and the CPUManager feature gate is on, else {@code "false"} (KubeVirt's heartbeat
 *     writes both, always; dedicated-CPU launchers select {@code kubevirt.io/cpumanager=true}).</li>
 * </ul>
 * {@link #allocated} sums the requests and limits of the pods on the node into kubectl's "Allocated resources"
 * table. Builder-style setters; not thread-safe (make one per status update).
 */
public final class NodeResources {
    public static final String CPUMANAGER_LABEL = "kubevirt.io/cpumanager";
    public static final String LEGACY_CPUMANAGER_LABEL = "cpumanager";
    /** The kubelet's default {@code evictionHard: memory.available: 100Mi}. */
    public static final long DEFAULT_MEMORY_RESERVED = 100L << 20;
    /** KubeVirt's device plugins' {@code --max-devices}. */
    public static final Map<String, Long> KUBEVIRT_DEVICES = Map.of("devices.kubevirt.io/kvm", 1000L,
            "devices.kubevirt.io/tun", 1000L, "devices.kubevirt.io/vhost-net", 1000L);

    private final HostTopology topology;
    private final Map<Integer, Map<String, HugepageCount>> hugepages;
    private final CpuManagerOptions options;
    private final boolean cpuManagerGate;
    private long memoryReserved = DEFAULT_MEMORY_RESERVED;
    private Map<Integer, Map<String, Long>> accounted = Map.of();
    private HugetlbfsCheck hugetlbfs;
    private Map<String, Long> devices = new TreeMap<>(KUBEVIRT_DEVICES);
    private long ephemeralStorage = -1;

    /**
     * @param hugepages      per node and size, total and free ({@link SysfsTopology#hugepages})
     * @param cpuManagerGate whether KubeVirt's CPUManager feature gate is on
     */
    public NodeResources(HostTopology topology, Map<Integer, Map<String, HugepageCount>> hugepages,
                         CpuManagerOptions options, boolean cpuManagerGate) {
        this.topology = topology;
        this.hugepages = hugepages;
        this.options = options;
        this.cpuManagerGate = cpuManagerGate;
    }

    /** Memory kept from pods besides hugepages: system-reserved + kube-reserved + eviction threshold. */
    public NodeResources memoryReserved(long bytes) {
        this.memoryReserved = bytes;
        return this;
    }

    /** Hugepages held by jvirt's pods ({@link HugepageAccounting#used()}): node → size → pages. */
    public NodeResources accountedHugepages(Map<Integer, Map<String, Long>> used) {
        this.accounted = used;
        return this;
    }

    /** Advertise a hugepage size only if a hugetlbfs of that size is mounted. */
    public NodeResources hugetlbfs(HugetlbfsCheck check) {
        this.hugetlbfs = check;
        return this;
    }

    /** Device plugin resources (default: kvm, tun, vhost-net at 1000 each). */
    public NodeResources devices(Map<String, Long> devices) {
        this.devices = new TreeMap<>(devices);
        return this;
    }

    /** Include {@code ephemeral-storage} (capacity = allocatable = bytes). */
    public NodeResources ephemeralStorage(long bytes) {
        this.ephemeralStorage = bytes;
        return this;
    }

    /** The value of both CPU manager labels. */
    public boolean cpuManagerEnabled() {
        return options.isStatic() && cpuManagerGate;
    }

    /** {@code {"kubevirt.io/cpumanager": "true|false", "cpumanager": "true|false"}}, for metadata.labels. */
    public ObjectNode labels() {
        ObjectNode l = JsonNodeFactory.instance.objectNode();
        String v = Boolean.toString(cpuManagerEnabled());
        l.put(CPUMANAGER_LABEL, v);
        l.put(LEGACY_CPUMANAGER_LABEL, v);
        return l;
    }

    /** Capacity by resource name, exact values (cpu in cores, the rest in bytes or counts). */
    public Map<String, BigDecimal> capacityValues() {
        Map<String, BigDecimal> out = new TreeMap<>();
        out.put("cpu", BigDecimal.valueOf(topology.cpus().size()));
        out.put("memory", BigDecimal.valueOf(memTotal()));
        hugepageSizes().forEach(size -> out.put("hugepages-" + size,
                BigDecimal.valueOf(pages(size, false) * SysfsTopology.sizeBytes(size))));
        devices.forEach((k, v) -> out.put(k, BigDecimal.valueOf(v)));
        if (ephemeralStorage >= 0) {
            out.put("ephemeral-storage", BigDecimal.valueOf(ephemeralStorage));
        }
        return out;
    }

    /** Allocatable by resource name, exact values. */
    public Map<String, BigDecimal> allocatableValues() {
        Map<String, BigDecimal> out = capacityValues();
        out.put("cpu", BigDecimal.valueOf(Math.max(0, topology.cpus().size() - options.reservedCpus().size())));
        long hugeBytes = 0;
        for (String size : hugepageSizes()) {
            hugeBytes += pages(size, false) * SysfsTopology.sizeBytes(size);
            boolean usable = hugetlbfs == null || hugetlbfs.mounted(size);
            out.put("hugepages-" + size,
                    BigDecimal.valueOf(usable ? pages(size, true) * SysfsTopology.sizeBytes(size) : 0));
        }
        out.put("memory", BigDecimal.valueOf(Math.max(0, memTotal() - memoryReserved - hugeBytes)));
        return out;
    }

    /** {@code status.capacity} fragment, quantities as the kubelet formats them. */
    public ObjectNode capacity() {
        return quantities(capacityValues());
    }

    /** {@code status.allocatable} fragment. */
    public ObjectNode allocatable() {
        return quantities(allocatableValues());
    }

    /** {@code {"capacity": {...}, "allocatable": {...}}}, to merge into the Node's status. */
    public ObjectNode status() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.set("capacity", capacity());
        s.set("allocatable", allocatable());
        return s;
    }

    /** Why something is advertised lower than the host has, one line each. */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (String size : hugepageSizes()) {
            long total = pages(size, false);
            long promisable = pages(size, true);
            if (hugetlbfs != null && total > 0 && !hugetlbfs.mounted(size)) {
                out.add("hugepages-" + size + ": " + total + " pages reserved but no hugetlbfs mounted for them; "
                        + "advertising 0");
            } else if (promisable < total) {
                out.add("hugepages-" + size + ": " + (total - promisable) + " of " + total
                        + " pages are held by processes outside jvirt; advertising " + promisable);
            }
        }
        if (options.isStatic() && !cpuManagerGate) {
            out.add("CPU manager policy is static but the CPUManager feature gate is off: the node is labelled "
                    + CPUMANAGER_LABEL + "=false and receives no dedicated-CPU VMIs");
        }
        return out;
    }

    private long memTotal() {
        return topology.nodes().stream().mapToLong(NumaNode::memoryBytes).sum();
    }

    private TreeSet<String> hugepageSizes() {
        TreeSet<String> sizes = new TreeSet<>();
        hugepages.values().forEach(m -> sizes.addAll(m.keySet()));
        topology.nodes().forEach(n -> sizes.addAll(n.hugepagesTotal().keySet()));
        return sizes;
    }

    /** Pages of a size over all nodes: reserved, or promisable (never beyond free + ours per node). */
    private long pages(String size, boolean promisable) {
        long sum = 0;
        for (NumaNode n : topology.nodes()) {
            HugepageCount c = hugepages.getOrDefault(n.id(), Map.of()).get(size);
            long total = c != null ? c.total() : n.hugepagesTotal().getOrDefault(size, 0L);
            if (promisable && c != null) {
                long ours = accounted.getOrDefault(n.id(), Map.of()).getOrDefault(size, 0L);
                total = Math.min(total, c.free() + ours);
            }
            sum += total;
        }
        return sum;
    }

    static ObjectNode quantities(Map<String, BigDecimal> values) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        values.forEach((k, v) -> o.put(k, format(k, v)));
        return o;
    }

    static String format(String resource, BigDecimal v) {
        return resource.equals("memory") || resource.startsWith("hugepages-") || resource.equals("ephemeral-storage")
                ? Quantities.bytes(v) : Quantities.decimal(v);
    }

    /** The "Allocated resources" summary of these pods (non-terminated ones count) against this node. */
    public Allocated allocated(Collection<JsonNode> pods) {
        Map<String, BigDecimal> req = new TreeMap<>();
        Map<String, BigDecimal> lim = new TreeMap<>();
        for (JsonNode pod : pods) {
            String phase = pod.path("status").path("phase").asText("");
            if (phase.equals("Succeeded") || phase.equals("Failed")) {
                continue;
            }
            PodTotals t = podTotals(pod.path("spec"));
            t.requests.forEach((k, v) -> req.merge(k, v, BigDecimal::add));
            t.limits.forEach((k, v) -> lim.merge(k, v, BigDecimal::add));
        }
        return new Allocated(req, lim, allocatableValues());
    }

    private record PodTotals(Map<String, BigDecimal> requests, Map<String, BigDecimal> limits) {
    }

    /** The pod's effective requests and limits: max(sum of containers, largest init container) + overhead. */
    private static PodTotals podTotals(JsonNode spec) {
        Map<String, BigDecimal> req = new TreeMap<>();
        Map<String, BigDecimal> lim = new TreeMap<>();
        List<JsonNode> inits = new ArrayList<>();
        for (JsonNode c : spec.path("initContainers")) {
            if (c.path("restartPolicy").asText("").equals("Always")) {
                add(c, req, lim); // sidecars run alongside the containers
            } else {
                inits.add(c);
            }
        }
        for (JsonNode c : spec.path("containers")) {
            add(c, req, lim);
        }
        for (JsonNode c : inits) {
            Map<String, BigDecimal> r = new TreeMap<>();
            Map<String, BigDecimal> l = new TreeMap<>();
            add(c, r, l);
            r.forEach((k, v) -> req.merge(k, v, BigDecimal::max));
            l.forEach((k, v) -> lim.merge(k, v, BigDecimal::max));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("overhead").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> o = it.next();
            BigDecimal v = Quantities.parse(o.getValue().asText());
            req.merge(o.getKey(), v, BigDecimal::add);
            lim.computeIfPresent(o.getKey(), (k, x) -> x.add(v));
        }
        return new PodTotals(req, lim);
    }

    private static void add(JsonNode container, Map<String, BigDecimal> req, Map<String, BigDecimal> lim) {
        JsonNode r = container.path("resources");
        Map<String, BigDecimal> limits = new LinkedHashMap<>();
        r.path("limits").fields().forEachRemaining(e -> limits.put(e.getKey(), Quantities.parse(e.getValue().asText())));
        Map<String, BigDecimal> requests = new LinkedHashMap<>(limits); // requests default to limits
        r.path("requests").fields().forEachRemaining(e -> requests.put(e.getKey(),
                Quantities.parse(e.getValue().asText())));
        requests.forEach((k, v) -> req.merge(k, v, BigDecimal::add));
        limits.forEach((k, v) -> lim.merge(k, v, BigDecimal::add));
    }

    /**
     * Requests and limits summed over a node's pods, with the node's allocatable for percentages.
     */
    public record Allocated(Map<String, BigDecimal> requests, Map<String, BigDecimal> limits,
                            Map<String, BigDecimal> allocatable) {
        public Allocated {
            requests = Map.copyOf(requests);
            limits = Map.copyOf(limits);
            allocatable = Map.copyOf(allocatable);
        }

        /** The rows kubectl prints: cpu, memory, ephemeral-storage, hugepages-*, then extended resources. */
        public List<String> resources() {
            List<String> rows = new ArrayList<>(List.of("cpu", "memory", "ephemeral-storage"));
            TreeSet<String> huge = new TreeSet<>();
            TreeSet<String> ext = new TreeSet<>();
            for (String r : allocatable.keySet()) {
                if (r.startsWith("hugepages-")) {
                    huge.add(r);
                } else if (r.contains("/")) {
                    ext.add(r);
                }
            }
            rows.addAll(huge);
            rows.addAll(ext);
            return rows;
        }

        /** Whether kubectl shows a percentage for this resource (not for extended resources). */
        static boolean hasPercent(String r) {
            return !r.contains("/");
        }

        /** kubectl's integer percentage: truncated, of allocatable; 0 when allocatable is 0. */
        public long percent(Map<String, BigDecimal> of, String r) {
            BigDecimal a = allocatable.getOrDefault(r, BigDecimal.ZERO);
            BigDecimal v = of.getOrDefault(r, BigDecimal.ZERO);
            if (r.equals("cpu")) {
                a = a.movePointRight(3);
                v = v.movePointRight(3);
            }
            double alloc = a.setScale(0, java.math.RoundingMode.CEILING).doubleValue();
            double val = v.setScale(0, java.math.RoundingMode.CEILING).doubleValue();
            return alloc == 0 ? 0 : (long) (val / alloc * 100);
        }

        /** {@code {"cpu": {"requests": "6815m", "requestsPercent": 35, "limits": ..., "limitsPercent": ...}}}. */
        public ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            for (String r : resources()) {
                ObjectNode row = o.putObject(r);
                row.put("requests", format(r, requests.getOrDefault(r, BigDecimal.ZERO)));
                if (hasPercent(r)) {
                    row.put("requestsPercent", percent(requests, r));
                }
                row.put("limits", format(r, limits.getOrDefault(r, BigDecimal.ZERO)));
                if (hasPercent(r)) {
                    row.put("limitsPercent", percent(limits, r));
                }
            }
            return o;
        }

        /** The "Allocated resources:" block of {@code kubectl describe node}, column-aligned as kubectl does. */
        public String describe() {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"Resource", "Requests", "Limits"});
            rows.add(new String[] {"--------", "--------", "------"});
            for (String r : resources()) {
                String q = format(r, requests.getOrDefault(r, BigDecimal.ZERO));
                String l = format(r, limits.getOrDefault(r, BigDecimal.ZERO));
                if (hasPercent(r)) {
                    q += " (" + percent(requests, r) + "%)";
                    l += " (" + percent(limits, r) + "%)";
                }
                rows.add(new String[] {r, q, l});
            }
            int w0 = rows.stream().mapToInt(x -> x[0].length()).max().orElse(0) + 2;
            int w1 = rows.stream().mapToInt(x -> x[1].length()).max().orElse(0) + 2;
            StringBuilder sb = new StringBuilder("Allocated resources:\n"
                    + "  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
            for (String[] x : rows) {
                sb.append("  ").append(pad(x[0], w0)).append(pad(x[1], w1)).append(x[2]).append('\n');
            }
            return sb.toString();
        }

        private static String pad(String s, int w) {
            return s + " ".repeat(Math.max(0, w - s.length()));
        }
    }
}
