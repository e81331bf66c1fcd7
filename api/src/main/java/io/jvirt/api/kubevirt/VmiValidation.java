package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Tree.at;
import static io.jvirt.api.kubevirt.Tree.has;
import static io.jvirt.api.kubevirt.Tree.index;
import static io.jvirt.api.kubevirt.Tree.list;
import static io.jvirt.api.kubevirt.Tree.path;
import static io.jvirt.api.kubevirt.Tree.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * KubeVirt's VMI validation ({@code vmi-create-admitter.go}, reference §3.2–3.6): every rule adds a {@link Cause}
 * with KubeVirt's exact message and field path; nothing short-circuits, so one request reports every problem.
 *
 * <p>Not reproduced (yet): network/interface rules, DNS policy and config, access credentials, affinity and
 * topology spread, Hyper-V dependencies, per-architecture settings beyond "unsupported architecture", GPUs/DRA,
 * virtiofs, panic devices, video, persistent reservation.
 */
public final class VmiValidation {
    /** Labels only KubeVirt's own components may set on a VMI. */
    public static final Set<String> RESTRICTED_LABELS = Set.of("kubevirt.io/created-by",
            "kubevirt.io/migrationJobUID", "kubevirt.io/nodeName", "kubevirt.io/migrationTargetNodeName",
            "kubevirt.io/schedulable", "kubevirt.io/install-strategy");
    public static final String IGNITION_ANNOTATION = "kubevirt.io/ignitiondata";
    public static final String SIDECAR_ANNOTATION = "hooks.kubevirt.io/hookSidecars";

    /** The CRD's quantity pattern, as kube-apiserver quotes it for a malformed quantity. */
    static final String QUANTITY_PATTERN = "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
            + "([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

    private static final List<String> FEATURE_POLICIES = List.of("", "force", "require", "optional", "disable",
            "forbid");
    private static final List<String> IO_THREADS_POLICIES = List.of("shared", "auto", "supplementalPool");
    private static final List<String> EVICTION_STRATEGIES = List.of("LiveMigrate", "LiveMigrateIfPossible", "None",
            "External");
    private static final List<String> ARCHITECTURES = List.of("amd64", "arm64", "s390x", "ppc64le");
    private static final long ONE_M = 1_000_000L;

    private VmiValidation() {
    }

    // ------------------------------------------------------------------------------------------- entry points

    /**
     * {@code ValidateVirtualMachineInstanceSpec}: the rules shared by VMIs and VM templates.
     *
     * @param spec      the VMI spec (already defaulted, as KubeVirt validates after mutation)
     * @param fieldRoot {@code "spec"} for a VMI, {@code "spec.template.spec"} for a VM
     */
    public static List<Cause> validateSpec(JsonNode spec, String fieldRoot, ClusterConfig config) {
        List<Cause> causes = new ArrayList<>();
        String f = fieldRoot;
        quantities(spec, f, causes);
        hostnames(spec, f, causes);
        memory(spec, f, config, causes);
        emulatedMachine(spec, f, config, causes);
        cpu(spec, f, config, causes);
        startStrategy(spec, f, causes);
        realtime(spec, f, causes);
        architecture(spec, f, config, causes);
        StorageValidation.bootOrder(spec, f, config, causes);
        inputs(spec, f, causes);
        ioThreads(spec, f, causes);
        probes(spec, f, causes);
        StorageValidation.disks(spec, f, causes);
        firmware(spec, f, causes);
        StorageValidation.volumes(spec, f, config, causes);
        StorageValidation.containerDisks(spec, f, causes);
        devices(spec, f, config, causes);
        return causes;
    }

    /** {@link #validateCreate(JsonNode, ClusterConfig, boolean)} for an ordinary (non-KubeVirt) user. */
    public static List<Cause> validateCreate(JsonNode vmi, ClusterConfig config) {
        return validateCreate(vmi, config, false);
    }

