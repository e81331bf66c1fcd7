package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * KubeVirt's VMI defaulting ({@code pkg/defaults}, run by the mutating webhook on VMI create; reference §3.1).
 * Every function is idempotent: applying it to its own output changes nothing.
 *
 * <p>What is not reproduced: Hyper-V feature dependencies, presets, instance types and preferences, and
 * architecture specifics other than disk bus, watchdog, arm64 CPU model and firmware.
 */
public final class VmiDefaults {
    public static final String FINALIZER = "kubevirt.io/foregroundDeleteVirtualMachine";
    public static final String DEFAULT_CPU_MODEL = "host-model";
    public static final String HOST_PASSTHROUGH = "host-passthrough";
    /** {@code util.NonRootUID}: the runtime user KubeVirt records for non-root launchers. */
    public static final int NON_ROOT_UID = 107;
    /** Upper bound of vCPUs KubeVirt allows when it computes {@code maxSockets} itself. */
    static final long MAX_VCPUS = 512;

    private VmiDefaults() {
    }

    /**
     * The full VMI defaults ({@code SetDefaultVirtualMachineInstance}) on {@code owner}, a VirtualMachineInstance or
     * a VirtualMachine's {@code spec.template} (an object with {@code metadata} and {@code spec}). For a VMI
     * ({@code kind: VirtualMachineInstance}) it also sets {@code status.phase: Pending}, the
     * {@code kubevirt.io/foregroundDeleteVirtualMachine} finalizer, {@code status.memory},
     * {@code status.currentCPUTopology}, the runtime user, and, under {@code vmRolloutStrategy: LiveUpdate}, the
     * CPU and memory hotplug maxima ({@code cpu.maxSockets}, {@code memory.maxGuest}).
     *
     * @return problems that make defaulting impossible (KubeVirt answers them with a 400), usually empty
     */
    public static List<String> apply(ObjectNode owner, ClusterConfig config) {
        boolean vmi = "VirtualMachineInstance".equals(Tree.text(owner, "kind"));
        ObjectNode spec = Tree.obj(owner, "spec");
        List<String> problems = applySpec(spec, config);
        objectDefaults(spec);
        String arch = Tree.text(spec, "architecture");
        switch (arch) {
            case "arm64" -> arm64(spec);
            case "s390x" -> diskBus(spec, "virtio");
            default -> amd64(spec);
        }
        if (!"arm64".equals(arch)) {
            cpuModel(spec, config);
        }
        if (!vmi) {
            return problems;
        }
        ObjectNode status = Tree.obj(owner, "status");
        if (Tree.text(status, "phase").isEmpty()) {
            status.put("phase", "Pending");
        }
        ObjectNode meta = Tree.obj(owner, "metadata");
        ArrayNode finalizers = Tree.arr(meta, "finalizers");
        boolean hasFinalizer = false;
        for (JsonNode f : finalizers) {
            hasFinalizer |= FINALIZER.equals(f.asText());
        }
        if (!hasFinalizer) {
            finalizers.add(FINALIZER);
        }
        if (config.emulatorThreadCompleteToEvenParity() && config.enabled(FeatureGates.ALIGN_CPUS)) {
            ObjectNode ann = Tree.obj(meta, "annotations");
            if (!ann.has(ClusterConfig.EVEN_PARITY_ANNOTATION)) {
                ann.put(ClusterConfig.EVEN_PARITY_ANNOTATION, "");
            }
        }
        JsonNode guest = Tree.at(spec, "domain", "memory", "guest");
        if (Tree.has(guest)) {
            ObjectNode mem = Tree.obj(status, "memory");
            mem.set("guestAtBoot", guest.deepCopy());
            mem.set("guestCurrent", guest.deepCopy());
            mem.set("guestRequested", guest.deepCopy());
        }
        JsonNode cpu = Tree.at(spec, "domain", "cpu");
        if (Tree.has(cpu) && !Tree.has(status, "currentCPUTopology")) {
            ObjectNode topo = status.putObject("currentCPUTopology");
            Tree.putNumber(topo, "sockets", Tree.uint(cpu, "sockets"));
            Tree.putNumber(topo, "cores", Tree.uint(cpu, "cores"));
            Tree.putNumber(topo, "threads", Tree.uint(cpu, "threads"));
        }
        if (!config.enabled(FeatureGates.ROOT) && !Tree.has(status, "runtimeUser")) {
            status.put("runtimeUser", NON_ROOT_UID);
        }
        if (config.isLiveUpdate() && !"arm64".equals(arch)) {
            cpuHotplug(spec, config);
            memoryHotplug(spec, config);
        }
        return problems;
    }

