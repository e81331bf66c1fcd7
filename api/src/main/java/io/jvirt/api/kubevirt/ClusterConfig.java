package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parts of the KubeVirt CR's {@code spec.configuration} that defaulting, admission and pod sizing need
 * (KubeVirt's {@code virtconfig.ClusterConfig}), with KubeVirt's defaults.
 *
 * @param featureGates                        gates in effect
 * @param useEmulation                        {@code developerConfiguration.useEmulation}: no {@code /dev/kvm}
 * @param cpuAllocationRatio                  {@code developerConfiguration.cpuAllocationRatio} (default 10)
 * @param memoryOvercommit                    {@code developerConfiguration.memoryOvercommit} percent (default 100)
 * @param cpuModel                            {@code cpuModel}; empty means {@code host-model}
 * @param cpuRequest                          {@code cpuRequest} (default {@code 100m})
 * @param defaultArchitecture                 {@code architectureConfiguration.defaultArchitecture} (default amd64)
 * @param machineTypes                        machine type per architecture
 * @param emulatedMachines                    allowed machine-type globs per architecture
 * @param vmRolloutStrategy                   {@code LiveUpdate} (default) or {@code Stage}
 * @param defaultNetworkInterface             {@code network.defaultNetworkInterface} (default {@code bridge})
 * @param permitBridgeInterfaceOnPodNetwork   {@code network.permitBridgeInterfaceOnPodNetwork} (default true)
 * @param evictionStrategy                    {@code evictionStrategy}, null when unset
 * @param maximumCpuSockets                   {@code liveUpdateConfiguration.maxCpuSockets}, 0 when unset
 * @param maximumGuestMemory                  {@code liveUpdateConfiguration.maxGuest}, null when unset
 * @param maxHotplugRatio                     {@code liveUpdateConfiguration.maxHotplugRatio} (default 4)
 * @param additionalGuestMemoryOverheadRatio  {@code additionalGuestMemoryOverheadRatio}, null when unset
 * @param emulatorThreadCompleteToEvenParity  the CR carries {@code alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity}
 * @param insecureRegistries                  {@code developerConfiguration.insecureRegistries}: registries
 *                                            ({@code host} or {@code host:port}) that nodes pull containerDisks
 *                                            from over plain HTTP
 */
public record ClusterConfig(
        FeatureGates featureGates,
        boolean useEmulation,
        long cpuAllocationRatio,
        long memoryOvercommit,
        String cpuModel,
        Quantity cpuRequest,
        String defaultArchitecture,
        Map<String, String> machineTypes,
        Map<String, List<String>> emulatedMachines,
        String vmRolloutStrategy,
        String defaultNetworkInterface,
        boolean permitBridgeInterfaceOnPodNetwork,
        String evictionStrategy,
        long maximumCpuSockets,
        Quantity maximumGuestMemory,
        long maxHotplugRatio,
        String additionalGuestMemoryOverheadRatio,
        boolean emulatorThreadCompleteToEvenParity,
        List<String> insecureRegistries) {

    public static final String LIVE_UPDATE = "LiveUpdate";
    public static final String STAGE = "Stage";
    public static final Quantity DEFAULT_CPU_REQUEST = Quantity.parse("100m");
    public static final String EVEN_PARITY_ANNOTATION = "alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity";

    static final Map<String, String> DEFAULT_MACHINE_TYPES = Map.of("amd64", "q35", "arm64", "virt",
            "s390x", "s390-ccw-virtio", "ppc64le", "pseries");
    static final Map<String, List<String>> DEFAULT_EMULATED_MACHINES = Map.of("amd64", List.of("q35*", "pc-q35*"),
            "arm64", List.of("virt*"), "s390x", List.of("s390-ccw-virtio*"), "ppc64le", List.of("pseries*"));

    public ClusterConfig {
        machineTypes = Map.copyOf(machineTypes);
        emulatedMachines = Map.copyOf(emulatedMachines);
        insecureRegistries = insecureRegistries == null ? List.of() : List.copyOf(insecureRegistries);
        cpuModel = cpuModel == null ? "" : cpuModel;
        if (cpuAllocationRatio <= 0) {
            cpuAllocationRatio = 10;
        }
        if (memoryOvercommit <= 0) {
            memoryOvercommit = 100;
        }
        if (maxHotplugRatio <= 0) {
            maxHotplugRatio = 4;
        }
    }

    /** KubeVirt's defaults: no gates listed, amd64, LiveUpdate, bridge. */
    public static ClusterConfig defaults() {
        return from(null, null);
    }

    /**
     * The configuration of a KubeVirt CR merged with the legacy {@code kubevirt-config} ConfigMap (either may be
     * null). The CR wins: the ConfigMap's {@code feature-gates} ({@code "A,B"}) are added to the CR's, unless the CR
     * disables them; its other keys ({@code use-emulation}, {@code cpu-model}, {@code cpu-request},
     * {@code machine-type}, {@code emulated-machines}, {@code memory-overcommit}, {@code cpu-allocation-ratio},
     * {@code default-network-interface}) apply only where the CR is silent.
     */
    public static ClusterConfig from(JsonNode kubevirtCr, JsonNode legacyConfigMap) {
        JsonNode conf = Tree.at(kubevirtCr, "spec", "configuration");
        JsonNode dev = conf.path("developerConfiguration");
        JsonNode cm = Tree.at(legacyConfigMap, "data");

        Set<String> listed = new LinkedHashSet<>();
        Set<String> disabled = new LinkedHashSet<>();
        for (JsonNode g : Tree.list(dev, "featureGates")) {
            addGate(Tree.text(g), listed, disabled);
        }
        // newest KubeVirt: spec.configuration.featureGates: [{name, enabled}]
        for (JsonNode g : Tree.list(conf, "featureGates")) {
            String name = g.isTextual() ? g.asText() : Tree.text(g, "name");
            if (name.isEmpty()) {
                continue;
            }
            if (g.isObject() && Tree.has(g, "enabled") && !g.path("enabled").asBoolean(true)) {
                disabled.add(name);
                listed.remove(name);
            } else {
                listed.add(name);
                disabled.remove(name);
            }
        }
        for (JsonNode g : Tree.list(dev, "disabledFeatureGates")) {
            String n = Tree.text(g).trim();
            if (!n.isEmpty()) {
                disabled.add(n);
                listed.remove(n);
            }
        }
        for (String g : Tree.text(cm, "feature-gates").split(",")) {
            String n = g.trim();
            if (!n.isEmpty() && !disabled.contains(n)) {
                listed.add(n);
            }
        }

        boolean useEmulation = Tree.has(dev, "useEmulation") ? Tree.bool(dev.path("useEmulation"))
                : "true".equalsIgnoreCase(Tree.text(cm, "use-emulation").trim());
        long ratio = longOr(dev.path("cpuAllocationRatio"), cm.path("cpu-allocation-ratio"), 10);
        long overcommit = longOr(dev.path("memoryOvercommit"), cm.path("memory-overcommit"), 100);
        String cpuModel = firstText(conf.path("cpuModel"), cm.path("cpu-model"));
        Quantity cpuRequest = Quantity.of(conf.path("cpuRequest"))
                .or(() -> Quantity.of(cm.path("cpu-request"))).orElse(DEFAULT_CPU_REQUEST);

        JsonNode archConf = conf.path("architectureConfiguration");
        String defaultArch = Tree.text(archConf, "defaultArchitecture");
        if (defaultArch.isEmpty()) {
            defaultArch = "amd64";
        }
        String legacyMachineType = firstText(conf.path("machineType"), cm.path("machine-type"));
        List<String> legacyEmulated = new ArrayList<>();
        for (JsonNode m : Tree.list(conf, "emulatedMachines")) {
            if (!Tree.text(m).isEmpty()) {
                legacyEmulated.add(Tree.text(m));
            }
        }
        if (legacyEmulated.isEmpty()) {
            for (String m : Tree.text(cm, "emulated-machines").split(",")) {
                if (!m.trim().isEmpty()) {
                    legacyEmulated.add(m.trim());
                }
            }
        }
        Map<String, String> machineTypes = new java.util.HashMap<>(DEFAULT_MACHINE_TYPES);
        Map<String, List<String>> emulated = new java.util.HashMap<>(DEFAULT_EMULATED_MACHINES);
        for (String arch : List.of("amd64", "arm64", "s390x", "ppc64le")) {
            JsonNode a = archConf.path(arch);
            String mt = Tree.text(a, "machineType");
            if (!legacyMachineType.isEmpty()) {
                machineTypes.put(arch, legacyMachineType);
            } else if (!mt.isEmpty()) {
                machineTypes.put(arch, mt);
            }
            List<String> em = new ArrayList<>();
            for (JsonNode m : Tree.list(a, "emulatedMachines")) {
                if (!Tree.text(m).isEmpty()) {
                    em.add(Tree.text(m));
                }
            }
            if (!legacyEmulated.isEmpty()) {
                emulated.put(arch, List.copyOf(legacyEmulated));
            } else if (!em.isEmpty()) {
                emulated.put(arch, List.copyOf(em));
            }
        }

        String rollout = Tree.text(conf, "vmRolloutStrategy");
        if (rollout.isEmpty()) {
            rollout = LIVE_UPDATE;
        }
        JsonNode net = conf.path("network");
        String defaultIface = firstText(net.path("defaultNetworkInterface"), cm.path("default-network-interface"));
        if (defaultIface.isEmpty()) {
            defaultIface = "bridge";
        }
        boolean permitBridge = !Tree.has(net, "permitBridgeInterfaceOnPodNetwork")
                || net.path("permitBridgeInterfaceOnPodNetwork").asBoolean(true);
        String eviction = Tree.text(conf, "evictionStrategy");
        JsonNode live = conf.path("liveUpdateConfiguration");
        String overheadRatio = Tree.text(conf, "additionalGuestMemoryOverheadRatio");
        boolean evenParity = Tree.has(Tree.at(kubevirtCr, "metadata", "annotations", EVEN_PARITY_ANNOTATION));
        List<String> insecure = new ArrayList<>();
        for (JsonNode r : Tree.list(dev, "insecureRegistries")) {
            if (!Tree.text(r).isBlank()) {
                insecure.add(Tree.text(r).strip());
            }
        }

        return new ClusterConfig(new FeatureGates(listed, disabled), useEmulation, ratio, overcommit, cpuModel,
                cpuRequest, defaultArch, machineTypes, emulated, rollout, defaultIface, permitBridge,
                eviction.isEmpty() ? null : eviction, Tree.uint(live, "maxCpuSockets"),
                Quantity.of(live.path("maxGuest")).orElse(null), Tree.uint(live, "maxHotplugRatio"),
                overheadRatio.isEmpty() ? null : overheadRatio, evenParity, insecure);
    }

    private static void addGate(String entry, Set<String> listed, Set<String> disabled) {
        String e = entry.trim();
        if (e.isEmpty()) {
            return;
        }
        int eq = e.indexOf('=');
        if (eq > 0) {
            // "Name=false" / "Name=true" (KubeVirt's ParseEnableFeatureGates)
            String name = e.substring(0, eq).trim();
            String v = e.substring(eq + 1).trim();
            if (v.equalsIgnoreCase("false")) {
                disabled.add(name);
                listed.remove(name);
            } else if (v.equalsIgnoreCase("true")) {
                listed.add(name);
                disabled.remove(name);
            }
            return;
        }
        listed.add(e);
    }

    private static long longOr(JsonNode primary, JsonNode legacy, long dflt) {
        if (Tree.has(primary) && primary.isNumber()) {
            return primary.asLong();
        }
        if (Tree.has(legacy)) {
            try {
                return Long.parseLong(legacy.asText().trim());
            } catch (NumberFormatException e) {
                return dflt;
            }
        }
        return dflt;
    }

    private static String firstText(JsonNode primary, JsonNode legacy) {
        String p = Tree.text(primary);
        return p.isEmpty() ? Tree.text(legacy).trim() : p;
    }

    // ----------------------------------------------------------------------------------------------- queries

    /** Whether a feature gate is in effect. */
    public boolean enabled(String gate) {
        return featureGates.enabled(gate);
    }

    /** Warnings for the configured gates (GA, deprecated or discontinued ones listed). */
    public List<String> warnings() {
        return featureGates.warnings();
    }

    public boolean isLiveUpdate() {
        return LIVE_UPDATE.equals(vmRolloutStrategy);
    }

    /** The machine type for an architecture ({@code ""} means the default architecture). */
    public String machineType(String arch) {
        String a = arch == null || arch.isEmpty() ? defaultArchitecture : arch;
        return machineTypes.getOrDefault(a, DEFAULT_MACHINE_TYPES.getOrDefault(a, "q35"));
    }

    /** The allowed machine-type globs for an architecture ({@code ""} means the default architecture). */
    public List<String> emulatedMachines(String arch) {
        String a = arch == null || arch.isEmpty() ? defaultArchitecture : arch;
        return emulatedMachines.getOrDefault(a, List.of());
    }

    public Optional<Quantity> maximumGuestMemoryOpt() {
        return Optional.ofNullable(maximumGuestMemory);
    }
}
