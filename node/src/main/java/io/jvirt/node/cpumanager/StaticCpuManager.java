package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.CpuList;
import io.jvirt.placement.Cpu;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.Outcome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * jvirt's stand-in for the kubelet's CPU manager (static or none policy) in embedded mode. It owns
 * {@code DATA/cpu_manager_state} in the kubelet's checkpoint format ({@link CpuManagerCheckpoint}) and keeps:
 * <ul>
 * <li>exclusive CPU sets per pod UID and container ({@code entries}) — the launcher's {@code compute} container
 *     gets the vCPU pins plus the emulator thread's CPUs of the placement {@link Outcome.Allocation};</li>
 * <li>the shared pool ({@code defaultCpuSet}): every online CPU not held exclusively. Reserved CPUs
 *     ({@code --reserved-cpus}) are in it and are never handed out exclusively. Everything that is not a
 *     Guaranteed pod with integer CPUs (every non-dedicated launcher) runs on the shared pool.</li>
 * </ul>
 * Under the {@code none} policy the file says {@code {"policyName":"none","defaultCpuSet":""}} and nothing is ever
 * exclusive. Opening a state file written under the other policy, one whose checksum does not match, or one that
 * disagrees with the host (a reserved CPU held exclusively, CPUs missing or unknown) is refused with the kubelet's
 * message, naming the file to delete after draining the node. Every change is written atomically and durably
 * ({@link AtomicFile}) before it takes effect. Thread-safe.
 */
public final class StaticCpuManager {
    public static final String STATE_FILE = "cpu_manager_state";
    /** The launcher container whose cpuset holds the guest's vCPU and emulator threads. */
    public static final String COMPUTE_CONTAINER = "compute";

    /** The state file cannot be used; the message says why and what to do. */
    public static final class CheckpointException extends IOException {
        public CheckpointException(String message) {
            super(message);
        }
    }

    private final CpuManagerOptions options;
    private final Path stateFile;
    private final SortedSet<Integer> allCpus;
    private final Map<Integer, Set<Integer>> siblings = new HashMap<>();
    private TreeMap<String, TreeMap<String, SortedSet<Integer>>> assignments = new TreeMap<>();

    private StaticCpuManager(Path dataDir, CpuManagerOptions options, HostTopology topology) {
        this.options = options;
        this.stateFile = dataDir.resolve(STATE_FILE);
        TreeSet<Integer> all = new TreeSet<>();
        Map<List<Integer>, Set<Integer>> cores = new HashMap<>();
        for (Cpu c : topology.cpus()) {
            all.add(c.id());
            cores.computeIfAbsent(List.of(c.socket(), c.core()), k -> new TreeSet<>()).add(c.id());
        }
        for (Cpu c : topology.cpus()) {
            siblings.put(c.id(), cores.get(List.of(c.socket(), c.core())));
        }
        this.allCpus = Collections.unmodifiableSortedSet(all);
        if (!all.containsAll(options.reservedCpus())) {
            throw new IllegalArgumentException("reserved-cpus \"" + CpuList.format(options.reservedCpus())
                    + "\" are not all CPUs of this host (\"" + CpuList.format(all) + "\")");
        }
        if (!topology.reservedCpus().equals(options.reservedCpus())) {
            throw new IllegalArgumentException("the topology was read with reserved CPUs \""
                    + CpuList.format(topology.reservedCpus()) + "\" but the CPU manager options reserve \""
                    + CpuList.format(options.reservedCpus()) + "\"");
        }
    }

    /**
     * Opens (or creates) {@code dataDir/cpu_manager_state} for this policy and host.
     *
     * @throws CheckpointException if the existing state file cannot be used (other policy, corrupted, or
     *                             inconsistent with the host); the node must be drained and the file removed
     * @throws IOException         if the file cannot be read or written
     */
    public static StaticCpuManager open(Path dataDir, CpuManagerOptions options, HostTopology topology)
            throws IOException {
        StaticCpuManager m = new StaticCpuManager(dataDir, options, topology);
        m.restore();
        return m;
    }