    /**
     * The spec-level defaults ({@code SetDefaultVirtualMachineInstanceSpec}) that VM admission also applies to a
     * copy of the template before validating it: architecture, machine type, CPU requests, guest memory, CPU
     * topology, container-disk pull policy, eviction strategy, default pod network, a disk per volume.
     *
     * @return problems that make defaulting impossible, usually empty
     */
    public static List<String> applySpec(ObjectNode spec, ClusterConfig config) {
        List<String> problems = new ArrayList<>();
        if (Tree.text(spec, "architecture").isEmpty()) {
            spec.put("architecture", config.defaultArchitecture());
        }
        ObjectNode domain = Tree.obj(spec, "domain");
        ObjectNode machine = Tree.obj(domain, "machine");
        if (Tree.text(machine, "type").isEmpty()) {
            machine.put("type", config.machineType(Tree.text(spec, "architecture")));
        }
        resourceRequests(spec, config);
        guestMemory(spec);
        cpuTopology(spec);
        pullPolicies(spec);
        if (!Tree.has(spec, "evictionStrategy") && config.evictionStrategy() != null) {
            spec.put("evictionStrategy", config.evictionStrategy());
        }
        networkInterface(spec, config, problems);
        volumeDisks(spec);
        return problems;
    }

    /**
     * The VirtualMachine mutator ({@code SetVirtualMachineDefaults}): instance type and preference kinds, the
     * template's architecture and machine type. Nothing else of the template is defaulted on the VM itself.
     */
    public static void applyVm(ObjectNode vm, ClusterConfig config) {
        ObjectNode spec = Tree.obj(vm, "spec");
        if (spec.get("instancetype") instanceof ObjectNode it && Tree.text(it, "kind").isEmpty()) {
            it.put("kind", "virtualmachineclusterinstancetype");
        }
        if (spec.get("preference") instanceof ObjectNode p && Tree.text(p, "kind").isEmpty()) {
            p.put("kind", "virtualmachineclusterpreference");
        }
        if (!(spec.get("template") instanceof ObjectNode template)) {
            return; // validation reports the missing template
        }
        ObjectNode tspec = Tree.obj(template, "spec");
        if (Tree.text(tspec, "architecture").isEmpty()) {
            tspec.put("architecture", config.defaultArchitecture());
        }
        ObjectNode machine = Tree.obj(Tree.obj(tspec, "domain"), "machine");
        if (Tree.text(machine, "type").isEmpty()) {
            machine.put("type", config.machineType(Tree.text(tspec, "architecture")));
        }
    }

    // ------------------------------------------------------------------------------------------ spec defaults

    private static void resourceRequests(ObjectNode spec, ClusterConfig config) {
        ObjectNode domain = Tree.obj(spec, "domain");
        JsonNode resources = domain.path("resources");
        Optional<Quantity> limitCpu = Tree.quantity(resources, "limits", "cpu");
        Optional<Quantity> reqCpu = Tree.quantity(resources, "requests", "cpu");
        if (limitCpu.isPresent() && !limitCpu.get().isZero() && (reqCpu.isEmpty() || reqCpu.get().isZero())) {
            Tree.obj(domain, "resources", "requests").set("cpu", resources.path("limits").path("cpu").deepCopy());
        }
        if (!config.cpuRequest().equals(ClusterConfig.DEFAULT_CPU_REQUEST)
                && !Tree.has(domain, "resources", "requests", "cpu") && !Hardware.dedicated(spec)) {
            Tree.obj(domain, "resources", "requests").put("cpu", config.cpuRequest().toString());
        }
    }

    private static void guestMemory(ObjectNode spec) {
        ObjectNode domain = Tree.obj(spec, "domain");
        if (Tree.has(domain, "memory", "guest")) {
            return;
        }
        JsonNode resources = domain.path("resources");
        JsonNode value = null;
        if (Tree.quantity(resources, "requests", "memory").filter(q -> !q.isZero()).isPresent()) {
            value = resources.path("requests").path("memory");
        } else if (Tree.quantity(resources, "limits", "memory").filter(q -> !q.isZero()).isPresent()) {
            value = resources.path("limits").path("memory");
        } else if (Hardware.hasHugepages(spec) && Hardware.hugepageSize(spec).isPresent()) {
            value = Tree.F.textNode(Hardware.hugepageSize(spec).get().toString());
        }
        if (value != null) {
            Tree.obj(domain, "memory").set("guest", value.deepCopy());
        }
    }

