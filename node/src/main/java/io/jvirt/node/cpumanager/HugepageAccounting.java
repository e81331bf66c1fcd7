package io.jvirt.node.cpumanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.node.topology.HugepageCount;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.NumaNode;
import io.jvirt.placement.Outcome;
import io.jvirt.placement.Request;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Hugepages handed to guests, per pod, host NUMA node and page size — the part of the kubelet's memory manager
 * jvirt needs. Allocations come from the placement {@link Outcome.Allocation#hugepagesByNode()} and are checked
 * against the pages the host reserved per node; they are kept in {@code DATA/hugepages_state} (a jvirt file:
 * {@code {"entries":{"POD-UID":{"pageSize":"2Mi","pagesByNode":{"0":2048}}},"checksum":N}}, the checksum being
 * FNV-1a 32 of the compact {@code entries} JSON) so a restarted node agent still knows what its running guests
 * hold.
 *
 * <p>What may still be promised also depends on pages used by processes jvirt does not know about: sysfs
 * {@code free_hugepages} counts them. {@link #effectiveUsed} therefore takes, per node and size, the larger of
 * jvirt's accounted pages and the pages sysfs says are in use, and {@link #promisable} caps a node's pages at
 * {@code free + accounted}. (Pages of a guest that has not faulted its memory in yet are accounted but still
 * free in sysfs; pages of a running guest are both — so neither figure alone is right, and the larger one never
 * over-promises except when foreign use and not-yet-faulted guests coincide.) Thread-safe.
 */
public final class HugepageAccounting {
    public static final String STATE_FILE = "hugepages_state";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One pod's hugepages: page size ("2Mi", "1Gi") and pages per host NUMA node. */
    public record Entry(String pageSize, Map<Integer, Long> pagesByNode) {
        public Entry {
            pagesByNode = Collections.unmodifiableMap(new TreeMap<>(pagesByNode));
        }
    }

    private final Path stateFile;
    private final Map<Integer, Map<String, Long>> totals = new TreeMap<>();
    private TreeMap<String, Entry> entries = new TreeMap<>();

    private HugepageAccounting(Path stateFile, HostTopology topology) {
        this.stateFile = stateFile;
        for (NumaNode n : topology.nodes()) {
            totals.put(n.id(), n.hugepagesTotal());
        }
    }

    /** Opens (or creates) {@code dataDir/hugepages_state}; refuses a corrupted file or one naming unknown pools. */
    public static HugepageAccounting open(Path dataDir, HostTopology topology) throws IOException {
        HugepageAccounting a = new HugepageAccounting(dataDir.resolve(STATE_FILE), topology);
        a.restore();
        return a;
    }

    /** Accounting that is not persisted (tests, or a node agent without a data directory). */
    public static HugepageAccounting inMemory(HostTopology topology) {
        return new HugepageAccounting(null, topology);
    }

    private void restore() throws IOException {
        String text;
        try {
            text = Files.readString(stateFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            store(entries);
            return;
        }
        String fix = "; drain this node and delete \"" + stateFile + "\" before restarting the jvirt node agent";
        TreeMap<String, Entry> restored = new TreeMap<>();
        try {
            JsonNode root = JSON.readTree(text);
            JsonNode e = root.path("entries");
            long ck = root.path("checksum").asLong(-1);
            if (!e.isObject() || ck != CpuManagerCheckpoint.fnv32a(JSON.writeValueAsBytes(e))) {
                throw new IOException("hugepage state \"" + stateFile + "\" is corrupted" + fix);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> pod = it.next();
                Map<Integer, Long> pages = new TreeMap<>();
                pod.getValue().path("pagesByNode").fields()
                        .forEachRemaining(p -> pages.put(Integer.parseInt(p.getKey()), p.getValue().asLong()));
                restored.put(pod.getKey(), new Entry(pod.getValue().path("pageSize").asText(), pages));
            }
        } catch (IOException | NumberFormatException ex) {
            throw new IOException(ex.getMessage().contains(fix) ? ex.getMessage()
                    : "hugepage state \"" + stateFile + "\" is unreadable: " + ex.getMessage() + fix);
        }
        TreeMap<String, Entry> checked = new TreeMap<>();
        for (Map.Entry<String, Entry> e : restored.entrySet()) {
            try {
                check(checked, e.getValue());
            } catch (IllegalStateException ex) {
                throw new IOException("hugepage state \"" + stateFile + "\" does not fit this host: pod "
                        + e.getKey() + ": " + ex.getMessage() + fix);
            }
            checked.put(e.getKey(), e.getValue());
        }
        entries = checked;
    }

    /** Records the hugepages of a placement, if the request uses hugepages. */
    public void allocate(String podUid, Request request, Outcome.Allocation allocation) {
        if (request.hugepageSize() != null && !allocation.hugepagesByNode().isEmpty()) {
            allocate(podUid, request.hugepageSize(), allocation.hugepagesByNode());
        }
    }

    /**
     * Records {@code pagesByNode} pages of {@code pageSize} for a pod. The same allocation again is a no-op.
     *
     * @throws IllegalStateException if a node has no such pool or not enough pages left, or the pod already
     *                               holds different hugepages
     * @throws UncheckedIOException  if the state file cannot be written (nothing changes then)
     */
    public synchronized void allocate(String podUid, String pageSize, Map<Integer, Long> pagesByNode) {
        Entry entry = new Entry(pageSize, pagesByNode);
        Entry had = entries.get(podUid);
        if (had != null) {
            if (had.equals(entry)) {
                return;
            }
            throw new IllegalStateException("pod " + podUid + " already holds hugepages " + had + "; release it first");
        }
        check(entries, entry);
        TreeMap<String, Entry> next = new TreeMap<>(entries);
        next.put(podUid, entry);
        commit(next);
    }

    private void check(Map<String, Entry> current, Entry entry) {
        Map<Integer, Map<String, Long>> used = sum(current);
        for (Map.Entry<Integer, Long> p : entry.pagesByNode().entrySet()) {
            int node = p.getKey();
            long want = p.getValue();
            Long total = totals.getOrDefault(node, Map.of()).get(entry.pageSize());
            if (want < 0) {
                throw new IllegalStateException("NUMA node " + node + ": negative page count " + want);
            }
            if (total == null) {
                throw new IllegalStateException("NUMA node " + node + " has no hugepages-" + entry.pageSize()
                        + " pool");
            }
            long left = total - used.getOrDefault(node, Map.of()).getOrDefault(entry.pageSize(), 0L);
            if (want > left) {
                throw new IllegalStateException("NUMA node " + node + ": " + want + " hugepages-" + entry.pageSize()
                        + " requested, " + left + " of " + total + " left");
            }
        }
    }

    /** Forgets a pod's hugepages; returns what it held (empty if nothing). */
    public synchronized Map<Integer, Long> release(String podUid) {
        Entry had = entries.get(podUid);
        if (had == null) {
            return Map.of();
        }
        TreeMap<String, Entry> next = new TreeMap<>(entries);
        next.remove(podUid);
        commit(next);
        return had.pagesByNode();
    }

    /** Releases every pod not in {@code livePodUids}; returns the UIDs released. */
    public synchronized Set<String> retainOnly(Collection<String> livePodUids) {
        TreeSet<String> stale = new TreeSet<>(entries.keySet());
        stale.removeAll(livePodUids);
        if (!stale.isEmpty()) {
            TreeMap<String, Entry> next = new TreeMap<>(entries);
            stale.forEach(next::remove);
            commit(next);
        }
        return Collections.unmodifiableSet(stale);
    }

    /** Pages accounted to jvirt's pods: node → size → pages. */
    public synchronized Map<Integer, Map<String, Long>> used() {
        return sum(entries);
    }

    /** pod UID → its hugepages. */
    public synchronized Map<String, Entry> entries() {
        return Collections.unmodifiableMap(new TreeMap<>(entries));
    }

    /**
     * Pages the placement must treat as taken: per node and size, the larger of the accounted pages and the
     * pages sysfs reports in use ({@code nr_hugepages - free_hugepages}).
     */
    public synchronized Map<Integer, Map<String, Long>> effectiveUsed(
            Map<Integer, Map<String, HugepageCount>> observed) {
        Map<Integer, Map<String, Long>> out = sum(entries);
        observed.forEach((node, sizes) -> sizes.forEach((size, count) -> out.computeIfAbsent(node, k -> new TreeMap<>())
                .merge(size, count.inUse(), Math::max)));
        return freeze(out);
    }

    /** {@code cpuUsage} (from the CPU manager) with {@link #effectiveUsed} hugepages: what the fitter needs. */
    public HostUsage usage(HostUsage cpuUsage, Map<Integer, Map<String, HugepageCount>> observed) {
        return new HostUsage(cpuUsage.exclusiveCpus(), effectiveUsed(observed));
    }

    /**
     * Pages that may be promised to pods in total (allocated ones included), per node and size:
     * {@code min(nr_hugepages, free_hugepages + accounted)} — pages other processes hold are never promised.
     */
    public synchronized Map<Integer, Map<String, Long>> promisable(Map<Integer, Map<String, HugepageCount>> observed) {
        Map<Integer, Map<String, Long>> ours = sum(entries);
        Map<Integer, Map<String, Long>> out = new TreeMap<>();
        observed.forEach((node, sizes) -> sizes.forEach((size, c) -> {
            long mine = ours.getOrDefault(node, Map.of()).getOrDefault(size, 0L);
            out.computeIfAbsent(node, k -> new TreeMap<>()).put(size, Math.min(c.total(), c.free() + mine));
        }));
        return freeze(out);
    }

    private static Map<Integer, Map<String, Long>> sum(Map<String, Entry> entries) {
        Map<Integer, Map<String, Long>> out = new TreeMap<>();
        for (Entry e : entries.values()) {
            e.pagesByNode().forEach((node, pages) -> out.computeIfAbsent(node, k -> new TreeMap<>())
                    .merge(e.pageSize(), pages, Long::sum));
        }
        return out;
    }

    private static Map<Integer, Map<String, Long>> freeze(Map<Integer, Map<String, Long>> m) {
        Map<Integer, Map<String, Long>> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, Collections.unmodifiableMap(new TreeMap<>(v))));
        return Collections.unmodifiableMap(out);
    }

    private void commit(TreeMap<String, Entry> next) {
        try {
            store(next);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile, e);
        }
        entries = next;
    }

    private void store(TreeMap<String, Entry> e) throws IOException {
        if (stateFile == null) {
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        ObjectNode en = root.putObject("entries");
        e.forEach((pod, entry) -> {
            ObjectNode p = en.putObject(pod);
            p.put("pageSize", entry.pageSize());
            ObjectNode byNode = p.putObject("pagesByNode");
            entry.pagesByNode().forEach((node, pages) -> byNode.put(Integer.toString(node), pages));
        });
        root.put("checksum", CpuManagerCheckpoint.fnv32a(JSON.writeValueAsBytes(en)));
        AtomicFile.write(stateFile, JSON.writeValueAsBytes(root));
    }
}