    /**
     * The VMI create admission ({@code VMICreateAdmitter.Admit}): discontinued feature gates in use, the shared
     * spec rules, then the VMI-only ones: every volume used by a disk or filesystem, some memory requested,
     * reserved labels and gated annotations, a supported architecture.
     *
     * @param kubevirtServiceAccount whether the requester is one of KubeVirt's own components (may set reserved
     *                               labels)
     */
    public static List<Cause> validateCreate(JsonNode vmi, ClusterConfig config, boolean kubevirtServiceAccount) {
        JsonNode spec = vmi.path("spec");
        List<Cause> causes = new ArrayList<>(discontinuedGates(spec, config));
        causes.addAll(validateSpec(spec, "spec", config));
        StorageValidation.volumeDisks(spec, "spec", causes);
        mandatoryMemory(spec, causes);
        causes.addAll(validateMetadata(vmi.path("metadata"), "metadata", config, kubevirtServiceAccount));
        String arch = text(spec, "architecture");
        if (!ARCHITECTURES.contains(arch)) {
            causes.add(Cause.invalid("spec.architecture", "unsupported architecture: " + arch));
        }
        return causes;
    }

    /**
     * {@code featuregate.ValidateFeatureGates}: a listed discontinued gate whose API the spec uses denies the
     * request (no field).
     */
    public static List<Cause> discontinuedGates(JsonNode spec, ClusterConfig config) {
        List<Cause> causes = new ArrayList<>();
        for (FeatureGates.Gate g : config.featureGates().listedDiscontinued()) {
            boolean used = false;
            for (JsonNode iface : list(spec, "domain", "devices", "interfaces")) {
                used |= g.name().equals(FeatureGates.PASST) && has(iface, "passt")
                        || g.name().equals(FeatureGates.MACVTAP) && has(iface, "macvtap");
            }
            if (used) {
                causes.add(Cause.notSupported("", g.message()));
            }
        }
        return causes;
    }

    /** {@code ValidateVirtualMachineInstanceMetadata} on {@code <field>} ({@code metadata} or a template's). */
    public static List<Cause> validateMetadata(JsonNode metadata, String field, ClusterConfig config,
                                               boolean kubevirtServiceAccount) {
        List<Cause> causes = new ArrayList<>();
        if (!kubevirtServiceAccount) {
            Iterator<String> labels = metadata.path("labels").fieldNames();
            while (labels.hasNext()) {
                if (RESTRICTED_LABELS.contains(labels.next())) {
                    causes.add(Cause.notSupported(path(field, "labels"),
                            "creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited"));
                    break;
                }
            }
        }
        JsonNode ann = metadata.path("annotations");
        if (!text(ann, IGNITION_ANNOTATION).isEmpty() && !config.enabled(FeatureGates.IGNITION)) {
            causes.add(Cause.invalid(path(field, "annotations"), "ExperimentalIgnitionSupport feature gate is not "
                    + "enabled in kubevirt-config, invalid entry " + path(field, "annotations", IGNITION_ANNOTATION)));
        }
        if (!text(ann, SIDECAR_ANNOTATION).isEmpty() && !config.enabled(FeatureGates.SIDECAR)) {
            causes.add(Cause.invalid(path(field, "annotations"), "sidecar feature gate is not enabled in "
                    + "kubevirt-config, invalid entry " + path(field, "annotations", SIDECAR_ANNOTATION)));
        }
        return causes;
    }

    /** VMI only: some memory must be requested after defaulting. */
    static void mandatoryMemory(JsonNode spec, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        long requests = Tree.quantity(domain, "resources", "requests", "memory").map(Quantity::value).orElse(0L);
        if (requests != 0) {
            return;
        }
        if (!has(domain, "memory", "guest") && !has(domain, "memory", "hugepages")) {
            causes.add(Cause.required("", "no memory requested, at least one of 'spec.domain.memory.guest', "
                    + "'spec.domain.memory.hugepages.pageSize' or 'spec.domain.resources.requests.memory' must be set"));
        }
    }

