package io.jvirt.node.cpumanager;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.controller.placement.PlacementCodec;
import io.jvirt.node.topology.SysfsTopology;
import io.jvirt.placement.Fitter;
import io.jvirt.placement.HostTopology;
import io.jvirt.placement.HostUsage;
import io.jvirt.placement.Outcome;
import io.jvirt.placement.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The node's CPU manager and topology manager in one place (the kubelet's part in embedded mode): admits launcher
 * pods that need exclusive CPUs, NUMA cells or hugepages by running the fitter over this host's topology and what is
 * taken, records the result in the kubelet-format {@code cpu_manager_state} and the hugepage accounting, and
 * releases it when the pod goes. Admission is serialized, so two pods can never be given the same CPU or page.
 */
public final class NodePlacement {
    private static final Logger LOG = LoggerFactory.getLogger(NodePlacement.class);

    private final CpuManagerOptions options;
    private final HostTopology topology;
    private final Path sysRoot;
    private final StaticCpuManager cpus;
    private final HugepageAccounting hugepages;
    private final ReentrantLock lock = new ReentrantLock();
    /** VMI uid → its allocation, for the domain conversion (the state file keeps only CPU sets per pod). */
    private final Map<String, Outcome.Allocation> byVmi = new ConcurrentHashMap<>();

    private NodePlacement(CpuManagerOptions options, HostTopology topology, Path sysRoot, StaticCpuManager cpus,
                          HugepageAccounting hugepages) {
        this.options = options;
        this.topology = topology;
        this.sysRoot = sysRoot;
        this.cpus = cpus;
        this.hugepages = hugepages;
    }

    /** Reads the topology and restores the state files; refuses a state written under another policy. */
    public static NodePlacement open(Path dataDir, Path sysRoot, CpuManagerOptions options) throws IOException {
        HostTopology topo = SysfsTopology.read(sysRoot, options.reservedCpus());
        StaticCpuManager cpus = StaticCpuManager.open(dataDir, options, topo);
        HugepageAccounting huge = HugepageAccounting.open(dataDir, topo);
        HugetlbfsCheck check = HugetlbfsCheck.read();
        check.problems().forEach(p -> LOG.info("hugepages: {}", p));
        return new NodePlacement(options, topo, sysRoot, cpus, huge);
    }

    public CpuManagerOptions options() {
        return options;
    }

    public HostTopology topology() {
        return topology;
    }

    /** The node's resources, labels and capacity as the Node should show them. */
    public NodeResources resources(boolean cpuManagerGate, long ephemeralStorage) {
        return new NodeResources(topology, SysfsTopology.hugepages(sysRoot), options, cpuManagerGate)
                .accountedHugepages(hugepages.used())
                .ephemeralStorage(ephemeralStorage);
    }

    private HostUsage usageLocked() {
        return hugepages.usage(cpus.usage(), SysfsTopology.hugepages(sysRoot));
    }

    public HostUsage usage() {
        lock.lock();
        try {
            return usageLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Admits a launcher pod: fits the request and records the allocation (idempotent for a pod already admitted).
     * A rejection is returned as it came from the fitter.
     */
    public Outcome admit(String podUid, String vmiUid, Request request) {
        lock.lock();
        try {
            Outcome.Allocation existing = byVmi.get(vmiUid);
            if (existing != null && !cpus.cpusOf(podUid, StaticCpuManager.COMPUTE_CONTAINER).isEmpty()) {
                return existing;
            }
            Outcome out = Fitter.fit(topology, usageLocked(), request);
            if (out instanceof Outcome.Allocation a) {
                cpus.allocate(podUid, StaticCpuManager.COMPUTE_CONTAINER, a);
                hugepages.allocate(podUid, request, a);
                byVmi.put(vmiUid, a);
                LOG.info("pod {}: exclusive CPUs {} ({})", podUid, cpus.cpusOf(podUid,
                        StaticCpuManager.COMPUTE_CONTAINER), a.explanation());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    public Optional<Outcome.Allocation> allocationOf(String vmiUid) {
        return Optional.ofNullable(byVmi.get(vmiUid));
    }

    public void release(String podUid, String vmiUid) {
        lock.lock();
        try {
            var freed = cpus.release(podUid);
            hugepages.release(podUid);
            if (vmiUid != null) {
                byVmi.remove(vmiUid);
            }
            if (!freed.isEmpty()) {
                LOG.info("pod {}: released CPUs {}", podUid, freed);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Forgets allocations of pods that no longer exist (after a restart). */
    public void retainOnly(Collection<String> livePodUids) {
        lock.lock();
        try {
            cpus.retainOnly(livePodUids);
            hugepages.retainOnly(livePodUids);
        } finally {
            lock.unlock();
        }
    }

    /** CPUs not given exclusively to anyone: where shared guests and non-isolated emulator threads run. */
    public List<Integer> sharedPool() {
        return List.copyOf(cpus.sharedPool());
    }

    public ObjectNode topologyAnnotation() {
        ObjectNode t = PlacementCodec.topology(topology);
        t.put("fullPcpusOnly", options.fullPcpusOnly());
        return t;
    }

    public ObjectNode usageAnnotation() {
        return PlacementCodec.usage(usage());
    }
}