    private static void cpuTopology(ObjectNode spec) {
        ObjectNode domain = Tree.obj(spec, "domain");
        JsonNode cpu = domain.path("cpu");
        if (Tree.uint(cpu, "cores") != 0 || Tree.uint(cpu, "sockets") != 0 || Tree.uint(cpu, "threads") != 0) {
            return;
        }
        // sockets from the CPU limit, else the request (rounded up): sockets perform best (rhbz#1653453)
        JsonNode resources = domain.path("resources");
        long sockets = 1;
        if (Tree.has(resources, "limits", "cpu")) {
            sockets = Tree.quantity(resources, "limits", "cpu").map(Quantity::value).orElse(1L);
        } else if (Tree.has(resources, "requests", "cpu")) {
            sockets = Tree.quantity(resources, "requests", "cpu").map(Quantity::value).orElse(1L);
        }
        ObjectNode c = Tree.obj(domain, "cpu");
        Tree.putNumber(c, "sockets", Math.max(1, sockets));
        c.put("cores", 1);
        c.put("threads", 1);
    }

    private static void pullPolicies(ObjectNode spec) {
        for (JsonNode v : Tree.list(spec, "volumes")) {
            if (v.path("containerDisk") instanceof ObjectNode cd && Tree.text(cd, "imagePullPolicy").isEmpty()) {
                String image = Tree.text(cd, "image");
                boolean always = image.endsWith(":latest") || (image.indexOf(':') < 0 && image.indexOf('@') < 0);
                cd.put("imagePullPolicy", always ? "Always" : "IfNotPresent");
            }
        }
    }

    private static void networkInterface(ObjectNode spec, ClusterConfig config, List<String> problems) {
        ObjectNode devices = Tree.obj(Tree.obj(spec, "domain"), "devices");
        JsonNode auto = devices.path("autoattachPodInterface");
        if (Tree.has(auto) && !auto.asBoolean(true)) {
            return;
        }
        if (!Tree.list(spec, "networks").isEmpty() || !Tree.list(devices, "interfaces").isEmpty()) {
            return;
        }
        String binding;
        switch (config.defaultNetworkInterface()) {
            case "bridge" -> {
                if (!config.permitBridgeInterfaceOnPodNetwork()) {
                    problems.add("bridge interface is not enabled in kubevirt-config");
                    return;
                }
                binding = "bridge";
            }
            case "masquerade" -> binding = "masquerade";
            case "slirp" -> {
                problems.add("slirp interface is deprecated as of v1.3");
                return;
            }
            default -> binding = null;
        }
        if (binding != null) {
            ObjectNode iface = devices.putArray("interfaces").addObject();
            iface.put("name", "default");
            iface.putObject(binding);
        }
        ObjectNode net = spec.putArray("networks").addObject();
        net.put("name", "default");
        net.putObject("pod");
    }

    private static void volumeDisks(ObjectNode spec) {
        ObjectNode devices = Tree.obj(Tree.obj(spec, "domain"), "devices");
        Set<String> names = new HashSet<>();
        for (JsonNode d : Tree.list(devices, "disks")) {
            names.add(Tree.text(d, "name"));
        }
        for (JsonNode f : Tree.list(devices, "filesystems")) {
            names.add(Tree.text(f, "name"));
        }
        for (JsonNode v : Tree.list(spec, "volumes")) {
            String name = Tree.text(v, "name");
            if (names.add(name)) {
                Tree.arr(devices, "disks").addObject().put("name", name);
            }
        }
    }

    // ---------------------------------------------------------------------------------------- object defaults