    // ------------------------------------------------------------------------------------------------ rules

    /** Malformed quantities, worded like kube-apiserver's CRD pattern check. */
    private static void quantities(JsonNode spec, String f, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        for (String kind : List.of("requests", "limits")) {
            Iterator<Map.Entry<String, JsonNode>> it = domain.path("resources").path(kind).fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                badQuantity(e.getValue(), path(f, "domain", "resources", kind, e.getKey()), causes);
            }
        }
        badQuantity(domain.path("memory").path("guest"), path(f, "domain", "memory", "guest"), causes);
        badQuantity(domain.path("memory").path("maxGuest"), path(f, "domain", "memory", "maxGuest"), causes);
    }

    private static void badQuantity(JsonNode value, String field, List<Cause> causes) {
        if (has(value) && Quantity.of(value).isEmpty() && (value.isTextual() || value.isNumber())) {
            causes.add(Cause.invalid(field, "Invalid value: \"" + value.asText() + "\": " + field
                    + " in body should match '" + QUANTITY_PATTERN + "'"));
        }
    }

    private static void hostnames(JsonNode spec, String f, List<Cause> causes) {
        String hostname = text(spec, "hostname");
        if (!hostname.isEmpty()) {
            List<String> errs = Names.dns1123Label(hostname);
            if (!errs.isEmpty()) {
                causes.add(Cause.invalid(path(f, "hostname"), path(f, "hostname")
                        + " does not conform to the kubernetes DNS_LABEL rules : " + String.join(", ", errs)));
            }
        }
        String subdomain = text(spec, "subdomain");
        if (!subdomain.isEmpty()) {
            List<String> errs = Names.dns1123Subdomain(subdomain);
            if (!errs.isEmpty()) {
                causes.add(Cause.invalid(path(f, "subdomain"), path(f, "subdomain")
                        + " does not conform to the kubernetes DNS_SUBDOMAIN rules : " + String.join(", ", errs)));
            }
        }
    }

    /** §3.4: requests/limits sanity, hugepages, guest vs limit under Stage, reserved overhead gate. */
    private static void memory(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        String reqField = path(f, "domain", "resources", "requests", "memory");
        String limField = path(f, "domain", "resources", "limits", "memory");
        Quantity req = Tree.quantity(domain, "resources", "requests", "memory").orElse(Quantity.ZERO);
        Quantity lim = Tree.quantity(domain, "resources", "limits", "memory").orElse(Quantity.ZERO);
        if (req.value() < 0) {
            causes.add(Cause.invalid(reqField, reqField + " '" + req + "': must be greater than or equal to 0."));
        } else if (req.value() > 0 && req.compareTo(Quantity.ofUnits(ONE_M)) < 0) {
            causes.add(Cause.invalid(reqField, reqField + " '" + req + "': must be greater than or equal to 1M."));
        }
        if (lim.value() < 0) {
            causes.add(Cause.invalid(limField, limField + " '" + lim + "': must be greater than or equal to 0."));
        }
        if (lim.value() > 0 && req.value() > lim.value()) {
            causes.add(Cause.invalid(reqField,
                    reqField + " '" + req + "' is greater than " + limField + " '" + lim + "'"));
        }

        JsonNode hugepages = domain.path("memory").path("hugepages");
        if (has(hugepages)) {
            String psField = path(f, "domain", "memory", "hugepages", "pageSize");
            String pageSize = text(hugepages, "pageSize");
            Optional<Quantity> ps = Quantity.tryParse(pageSize);
            if (ps.isEmpty()) {
                causes.add(Cause.invalid(psField, psField + " '" + pageSize + "': " + Quantity.FORMAT_ERROR));
            } else if (ps.get().value() > 0) {
                long vmMemory = req.value();
                if (vmMemory == 0) {
                    vmMemory = Tree.quantity(domain, "memory", "guest").map(Quantity::value).orElse(0L);
                }
                if (vmMemory == 0) {
                    vmMemory = lim.value();
                }
                if (vmMemory != 0 && vmMemory < ps.get().value()) {
                    causes.add(Cause.invalid(reqField, reqField + " '" + req + "' must be equal to or larger than page "
                            + "size " + psField + " '" + pageSize + "'"));
                } else if (vmMemory % ps.get().value() != 0) {
                    causes.add(Cause.invalid(reqField, reqField + " '" + req + "' is not a multiple of the page size "
                            + psField + " '" + pageSize + "'"));
                }
            }
        }

        Optional<Quantity> guest = Tree.quantity(domain, "memory", "guest");
        if (!config.isLiveUpdate() && guest.isPresent() && lim.value() != 0 && lim.value() < guest.get().value()) {
            String gField = path(f, "domain", "memory", "guest");
            causes.add(Cause.invalid(gField, gField + " '" + guest.get() + "' must be equal to or less than the "
                    + "memory limit " + limField + " '" + lim + "'"));
        }
        if (has(domain, "memory", "reservedOverhead") && !config.enabled(FeatureGates.RESERVED_OVERHEAD_MEMLOCK)) {
            causes.add(Cause.invalid(path(f, "domain", "memory", "reservedOverhead"),
                    "Reserved overhead memlock feature gate is not enabled in kubevirt-config"));
        }
    }

    /** §3.5: the machine type must match one of the cluster's emulated-machine globs. */
    private static void emulatedMachine(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        String type = text(spec, "domain", "machine", "type");
        if (type.isEmpty()) {
            return;
        }
        List<String> allowed = config.emulatedMachines(text(spec, "architecture"));
        for (String glob : allowed) {
            if (Names.globMatch(glob, type)) {
                return;
            }
        }
        String field = path(f, "domain", "machine", "type");
        causes.add(Cause.invalid(field, field + " is not supported: " + type + " (allowed values: ["
                + String.join(" ", allowed) + "])"));
    }

    /** §3.2, §3.3 (NUMA), §3.5: CPU requests/limits, dedicated CPUs, emulator thread, features, sockets. */
    private static void cpu(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        JsonNode cpu = domain.path("cpu");
        String reqCpuF = path(f, "domain", "resources", "requests", "cpu");
        String limCpuF = path(f, "domain", "resources", "limits", "cpu");
        Quantity reqCpu = Tree.quantity(domain, "resources", "requests", "cpu").orElse(Quantity.ZERO);
        Quantity limCpu = Tree.quantity(domain, "resources", "limits", "cpu").orElse(Quantity.ZERO);
        if (reqCpu.milliValue() < 0) {
            causes.add(Cause.invalid(reqCpuF, reqCpuF + " '" + reqCpu + "': must be greater than or equal to 0."));
        }
        if (limCpu.milliValue() < 0) {
            causes.add(Cause.invalid(limCpuF, limCpuF + " '" + limCpu + "': must be greater than or equal to 0."));
        }
        if (limCpu.milliValue() > 0 && reqCpu.milliValue() > limCpu.milliValue()) {
            causes.add(Cause.invalid(reqCpuF,
                    reqCpuF + " '" + reqCpu + "' is greater than " + limCpuF + " '" + limCpu + "'"));
        }

        String dedicatedF = path(f, "domain", "cpu", "dedicatedCpuPlacement");
        boolean dedicated = Tree.bool(cpu.path("dedicatedCpuPlacement"));
        if (dedicated) {
            dedicatedCpus(spec, f, config, reqCpu, limCpu, causes);
        }

        String gmp = path(f, "domain", "cpu", "numa", "guestMappingPassthrough");
        if (has(cpu, "numa", "guestMappingPassthrough")) {
            if (!config.enabled(FeatureGates.NUMA)) {
                causes.add(Cause.invalid(gmp, "NUMA feature gate is not enabled in kubevirt-config, invalid entry "
                        + gmp));
            }
            if (!dedicated) {
                causes.add(Cause.invalid(gmp, dedicatedF + " must be set to true when NUMA topology strategy is set in "
                        + gmp));
            }
            if (!has(domain, "memory", "hugepages")) {
                causes.add(Cause.invalid(gmp, path(f, "domain", "memory", "hugepages")
                        + " must be requested when NUMA topology strategy is set in " + gmp));
            }
        }
        if (Tree.bool(cpu.path("isolateEmulatorThread")) && !dedicated) {
            causes.add(Cause.invalid(path(f, "domain", "cpu", "isolateEmulatorThread"),
                    "IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement"));
        }
        List<JsonNode> features = list(cpu, "features");
        for (int i = 0; i < features.size(); i++) {
            String policy = text(features.get(i), "policy");
            if (!FEATURE_POLICIES.contains(policy)) {
                causes.add(Cause.notSupported(path(index(path(f, "domain", "cpu", "features"), i), "policy"),
                        "CPU feature " + text(features.get(i), "name") + " uses policy " + policy
                                + " that is not supported."));
            }
        }
        long maxSockets = Tree.uint(cpu, "maxSockets");
        if (maxSockets != 0 && Tree.uint(cpu, "sockets") > maxSockets) {
            causes.add(Cause.invalid(path(f, "domain", "cpu", "sockets"),
                    "Number of sockets in CPU topology is greater than the maximum sockets allowed"));
        }
    }

    /** §3.2 rules 1–8, run only with {@code dedicatedCpuPlacement: true}. */
    private static void dedicatedCpus(JsonNode spec, String f, ClusterConfig config, Quantity reqCpu,
                                      Quantity limCpu, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        JsonNode cpu = domain.path("cpu");
        String reqMemF = path(f, "domain", "resources", "requests", "memory");
        String limMemF = path(f, "domain", "resources", "limits", "memory");
        String reqCpuF = path(f, "domain", "resources", "requests", "cpu");
        String limCpuF = path(f, "domain", "resources", "limits", "cpu");
        String coresF = path(f, "domain", "cpu", "cores");
        String dedicatedF = path(f, "domain", "cpu", "dedicatedCpuPlacement");
        long reqMem = Tree.quantity(domain, "resources", "requests", "memory").map(Quantity::value).orElse(0L);
        long limMem = Tree.quantity(domain, "resources", "limits", "memory").map(Quantity::value).orElse(0L);
        long guest = Tree.quantity(domain, "memory", "guest").map(Quantity::value).orElse(0L);
        if (limMem == 0 && reqMem == 0 && !has(domain, "memory", "hugepages") && guest == 0) {
            causes.add(Cause.invalid(limMemF, reqMemF + ", " + limMemF + ", " + path(f, "domain", "memory", "hugepages")
                    + " or " + path(f, "domain", "memory", "guest") + " should be provided"));
        }
        long req = reqCpu.value();
        long lim = limCpu.value();
        if (req > 0 && req * 1000 != reqCpu.milliValue()) {
            causes.add(Cause.invalid(reqCpuF, "provided resources CPU requests must be an interger"));
        }
        if (lim > 0 && lim * 1000 != limCpu.milliValue()) {
            causes.add(Cause.invalid(limCpuF, "provided resources CPU limits must be an interger"));
        }
        if (reqMem > 0 && limMem > 0 && reqMem != limMem) {
            causes.add(Cause.invalid(reqMemF, reqMemF + " must be equal to " + limMemF));
        }
        long vcpus = Hardware.vcpus(cpu);
        if (req == 0 && lim == 0 && vcpus == 0) {
            causes.add(Cause.invalid(dedicatedF, "either " + reqCpuF + " or " + limCpuF + " or " + coresF
                    + " must be provided when DedicatedCPUPlacement is true "));
        }
        if (req > 0 && lim > 0 && req != lim) {
            causes.add(Cause.invalid(dedicatedF, reqCpuF + " or " + limCpuF
                    + " must be equal when DedicatedCPUPlacement is true "));
        }
        if ((req > 0 || lim > 0) && vcpus > 0 && req != vcpus && lim != vcpus) {
            causes.add(Cause.invalid(dedicatedF, reqCpuF + " or " + limCpuF + " must not be provided at the same time "
                    + "with " + coresF + " when DedicatedCPUPlacement is true "));
        }
        long threads = Tree.uint(cpu, "threads");
        if (threads > 1 && "arm64".equals(Hardware.arch(spec, config))) {
            causes.add(Cause.invalid(path(f, "architecture"), "threads must not be greater than 1 at "
                    + path(f, "domain", "cpu", "threads") + " (got " + threads + ") when " + path(f, "architecture")
                    + " is arm64"));
        }
        if (threads > 2) {
            causes.add(Cause.invalid(dedicatedF, "Not more than two threads must be provided at "
                    + path(f, "domain", "cpu", "threads") + " (got " + threads + ") when DedicatedCPUPlacement is true"));
        }
    }

    private static void startStrategy(JsonNode spec, String f, List<Cause> causes) {
        if (!has(spec, "startStrategy")) {
            return;
        }
        String s = text(spec, "startStrategy");
        String field = path(f, "startStrategy");
        if (!s.equals("Paused")) {
            causes.add(Cause.invalid(field, field + " is set with an unrecognized option: " + s));
        } else if (has(spec, "livenessProbe")) {
            causes.add(Cause.invalid(field, "either " + field + " or " + path(f, "livenessProbe")
                    + " should be provided.Pausing VMI with LivenessProbe is not supported"));
        }
    }

    /** §3.3: realtime needs dedicated CPUs and a guest NUMA mapping. */
    private static void realtime(JsonNode spec, String f, List<Cause> causes) {
        JsonNode cpu = at(spec, "domain", "cpu");
        if (!has(cpu, "realtime")) {
            return;
        }
        String rt = path(f, "domain", "cpu", "realtime");
        if (!Tree.bool(cpu.path("dedicatedCpuPlacement"))) {
            String d = path(f, "domain", "cpu", "dedicatedCpuPlacement");
            causes.add(Cause.required(d, d + " must be set to true when " + rt + " is used"));
        }
        if (!has(cpu, "numa", "guestMappingPassthrough")) {
            String g = path(f, "domain", "cpu", "numa", "guestMappingPassthrough");
            causes.add(Cause.required(g, g + " must be defined when " + rt + " is used"));
        }
    }

    /** A non-native architecture needs the MultiArchitecture gate (jvirt's native one is the cluster default). */
    private static void architecture(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        String arch = text(spec, "architecture");
        if (!arch.isEmpty() && !arch.equals(config.defaultArchitecture())
                && !config.enabled(FeatureGates.MULTI_ARCHITECTURE)) {
            causes.add(Cause.required(path(f, "architecture"), "MultiArchitecture feature gate is not enabled in "
                    + "kubevirt-config, invalid entry " + path(f, "architecture")));
        }
    }

    private static void inputs(JsonNode spec, String f, List<Cause> causes) {
        List<JsonNode> inputs = list(spec, "domain", "devices", "inputs");
        for (int i = 0; i < inputs.size(); i++) {
            String p = index(path(f, "domain", "devices", "inputs"), i);
            String bus = text(inputs.get(i), "bus");
            if (!bus.isEmpty() && !bus.equals("virtio") && !bus.equals("usb")) {
                causes.add(Cause.invalid(path(p, "bus"), "Input device can have only virtio or usb bus."));
            }
            if (!text(inputs.get(i), "type").equals("tablet")) {
                causes.add(Cause.invalid(path(p, "type"), "Input device can have only tablet type."));
            }
        }
    }

    /** §3.6: IOThreads policy and the supplemental pool's size. */
    private static void ioThreads(JsonNode spec, String f, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        if (!has(domain, "ioThreadsPolicy")) {
            return;
        }
        String policy = text(domain, "ioThreadsPolicy");
        if (!IO_THREADS_POLICIES.contains(policy)) {
            causes.add(Cause.invalid(path(f, "domain", "ioThreadsPolicy"), "Invalid IOThreadsPolicy (" + policy + ")"));
        }
        JsonNode count = domain.path("ioThreads").path("supplementalPoolThreadCount");
        if (policy.equals("supplementalPool") && (!has(count) || count.asLong() < 1)) {
            causes.add(Cause.invalid(path(f, "domain", "ioThreads", "count"),
                    "the number of iothreads needs to be set and positive for the dedicated policy"));
        }
    }

    private static void probes(JsonNode spec, String f, List<Cause> causes) {
        boolean podNetwork = false;
        for (JsonNode n : list(spec, "networks")) {
            podNetwork |= has(n, "pod");
        }
        for (String name : List.of("readinessProbe", "livenessProbe")) {
            JsonNode probe = spec.path(name);
            if (!has(probe)) {
                continue;
            }
            String p = path(f, name);
            int handlers = 0;
            for (String h : List.of("httpGet", "tcpSocket", "exec", "guestAgentPing")) {
                handlers += has(probe, h) ? 1 : 0;
            }
            if (handlers > 1) {
                causes.add(Cause.invalid(p, p + " must have exactly one probe type set"));
            }
            if (handlers < 1) {
                causes.add(Cause.required(p, "either " + path(p, "tcpSocket") + ", " + path(p, "exec") + " or "
                        + path(p, "httpGet") + " must be set if a " + p + " is specified"));
            }
        }
        if (podNetwork) {
            return;
        }
        // KubeVirt checks both probes' handlers first, then both probes against the missing pod network
        for (String name : List.of("readinessProbe", "livenessProbe")) {
            JsonNode probe = spec.path(name);
            for (String h : List.of("httpGet", "tcpSocket")) {
                if (has(probe, h)) {
                    String p = path(f, name, h);
                    causes.add(Cause.invalid(p, p + " is only allowed if the Pod Network is attached"));
                }
            }
        }
    }

    /** Bootloader exclusivity, kernel boot, SecureBoot needs SMM. */
    private static void firmware(JsonNode spec, String f, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        JsonNode fw = domain.path("firmware");
        String fwF = path(f, "domain", "firmware");
        if (has(fw, "bootloader", "efi") && has(fw, "bootloader", "bios")) {
            String b = path(fwF, "bootloader");
            causes.add(Cause.invalid(b, b + " has both EFI and BIOS configured, but they are mutually exclusive."));
        }
        JsonNode kb = fw.path("kernelBoot");
        if (has(kb)) {
            String kbF = path(fwF, "kernelBoot");
            JsonNode c = kb.path("container");
            if (!has(c)) {
                if (!text(kb, "kernelArgs").isEmpty()) {
                    causes.add(Cause.invalid(path(kbF, "kernelArgs"),
                            "kernel arguments cannot be provided without an external kernel"));
                }
            } else {
                String cF = path(kbF, "container");
                if (text(c, "image").isEmpty()) {
                    causes.add(Cause.required(path(cF, "image"), cF + " must be defined with an image"));
                }
                if (text(c, "initrdPath").isEmpty() && text(c, "kernelPath").isEmpty()) {
                    causes.add(Cause.required(cF,
                            cF + " must be defined with at least one of the following: kernelPath, initrdPath"));
                }
                if (!text(c, "kernelPath").isEmpty()) {
                    StorageValidation.validatePath(path(cF, "kernelPath"), text(c, "kernelPath"), causes);
                }
                if (!text(c, "initrdPath").isEmpty()) {
                    StorageValidation.validatePath(path(cF, "initrdPath"), text(c, "initrdPath"), causes);
                }
            }
        }
        if (secureBoot(domain) && !smm(domain)) {
            String d = path(f, "domain");
            causes.add(Cause.invalid(d, d + " has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently "
                    + "disabled."));
        }
    }

    private static boolean efi(JsonNode domain) {
        return has(domain, "firmware", "bootloader", "efi");
    }

    private static boolean secureBoot(JsonNode domain) {
        JsonNode sb = at(domain, "firmware", "bootloader", "efi", "secureBoot");
        return efi(domain) && (!has(sb) || sb.asBoolean(true));
    }

    private static boolean smm(JsonNode domain) {
        JsonNode smm = at(domain, "features", "smm");
        return has(smm) && (!has(smm, "enabled") || smm.path("enabled").asBoolean(true));
    }

    /** Gated devices, eviction strategy, sound, launch security. */
    private static void devices(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        JsonNode domain = spec.path("domain");
        JsonNode devices = domain.path("devices");
        if (has(spec, "evictionStrategy") && !EVICTION_STRATEGIES.contains(text(spec, "evictionStrategy"))) {
            String e = path(f, "evictionStrategy");
            causes.add(Cause.invalid(e, e + " is set with an unrecognized option: " + text(spec, "evictionStrategy")));
        }
        if (has(devices, "hostDevices") && !config.enabled(FeatureGates.HOST_DEVICES)) {
            causes.add(Cause.invalid(path(f, "HostDevices"),
                    "Host Devices feature gate is not enabled in kubevirt-config"));
        }
        JsonNode sound = devices.path("sound");
        if (has(sound)) {
            String model = text(sound, "model");
            if (!model.isEmpty() && !model.equals("ich9") && !model.equals("ac97")) {
                causes.add(Cause.invalid(path(f, "Sound"),
                        "Sound device type is not supported. Options: 'ich9' or 'ac97'"));
            }
            if (text(sound, "name").isEmpty()) {
                causes.add(Cause.invalid(path(f, "Sound"), "Sound device requires a name field."));
            }
        }
        JsonNode ls = domain.path("launchSecurity");
        String lsF = path(f, "launchSecurity");
        if (has(ls, "sev")) {
            if (!config.enabled(FeatureGates.WORKLOAD_ENCRYPTION_SEV)) {
                causes.add(Cause.invalid(lsF, FeatureGates.WORKLOAD_ENCRYPTION_SEV
                        + " feature gate is not enabled in kubevirt-config"));
            } else {
                if (!efi(domain)) {
                    causes.add(Cause.invalid(lsF, "SEV requires OVMF (UEFI)"));
                } else if (secureBoot(domain)) {
                    causes.add(Cause.invalid(lsF, "SEV does not work along with SecureBoot"));
                }
                if (has(ls, "sev", "attestation") && !"Paused".equals(text(spec, "startStrategy"))) {
                    causes.add(Cause.invalid(lsF, "SEV attestation requires VMI StartStrategy 'Paused'"));
                }
                for (JsonNode iface : list(devices, "interfaces")) {
                    if (has(iface, "bootOrder")) {
                        causes.add(Cause.invalid(lsF, "SEV does not work with bootable NICs: " + text(iface, "name")));
                    }
                }
            }
        }
        if (Tree.bool(devices.path("autoattachVSOCK")) && !config.enabled(FeatureGates.VSOCK)) {
            causes.add(Cause.invalid(path(f, "domain", "devices", "autoattachVSOCK"),
                    FeatureGates.VSOCK + " feature gate is not enabled in kubevirt-config"));
        }
        if (has(devices, "downwardMetrics") && !config.enabled(FeatureGates.DOWNWARD_METRICS)) {
            causes.add(Cause.invalid(path(f, "domain", "devices", "downwardMetrics"),
                    "downwardMetrics virtio serial is not allowed: DownwardMetrics feature gate is not enabled"));
        }
    }
}