    /** The policy recorded in a state file, if it exists and names one (KubeVirt's heartbeat reads it so). */
    public static Optional<String> recordedPolicy(Path stateFile) {
        try {
            String p = CpuManagerCheckpoint.parse(Files.readString(stateFile)).policyName();
            return p.isEmpty() ? Optional.empty() : Optional.of(p);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void restore() throws IOException {
        String text;
        try {
            text = Files.readString(stateFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            store(new TreeMap<>());
            return;
        }
        CpuManagerCheckpoint cp;
        try {
            cp = CpuManagerCheckpoint.parse(text);
        } catch (IOException e) {
            throw refused(e.getMessage());
        }
        if (!cp.checksumValid()) {
            throw refused("checkpoint is corrupted");
        }
        if (!options.policy().equals(cp.policyName())) {
            throw refused("configured policy \"" + options.policy() + "\" differs from state checkpoint policy \""
                    + cp.policyName() + "\"");
        }
        SortedSet<Integer> def;
        TreeMap<String, TreeMap<String, SortedSet<Integer>>> restored = new TreeMap<>();
        try {
            def = CpuList.parse(cp.defaultCpuSet());
            for (Map.Entry<String, Map<String, String>> pod : cp.entries().entrySet()) {
                TreeMap<String, SortedSet<Integer>> cs = new TreeMap<>();
                for (Map.Entry<String, String> c : pod.getValue().entrySet()) {
                    cs.put(c.getKey(), CpuList.parse(c.getValue()));
                }
                restored.put(pod.getKey(), cs);
            }
        } catch (IllegalArgumentException e) {
            throw refused("checkpoint is corrupted: " + e.getMessage());
        }
        if (!options.isStatic()) {
            if (!def.isEmpty() || !restored.isEmpty()) {
                throw refused("the none policy keeps no CPU sets, but the checkpoint has defaultCpuSet \""
                        + cp.defaultCpuSet() + "\" and " + restored.size() + " entries");
            }
            return;
        }
        if (def.isEmpty()) {
            if (!restored.isEmpty()) {
                throw refused("default cpuset cannot be empty");
            }
            store(new TreeMap<>());
            return;
        }
        validate(def, restored);
        assignments = restored;
    }

    /** The static policy's {@code validateState}, with the kubelet's messages. */
    private void validate(SortedSet<Integer> def, Map<String, TreeMap<String, SortedSet<Integer>>> restored)
            throws CheckpointException {
        if (!def.containsAll(options.reservedCpus())) {
            throw refused("not all reserved cpus: \"" + CpuList.format(options.reservedCpus())
                    + "\" are present in defaultCpuSet: \"" + CpuList.format(def) + "\"");
        }
        TreeSet<Integer> known = new TreeSet<>(def);
        Map<Integer, String> owner = new HashMap<>();
        for (Map.Entry<String, TreeMap<String, SortedSet<Integer>>> pod : restored.entrySet()) {
            for (Map.Entry<String, SortedSet<Integer>> c : pod.getValue().entrySet()) {
                String who = "pod: " + pod.getKey() + ", container: " + c.getKey();
                TreeSet<Integer> overlap = new TreeSet<>(c.getValue());
                overlap.retainAll(def);
                if (!overlap.isEmpty()) {
                    throw refused(who + " cpuset: \"" + CpuList.format(c.getValue())
                            + "\" overlaps with default cpuset \"" + CpuList.format(def) + "\"");
                }
                for (int cpu : c.getValue()) {
                    String prev = owner.put(cpu, who);
                    if (prev != null) {
                        throw refused(who + " cpuset: \"" + CpuList.format(c.getValue()) + "\" overlaps with "
                                + prev + " on CPU " + cpu);
                    }
                }
                known.addAll(c.getValue());
            }
        }
        if (!known.equals(allCpus)) {
            throw refused("current set of available CPUs \"" + CpuList.format(allCpus)
                    + "\" doesn't match with CPUs in state \"" + CpuList.format(known) + "\"");
        }
    }

    private CheckpointException refused(String why) {
        return new CheckpointException("could not restore state from checkpoint: " + why
                + ", please drain this node and delete the CPU manager checkpoint file \"" + stateFile
                + "\" before restarting the jvirt node agent");
    }

    /**
     * Gives {@code container} of pod {@code podUid} the allocation's CPUs (vCPU pins and emulator CPUs)
     * exclusively and returns them. An allocation without dedicated CPUs returns the empty set (the container
     * runs on the shared pool). Allocating the same CPUs again to the same container is a no-op.
     *
     * @throws IllegalStateException if the policy is not static, a CPU is reserved, unknown or taken, or
     *                               {@code full-pcpus-only} is set and the CPUs do not fill whole cores
     * @throws UncheckedIOException  if the state file cannot be written (nothing changes then)
     */
    public synchronized SortedSet<Integer> allocate(String podUid, String container, Outcome.Allocation allocation) {
        TreeSet<Integer> cpus = new TreeSet<>(allocation.vcpuPins());
        cpus.addAll(allocation.emulatorCpus());
        if (cpus.isEmpty()) {
            return Collections.emptySortedSet();
        }
        if (!options.isStatic()) {
            throw new IllegalStateException("CPU manager policy is \"" + options.policy() + "\": no exclusive CPUs "
                    + "on this node (run the node agent with --cpu-manager-policy=static and --reserved-cpus)");
        }
        SortedSet<Integer> existing = assignments.getOrDefault(podUid, new TreeMap<>()).get(container);
        if (existing != null) {
            if (existing.equals(cpus)) {
                return Collections.unmodifiableSortedSet(new TreeSet<>(existing));
            }
            throw new IllegalStateException("pod " + podUid + " container " + container + " already holds CPUs \""
                    + CpuList.format(existing) + "\"; release it before allocating \"" + CpuList.format(cpus) + "\"");
        }
        TreeSet<Integer> unknown = new TreeSet<>(cpus);
        unknown.removeAll(allCpus);
        if (!unknown.isEmpty()) {
            throw new IllegalStateException("CPUs \"" + CpuList.format(unknown) + "\" are not online CPUs of this "
                    + "host (\"" + CpuList.format(allCpus) + "\")");
        }
        TreeSet<Integer> reserved = new TreeSet<>(cpus);
        reserved.retainAll(options.reservedCpus());
        if (!reserved.isEmpty()) {
            throw new IllegalStateException("CPUs \"" + CpuList.format(reserved) + "\" are reserved (reserved-cpus \""
                    + CpuList.format(options.reservedCpus()) + "\") and stay in the shared pool");
        }
        for (Map.Entry<String, TreeMap<String, SortedSet<Integer>>> pod : assignments.entrySet()) {
            for (Map.Entry<String, SortedSet<Integer>> c : pod.getValue().entrySet()) {
                TreeSet<Integer> taken = new TreeSet<>(cpus);
                taken.retainAll(c.getValue());
                if (!taken.isEmpty()) {
                    throw new IllegalStateException("CPUs \"" + CpuList.format(taken) + "\" are already assigned "
                            + "to pod " + pod.getKey() + " container " + c.getKey());
                }
            }
        }
        if (options.fullPcpusOnly()) {
            checkWholeCores(cpus);
        }
        TreeMap<String, TreeMap<String, SortedSet<Integer>>> next = copy(assignments);
        next.computeIfAbsent(podUid, k -> new TreeMap<>())
                .put(container, Collections.unmodifiableSortedSet(new TreeSet<>(cpus)));
        commit(next);
        return Collections.unmodifiableSortedSet(cpus);
    }

    /** The kubelet's SMT alignment check for {@code full-pcpus-only}. */
    private void checkWholeCores(SortedSet<Integer> cpus) {
        int perCore = siblings.values().stream().mapToInt(Set::size).max().orElse(1);
        if (cpus.size() % perCore != 0) {
            throw new IllegalStateException("SMT Alignment Error: requested " + cpus.size()
                    + " cpus not multiple cpus per core = " + perCore);
        }
        TreeSet<Integer> missing = new TreeSet<>();
        for (int c : cpus) {
            for (int s : siblings.get(c)) {
                if (!cpus.contains(s)) {
                    missing.add(s);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("SMT Alignment Error: CPUs \"" + CpuList.format(cpus) + "\" are not whole "
                    + "physical cores (full-pcpus-only): sibling CPUs \"" + CpuList.format(missing) + "\" missing");
        }
    }

    /** Returns a pod's exclusive CPUs to the shared pool; returns them (empty if it had none). */
    public synchronized SortedSet<Integer> release(String podUid) {
        TreeMap<String, SortedSet<Integer>> had = assignments.get(podUid);
        if (had == null) {
            return Collections.emptySortedSet();
        }
        TreeMap<String, TreeMap<String, SortedSet<Integer>>> next = copy(assignments);
        next.remove(podUid);
        commit(next);
        TreeSet<Integer> freed = new TreeSet<>();
        had.values().forEach(freed::addAll);
        return Collections.unmodifiableSortedSet(freed);
    }

    /**
     * Releases every pod not in {@code livePodUids} (the kubelet's {@code removeStaleState}); call at start-up
     * with the UIDs of the launcher pods bound to this node. Returns the UIDs released.
     */
    public synchronized Set<String> retainOnly(Collection<String> livePodUids) {
        TreeSet<String> stale = new TreeSet<>(assignments.keySet());
        stale.removeAll(livePodUids);
        if (!stale.isEmpty()) {
            TreeMap<String, TreeMap<String, SortedSet<Integer>>> next = copy(assignments);
            stale.forEach(next::remove);
            commit(next);
        }
        return Collections.unmodifiableSet(stale);
    }

    /** CPUs held exclusively (no hugepages: see {@code HugepageAccounting#usage}). */
    public synchronized HostUsage usage() {
        return new HostUsage(exclusiveCpus(), Map.of());
    }

    /** Every CPU held exclusively by some container. */
    public synchronized SortedSet<Integer> exclusiveCpus() {
        TreeSet<Integer> out = new TreeSet<>();
        assignments.values().forEach(cs -> cs.values().forEach(out::addAll));
        return Collections.unmodifiableSortedSet(out);
    }

    /** The shared pool ({@code defaultCpuSet}): every CPU not held exclusively, reserved ones included. */
    public synchronized SortedSet<Integer> sharedPool() {
        TreeSet<Integer> out = new TreeSet<>(allCpus);
        out.removeAll(exclusiveCpus());
        return Collections.unmodifiableSortedSet(out);
    }

    /** The CPUs a container may run on: its exclusive set, else the shared pool. */
    public synchronized SortedSet<Integer> cpusOf(String podUid, String container) {
        SortedSet<Integer> own = assignments.getOrDefault(podUid, new TreeMap<>()).get(container);
        return own != null ? own : sharedPool();
    }

    /** pod UID → container → exclusive CPUs. */
    public synchronized Map<String, Map<String, SortedSet<Integer>>> assignments() {
        Map<String, Map<String, SortedSet<Integer>>> out = new TreeMap<>();
        assignments.forEach((pod, cs) -> out.put(pod, Collections.unmodifiableMap(new TreeMap<>(cs))));
        return Collections.unmodifiableMap(out);
    }

    public CpuManagerOptions options() {
        return options;
    }

    public Path stateFile() {
        return stateFile;
    }

    /** The checkpoint as it is on disk now. */
    public synchronized CpuManagerCheckpoint checkpoint() {
        return checkpointOf(assignments);
    }

    private CpuManagerCheckpoint checkpointOf(Map<String, TreeMap<String, SortedSet<Integer>>> a) {
        if (!options.isStatic()) {
            return CpuManagerCheckpoint.of(options.policy(), "", Map.of());
        }
        TreeSet<Integer> def = new TreeSet<>(allCpus);
        Map<String, Map<String, String>> entries = new TreeMap<>();
        a.forEach((pod, cs) -> {
            Map<String, String> m = new TreeMap<>();
            cs.forEach((c, set) -> {
                m.put(c, CpuList.format(set));
                def.removeAll(set);
            });
            entries.put(pod, m);
        });
        return CpuManagerCheckpoint.of(options.policy(), CpuList.format(def), entries);
    }

    private void commit(TreeMap<String, TreeMap<String, SortedSet<Integer>>> next) {
        try {
            store(next);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile, e);
        }
        assignments = next;
    }

    private void store(TreeMap<String, TreeMap<String, SortedSet<Integer>>> a) throws IOException {
        AtomicFile.write(stateFile, checkpointOf(a).toJson().getBytes(StandardCharsets.UTF_8));
    }

    private static TreeMap<String, TreeMap<String, SortedSet<Integer>>> copy(
            TreeMap<String, TreeMap<String, SortedSet<Integer>>> a) {
        TreeMap<String, TreeMap<String, SortedSet<Integer>>> out = new TreeMap<>();
        a.forEach((k, v) -> out.put(k, new TreeMap<>(v)));
        return out;
    }

    @Override
    public synchronized String toString() {
        List<String> parts = new ArrayList<>();
        assignments.forEach((pod, cs) -> cs.forEach((c, set) -> parts.add(pod + "/" + c + "=" + CpuList.format(set))));
        return "StaticCpuManager[" + options.policy() + ", shared " + CpuList.format(sharedPool()) + ", " + parts + "]";
    }
}