    /** {@code v1.SetObjectDefaults_VirtualMachineInstance}: disk targets, CD-ROM, probes, watchdog. */
    private static void objectDefaults(ObjectNode spec) {
        JsonNode devices = Tree.at(spec, "domain", "devices");
        for (JsonNode d : Tree.list(devices, "disks")) {
            if (!(d instanceof ObjectNode disk)) {
                continue;
            }
            if (!Tree.has(disk, "disk") && !Tree.has(disk, "cdrom") && !Tree.has(disk, "lun")) {
                disk.putObject("disk");
            }
            if (disk.get("cdrom") instanceof ObjectNode cd) {
                if (!Tree.has(cd, "readOnly")) {
                    cd.put("readOnly", true);
                }
                if (Tree.text(cd, "tray").isEmpty()) {
                    cd.put("tray", "closed");
                }
            }
        }
        if (devices.get("watchdog") instanceof ObjectNode wd && !Tree.has(wd, "i6300esb")) {
            wd.putObject("i6300esb");
        }
        for (String p : List.of("readinessProbe", "livenessProbe")) {
            if (spec.get(p) instanceof ObjectNode probe) {
                if (Tree.uint(probe, "timeoutSeconds") < 1) {
                    probe.put("timeoutSeconds", 1);
                }
                if (Tree.uint(probe, "periodSeconds") < 1) {
                    probe.put("periodSeconds", 10);
                }
                if (Tree.uint(probe, "successThreshold") < 1) {
                    probe.put("successThreshold", 1);
                }
                if (Tree.uint(probe, "failureThreshold") < 1) {
                    probe.put("failureThreshold", 3);
                }
            }
        }
    }

    /** amd64: SATA for disks without a bus (supported by every guest OS out of the box), watchdog action reset. */
    private static void amd64(ObjectNode spec) {
        diskBus(spec, "sata");
        if (Tree.at(spec, "domain", "devices", "watchdog", "i6300esb") instanceof ObjectNode w
                && Tree.text(w, "action").isEmpty()) {
            w.put("action", "reset");
        }
    }

    /** arm64: host-passthrough CPU, UEFI without secure boot, virtio disks (QEMU on arm64 has no SATA). */
    private static void arm64(ObjectNode spec) {
        ObjectNode domain = Tree.obj(spec, "domain");
        ObjectNode cpu = Tree.obj(domain, "cpu");
        if (Tree.text(cpu, "model").isEmpty()) {
            cpu.put("model", HOST_PASSTHROUGH);
        }
        if (!Tree.has(domain, "firmware", "bootloader")) {
            ObjectNode efi = Tree.obj(domain, "firmware", "bootloader", "efi");
            efi.put("secureBoot", false);
        }
        diskBus(spec, "virtio");
    }

    private static void diskBus(ObjectNode spec, String bus) {
        for (JsonNode d : Tree.list(Tree.at(spec, "domain", "devices"), "disks")) {
            for (String target : List.of("disk", "cdrom", "lun")) {
                if (d.get(target) instanceof ObjectNode t && Tree.text(t, "bus").isEmpty()) {
                    t.put("bus", bus);
                }
            }
        }
    }

    private static void cpuModel(ObjectNode spec, ClusterConfig config) {
        ObjectNode cpu = Tree.obj(Tree.obj(spec, "domain"), "cpu");
        if (Tree.text(cpu, "model").isEmpty()) {
            cpu.put("model", config.cpuModel().isEmpty() ? DEFAULT_CPU_MODEL : config.cpuModel());
        }
    }

    // ---------------------------------------------------------------------------------------------- hotplug

    private static void cpuHotplug(ObjectNode spec, ClusterConfig config) {
        if (!(Tree.at(spec, "domain", "cpu") instanceof ObjectNode cpu)) {
            return;
        }
        long sockets = Tree.uint(cpu, "sockets");
        long max = Tree.uint(cpu, "maxSockets");
        if (max == 0) {
            max = config.maximumCpuSockets();
            if (max != 0 && sockets > max) {
                max = sockets;
            }
        }
        if (max == 0) {
            max = sockets * config.maxHotplugRatio();
            long perSocket = Math.max(1, Tree.uint(cpu, "cores")) * Math.max(1, Tree.uint(cpu, "threads"));
            if (max * perSocket > MAX_VCPUS) {
                max = Math.max(MAX_VCPUS / perSocket, sockets);
            }
        }
        if (max != Tree.uint(cpu, "maxSockets")) {
            Tree.putNumber(cpu, "maxSockets", max);
        }
    }

    private static void memoryHotplug(ObjectNode spec, ClusterConfig config) {
        if (!(Tree.at(spec, "domain", "memory") instanceof ObjectNode memory) || Tree.has(memory, "maxGuest")) {
            return;
        }
        Quantity maxGuest = config.maximumGuestMemory();
        if (maxGuest == null) {
            Optional<Quantity> guest = Tree.quantity(memory, "guest");
            if (guest.isPresent()) {
                maxGuest = Quantity.ofBytes(guest.get().value() * config.maxHotplugRatio());
            }
        }
        if (Hardware.liveUpdateMemoryProblem(spec, maxGuest).isPresent()) {
            return; // memory hotplug is not compatible with this VMI
        }
        memory.put("maxGuest", maxGuest.toString());
    }
}
