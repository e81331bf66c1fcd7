package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.placement.Outcome;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Applies the node's placement of a dedicated-CPU VMI ({@link ConverterContext#placement()}, the fitter's
 * {@link Outcome.Allocation}) as KubeVirt's {@code converter/vcpu} does with the pod's cpuset (reference §5.2–5.5):
 *
 * <pre>{@code
 * <iothreads>N</iothreads>
 * <cputune>
 *   <vcpupin vcpu='0' cpuset='1'/> ...            one host CPU per vCPU, in vCPU order
 *   <emulatorpin cpuset='...'/>                     isolated CPU(s), else the node's shared pool
 *   <iothreadpin iothread='1' cpuset='...'/> ...
 *   <vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>   realtime only
 * </cputune>
 * <numatune>                                        NUMA passthrough only
 *   <memory mode='strict' nodeset='<host nodes>'/>
 *   <memnode cellid='0' mode='strict' nodeset='<host node of cell 0>'/> ...
 * </numatune>
 * <features><kvm><hint-dedicated state='on'/></kvm><pmu state='off'/> (realtime)</features>
 * <cpu>... <numa><cell id='0' cpus='0-1' memory='...' unit='b'><distances><sibling id value/>...</distances></cell>
 * </numa></cpu>
 * <memoryBacking><hugepages><page size unit='b' nodeset='<cell>'/>...</hugepages><nosharepages/> (realtime)
 *   <source type='memfd'/><allocation mode='immediate'/></memoryBacking>
 * }</pre>
 *
 * <p>Emulator thread: with {@code isolateEmulatorThread} it gets the allocation's {@code emulatorCpus}; otherwise
 * the node's shared CPU pool ({@link ConverterContext#sharedCpus()}), so it never runs on another guest's exclusive
 * CPUs (KubeVirt needs no pin there: the launcher pod's cgroup cpuset holds only its exclusive CPUs; jvirt's QEMU runs
 * in no such cgroup). Without a shared pool in the context it shares the vCPUs' CPUs, as in KubeVirt.
 *
 * <p>IOThreads (count from {@link IoThreads}): pinned only for dedicated VMIs, as in KubeVirt. With an isolated
 * emulator thread they share its CPU(s) (KubeVirt pins only IOThread 1 there; the others would float over the whole
 * host here, so all are pinned); otherwise one vCPU CPU each round-robin when there are at least as many IOThreads as
 * vCPUs, else the vCPU CPUs split into balanced consecutive groups. The {@code supplementalPool} threads get extra
 * CPUs in KubeVirt; the {@link Outcome.Allocation} has none for them, so they run on the shared pool (else the
 * emulator's CPUs, else the vCPUs').
 *
 * <p>Guest CPU topology: the VMI's sockets/cores/threads are kept ({@link CpuConfigurator}); the fitter places each
 * guest core's threads on sibling host threads where it can. As in KubeVirt (issue #11749), a guest with
 * {@code threads > 1} on a host without SMT gets "sibling" vCPUs on separate host cores, and a guest with
 * {@code threads: 1} may get two vCPUs on one host core's siblings (full-pcpus-only); the guest topology does not
 * mirror the host's.
 *
 * <p>NUMA passthrough ({@code cpu.numa.guestMappingPassthrough}, needs hugepages): one guest cell per allocation cell
 * (ids 0..n-1, host order kept by the fitter), each bound {@code strict} to its host node; cell memory as the fitter
 * reserved it (or, if it left it 0, the guest memory split evenly in whole pages, remainder pages to the first cells,
 * as KubeVirt); distances between guest cells are the host SLIT distances between their nodes. Realtime
 * ({@code cpu.realtime}, needs NUMA passthrough): {@code <pmu state='off'/>}, {@code <nosharepages/>} and a FIFO
 * priority 1 scheduler on the vCPUs in {@code realtime.mask} (default all) — KubeVirt now has virt-handler set that
 * priority on the vCPU threads; jvirt's libvirtd runs as root and applies it itself.
 *
 * <p>{@code hint-dedicated} only under KVM: TCG does not implement the CPUID bit (QEMU warns "TCG doesn't support
 * requested feature: CPUID.40000001H:EDX.kvm-hint-dedicated").
 *
 * <p>A VMI without dedicated CPUs gets no {@code <cputune>}. The node may still pass the fitter's allocation for it
 * (no pins; hugepages accounted per host node): its hugepage memory is then bound {@code strict} to those nodes
 * ({@code <numatune><memory mode='strict' nodeset/>}), so that the pages come from where the node accounted them
 * (KubeVirt has no per-node accounting and no such binding). An allocation with pins for such a VMI is refused.
 *
 * <p>A hugepage guest with memfd backing and no NUMA spec gets one synthetic NUMA cell holding all vCPUs and memory,
 * as KubeVirt's {@code cpu.go} adds.
 */
final class PlacementConfigurator implements DomainConfigurator {

    private static final String CPU = "spec.domain.cpu";
    private static final String DEDICATED = CPU + ".dedicatedCpuPlacement";
    private static final String NUMA = CPU + ".numa.guestMappingPassthrough";
    private static final Pattern CPU_MASK = Pattern.compile("\\^?[0-9]+(-[0-9]+)?(,\\^?[0-9]+(-[0-9]+)?)*");

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        JsonNode cpu = Json.object(vmi.domain(), "cpu", Vmi.DOMAIN);
        boolean dedicated = Json.bool(cpu, "dedicatedCpuPlacement", false, CPU);
        boolean isolate = Json.bool(cpu, "isolateEmulatorThread", false, CPU);
        JsonNode numa = Json.object(cpu, "numa", CPU);
        boolean passthrough = Json.has(numa, "guestMappingPassthrough");
        JsonNode realtime = Json.object(cpu, "realtime", CPU);
        boolean rt = Json.isSet(realtime);
        Long pageBytes = MemoryConfigurator.hugepageBytes(vmi);
        IoThreads io = IoThreads.of(vmi);
        domain.iothreads = io.count();

        // KubeVirt's admission rules (reference §3.2-3.3), repeated so that a VMI that bypassed them fails clearly.
        if (isolate && !dedicated) {
            throw ConversionException.at(CPU + ".isolateEmulatorThread",
                    "IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement");
        }
        if (passthrough && !dedicated) {
            throw ConversionException.at(NUMA, "spec.domain.cpu.dedicatedCpuPlacement must be set to true when NUMA "
                    + "topology strategy is set in spec.domain.cpu.numa.guestMappingPassthrough");
        }
        if (passthrough && pageBytes == null) {
            throw ConversionException.at(NUMA, "spec.domain.memory.hugepages must be requested when NUMA topology "
                    + "strategy is set in spec.domain.cpu.numa.guestMappingPassthrough");
        }
        if (rt && !dedicated) {
            throw ConversionException.at(DEDICATED, "spec.domain.cpu.dedicatedCpuPlacement must be set to true when "
                    + "spec.domain.cpu.realtime is used");
        }
        if (rt && !passthrough) {
            throw ConversionException.at(NUMA, "spec.domain.cpu.numa.guestMappingPassthrough must be defined when "
                    + "spec.domain.cpu.realtime is used");
        }

        if (!dedicated) {
            Outcome.Allocation shared = ctx.placement();
            if (shared != null && (!shared.vcpuPins().isEmpty() || !shared.emulatorCpus().isEmpty())) {
                throw ConversionException.at(DEDICATED, "the node's placement pins CPUs for a VMI without "
                        + "dedicated CPUs");
            }
            if (shared != null && pageBytes != null && !shared.hugepagesByNode().isEmpty()) {
                // hold the guest to the nodes whose hugepages the node accounted to it
                XmlElement numatune = new XmlElement("numatune");
                numatune.child("memory").attr("mode", "strict")
                        .attr("nodeset", CpuSets.format(shared.hugepagesByNode().keySet()));
                domain.numatune = numatune;
            }
            syntheticNuma(numa, domain);
            return;
        }
        Outcome.Allocation placement = ctx.placement();
        if (placement == null) {
            throw ConversionException.at(DEDICATED, "dedicated CPUs are requested but the node has not allocated "
                    + "any: the node must place the VMI (allocate its exclusive CPUs) before its domain is defined");
        }
        List<Integer> pins = checkedPins(placement, domain.vcpus);
        Set<Integer> exclusive = new HashSet<>(pins);
        exclusive.addAll(placement.emulatorCpus());
        List<Integer> shared = new ArrayList<>();
        for (int c : ctx.sharedCpus()) {
            if (!exclusive.contains(c)) {
                shared.add(c);   // a pool listing this guest's own CPUs would defeat the point of the pin
            }
        }
        if (isolate && placement.emulatorCpus().isEmpty()) {
            throw ConversionException.at(CPU + ".isolateEmulatorThread", "the node's placement has no CPU for the "
                    + "isolated emulator thread");
        }

        XmlElement tune = new XmlElement("cputune");
        for (int vcpu = 0; vcpu < pins.size(); vcpu++) {
            tune.child("vcpupin").attr("vcpu", vcpu).attr("cpuset", pins.get(vcpu));
        }
        String emulator = !placement.emulatorCpus().isEmpty() ? CpuSets.format(placement.emulatorCpus())
                : !shared.isEmpty() ? CpuSets.format(shared) : CpuSets.format(pins);
        tune.child("emulatorpin").attr("cpuset", emulator);
        pinIoThreads(io, pins, placement, shared, tune);
        if (rt) {
            String mask = Json.text(realtime, "mask", CPU + ".realtime");
            if (mask == null) {
                mask = pins.size() == 1 ? "0" : "0-" + (pins.size() - 1);
            } else if (!CPU_MASK.matcher(mask).matches()) {
                throw ConversionException.at(CPU + ".realtime.mask", "'" + mask + "' is not a vCPU list such as 0-3,^2");
            }
            tune.child("vcpusched").attr("vcpus", mask).attr("scheduler", "fifo").attr("priority", 1);
        }
        domain.cputune = tune;

        if (ctx.kvm()) {
            XmlElement kvm = domain.features.get("kvm");
            if (kvm == null) {
                kvm = domain.feature("kvm");
            }
            kvm.child("hint-dedicated").attr("state", "on");
        }
        if (rt) {
            domain.feature("pmu").attr("state", "off");
        }

        if (passthrough) {
            numaPassthrough(vmi, ctx, domain, placement, pageBytes, rt);
        } else {
            syntheticNuma(numa, domain);
        }
    }

    /** The vCPU pins: one distinct, non-negative host CPU per vCPU. */
    private static List<Integer> checkedPins(Outcome.Allocation placement, int vcpus) {
        List<Integer> pins = placement.vcpuPins();
        if (pins.size() != vcpus) {
            throw ConversionException.at(DEDICATED, "the node's placement pins " + pins.size() + " vCPU(s) but the "
                    + "guest has " + vcpus + " (sockets × cores × threads)");
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < pins.size(); i++) {
            int cpu = pins.get(i);
            if (cpu < 0 || !seen.add(cpu)) {
                throw ConversionException.at(DEDICATED, "the node's placement pins vCPU " + i + " to host CPU " + cpu
                        + ", which is " + (cpu < 0 ? "not a CPU" : "already pinned to another vCPU"));
            }
        }
        for (int cpu : placement.emulatorCpus()) {
            if (cpu < 0 || seen.contains(cpu)) {
                throw ConversionException.at(DEDICATED, "the node's placement gives the emulator thread host CPU "
                        + cpu + ", which is " + (cpu < 0 ? "not a CPU" : "a vCPU's"));
            }
        }
        return pins;
    }

    private static void pinIoThreads(IoThreads io, List<Integer> pins, Outcome.Allocation placement,
                                     List<Integer> shared, XmlElement tune) {
        int count = io.count();
        if (count == 0) {
            return;
        }
        List<Integer> vcpuCpus = new ArrayList<>(new TreeSet<>(pins));   // the cpuset as the kernel lists it
        int vcpus = vcpuCpus.size();
        if (io.supplemental() > 0) {
            String set = !shared.isEmpty() ? CpuSets.format(shared)
                    : !placement.emulatorCpus().isEmpty() ? CpuSets.format(placement.emulatorCpus())
                    : CpuSets.format(vcpuCpus);
            for (int thread = 1; thread <= count; thread++) {
                tune.child("iothreadpin").attr("iothread", thread).attr("cpuset", set);
            }
        } else if (!placement.emulatorCpus().isEmpty()) {
            String set = CpuSets.format(placement.emulatorCpus());
            for (int thread = 1; thread <= count; thread++) {
                tune.child("iothreadpin").attr("iothread", thread).attr("cpuset", set);
            }
        } else if (count >= vcpus) {
            for (int thread = 1; thread <= count; thread++) {
                tune.child("iothreadpin").attr("iothread", thread).attr("cpuset", vcpuCpus.get(thread % vcpus));
            }
        } else {
            // balanced consecutive groups: 3 IOThreads over 8 CPUs → 3, 3, 2
            int from = 0;
            for (int thread = 1; thread <= count; thread++) {
                int size = vcpus / count + (thread <= vcpus % count ? 1 : 0);
                tune.child("iothreadpin").attr("iothread", thread)
                        .attr("cpuset", CpuSets.format(vcpuCpus.subList(from, from + size)));
                from += size;
            }
        }
    }

    private static void numaPassthrough(Vmi vmi, ConverterContext ctx, DomainSpec domain,
                                        Outcome.Allocation placement, long pageBytes, boolean realtime) {
        List<Outcome.GuestCell> cells = new ArrayList<>(placement.cells());
        if (cells.isEmpty()) {
            throw ConversionException.at(NUMA, "the node's placement has no guest NUMA cells");
        }
        cells.sort(Comparator.comparingInt(Outcome.GuestCell::id));
        int vcpus = domain.vcpus;
        Set<Integer> hostNodes = new LinkedHashSet<>();
        boolean[] covered = new boolean[vcpus];
        for (int i = 0; i < cells.size(); i++) {
            Outcome.GuestCell cell = cells.get(i);
            if (cell.id() != i) {
                throw ConversionException.at(NUMA, "the node's placement numbers its guest NUMA cells "
                        + cells.stream().map(Outcome.GuestCell::id).toList() + ", not 0.." + (cells.size() - 1));
            }
            if (cell.hostNode() < 0 || !hostNodes.add(cell.hostNode())) {
                throw ConversionException.at(NUMA, "the node's placement puts guest cell " + i + " on host node "
                        + cell.hostNode() + (cell.hostNode() < 0 ? "" : ", which another cell uses"));
            }
            if (cell.vcpus().isEmpty()) {
                throw ConversionException.at(NUMA, "the node's placement gives guest cell " + i + " no vCPU");
            }
            for (int v : cell.vcpus()) {
                if (v < 0 || v >= vcpus || covered[v]) {
                    throw ConversionException.at(NUMA, "the node's placement puts vCPU " + v + " in guest cell " + i
                            + (v < 0 || v >= vcpus ? ", but the guest has " + vcpus + " vCPUs"
                            : ", but it is in another cell too"));
                }
                covered[v] = true;
            }
        }
        for (int v = 0; v < vcpus; v++) {
            if (!covered[v]) {
                throw ConversionException.at(NUMA, "the node's placement puts vCPU " + v + " in no guest NUMA cell");
            }
        }
        long[] memory = cellMemory(cells, domain.memoryBytes, pageBytes);
        Map<Integer, Long> reserved = placement.hugepagesByNode();
        if (!reserved.isEmpty()) {
            for (int i = 0; i < cells.size(); i++) {
                int node = cells.get(i).hostNode();
                long pages = reserved.getOrDefault(node, 0L);
                if (pages < memory[i] / pageBytes) {
                    throw ConversionException.at(NUMA, "guest cell " + i + " needs " + memory[i] / pageBytes
                            + " hugepages on host node " + node + " but the node's placement reserved " + pages);
                }
            }
        }

        XmlElement numatune = new XmlElement("numatune");
        numatune.child("memory").attr("mode", "strict").attr("nodeset", CpuSets.format(hostNodes));
        for (Outcome.GuestCell cell : cells) {
            numatune.child("memnode").attr("cellid", cell.id()).attr("mode", "strict")
                    .attr("nodeset", cell.hostNode());
        }
        domain.numatune = numatune;

        List<List<Integer>> distances = distances(cells, ctx.numaDistances());
        XmlElement numa = domain.cpu.child("numa");
        for (int i = 0; i < cells.size(); i++) {
            Outcome.GuestCell cell = cells.get(i);
            XmlElement c = numa.child("cell").attr("id", cell.id()).attr("cpus", CpuSets.format(cell.vcpus()))
                    .attr("memory", memory[i]).attr("unit", "b");
            if (distances != null) {
                XmlElement d = c.child("distances");
                for (int j = 0; j < cells.size(); j++) {
                    d.child("sibling").attr("id", j).attr("value", distances.get(i).get(j));
                }
            }
        }
        domain.memoryBacking = MemoryConfigurator.backing(vmi, pageBytes, cells.size(), realtime);
    }

    /**
     * Memory per guest cell: as the fitter reserved it when every cell has some (it must add up to the guest memory,
     * in whole pages), else KubeVirt's even split in whole pages with the remainder pages on the first cells.
     */
    private static long[] cellMemory(List<Outcome.GuestCell> cells, long total, long pageBytes) {
        int n = cells.size();
        long[] memory = new long[n];
        if (cells.stream().allMatch(c -> c.memoryBytes() > 0)) {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                memory[i] = cells.get(i).memoryBytes();
                if (memory[i] % pageBytes != 0) {
                    throw ConversionException.at(NUMA, "the node's placement gives guest cell " + i + " "
                            + memory[i] + " bytes, not a whole number of " + pageBytes + "-byte hugepages");
                }
                sum += memory[i];
            }
            if (sum != total) {
                throw ConversionException.at(NUMA, "the node's placement gives the guest cells " + sum
                        + " bytes in all, but the guest has " + total);
            }
            return memory;
        }
        if (total < n * pageBytes) {
            throw ConversionException.at(NUMA, "not enough memory requested to allocate at least one hugepage per "
                    + "numa node: " + total + " < " + n * pageBytes);
        }
        long pages = total / pageBytes;
        for (int i = 0; i < n; i++) {
            memory[i] = (pages / n + (i < pages % n ? 1 : 0)) * pageBytes;
        }
        return memory;
    }

    /**
     * The SLIT distance matrix between guest cells, from the host distances of their nodes; null (no
     * {@code <distances>}) for a single cell or when the context lacks a row or the values are out of libvirt's range.
     */
    private static List<List<Integer>> distances(List<Outcome.GuestCell> cells, Map<Integer, List<Integer>> host) {
        if (cells.size() < 2 || host.isEmpty()) {
            return null;
        }
        List<List<Integer>> out = new ArrayList<>();
        for (Outcome.GuestCell from : cells) {
            List<Integer> row = host.get(from.hostNode());
            List<Integer> mapped = new ArrayList<>();
            for (Outcome.GuestCell to : cells) {
                if (row == null || to.hostNode() >= row.size()) {
                    return null;
                }
                int value = row.get(to.hostNode());
                if (value < 10 || value > 255) {
                    return null;
                }
                mapped.add(value);
            }
            out.add(mapped);
        }
        return out;
    }

    /** KubeVirt's single synthetic NUMA cell for memfd-backed guests that have no NUMA spec. */
    private static void syntheticNuma(JsonNode numaSpec, DomainSpec domain) {
        XmlElement backing = domain.memoryBacking;
        XmlElement source = backing == null ? null : backing.find("source");
        if (source == null || !"memfd".equals(source.attr("type")) || Json.isSet(numaSpec)) {
            return;
        }
        domain.cpu.child("numa").child("cell").attr("id", 0).attr("cpus", domain.vcpus == 1 ? "0" : "0-" + (domain.vcpus - 1))
                .attr("memory", domain.memoryBytes).attr("unit", "b");
    }
}
