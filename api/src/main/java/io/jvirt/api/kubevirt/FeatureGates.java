package io.jvirt.api.kubevirt;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KubeVirt's feature gates ({@code pkg/virt-config/featuregate}) and which of them a cluster has enabled.
 *
 * <p>States: {@link State#ALPHA} is off unless listed in {@code developerConfiguration.featureGates};
 * {@link State#BETA} is on unless listed in {@code disabledFeatureGates}; {@link State#GA} is always on;
 * {@link State#DEPRECATED} is off unless listed (and listing it warns); {@link State#DISCONTINUED} can never be
 * enabled, and a VMI that uses its API while the gate is listed is denied. Gates jvirt does not know behave like
 * alpha gates (on when listed), as in KubeVirt.
 */
public final class FeatureGates {

    /** A gate's lifecycle state; {@link #label()} is the text KubeVirt prints. */
    public enum State {
        ALPHA("Alpha"), BETA("Beta"), GA("General Availability"), DEPRECATED("Deprecated"),
        DISCONTINUED("Discontinued");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** A known gate; {@code message} is the warning (GA, deprecated) or denial (discontinued) text, else null. */
    public record Gate(String name, State state, String message) {
    }

    /** KubeVirt's {@code featuregate.WarningPattern}. */
    public static final String WARNING_PATTERN = "feature gate %s is deprecated (feature state is \"%s\"), therefore "
            + "it can be safely removed and is redundant. For more info, please look at: "
            + "https://github.com/kubevirt/kubevirt/blob/main/docs/deprecation.md";

    // Gate names the admission rules use.
    public static final String CPU_MANAGER = "CPUManager";
    public static final String HOST_DEVICES = "HostDevices";
    public static final String HOST_DISK = "HostDisk";
    public static final String DOWNWARD_METRICS = "DownwardMetrics";
    public static final String VSOCK = "VSOCK";
    public static final String SIDECAR = "Sidecar";
    public static final String IGNITION = "ExperimentalIgnitionSupport";
    public static final String RESERVED_OVERHEAD_MEMLOCK = "ReservedOverheadMemlock";
    public static final String ROOT = "Root";
    public static final String ALIGN_CPUS = "AlignCPUs";
    public static final String MULTI_ARCHITECTURE = "MultiArchitecture";
    public static final String WORKLOAD_ENCRYPTION_SEV = "WorkloadEncryptionSEV";
    public static final String DECLARATIVE_HOTPLUG_VOLUMES = "DeclarativeHotplugVolumes";
    public static final String DECENTRALIZED_LIVE_MIGRATION = "DecentralizedLiveMigration";
    public static final String NUMA = "NUMA";
    public static final String PASST = "Passt";
    public static final String MACVTAP = "Macvtap";

    private static final Map<String, Gate> KNOWN = new LinkedHashMap<>();

    static {
        for (String g : List.of(CPU_MANAGER, IGNITION, "HypervStrictCheck", SIDECAR, HOST_DEVICES, "HotplugVolumes",
                HOST_DISK, DOWNWARD_METRICS, ROOT, "ClusterProfiler", VSOCK, "KubevirtSeccompProfile",
                "DisableMDEVConfiguration", "VMPersistentState", MULTI_ARCHITECTURE, ALIGN_CPUS,
                "EnableVirtioFsConfigVolumes", "EnableVirtioFsStorageVolumes", "NetworkDevicesWithDRA",
                RESERVED_OVERHEAD_MEMLOCK, "PortRangesSpec", "WorkloadEncryptionTDX")) {
            register(g, State.ALPHA, null);
        }
        for (String g : List.of("GPUsWithDRA", "HostDevicesWithDRA", WORKLOAD_ENCRYPTION_SEV,
                DECLARATIVE_HOTPLUG_VOLUMES, DECENTRALIZED_LIVE_MIGRATION, "RebootPolicy", "Snapshot", "ImageVolume",
                "PasstBinding", "NodeRestriction", "InstancetypeReferencePolicy")) {
            register(g, State.BETA, null);
        }
        for (String g : List.of("LiveMigration", "SRIOVLiveMigration", "NonRoot", "PSA", "CPUNodeDiscovery", NUMA,
                "GPU", "HotplugNICs", "VMLiveUpdateFeatures", "AutoResourceLimitsGate", "VMExport",
                "PersistentReservation", "VideoConfig", "PanicDevices", "ExpandDisks", "VmiMemoryOverheadReport",
                "CommonInstancetypesDeploymentGate", "BochsDisplayForEFIGuests", "NetworkBindingPlugins",
                "DynamicPodInterfaceNaming", "VolumesUpdateStrategy", "VolumeMigration",
                "DisableCustomSELinuxPolicy")) {
            register(g, State.GA, null);
        }
        register("DockerSELinuxMCSWorkaround", State.DEPRECATED,
                "DockerSELinuxMCSWorkaround has been deprecated since v1.4.");
        register("ExperimentalVirtiofsSupport", State.DISCONTINUED, "Virtiofs ExperimentalVirtiofsSupport feature "
                + "gate is discontinued since v1.7. Please use EnableVirtioFsConfigVolumes or EnableVirtioFsPVC "
                + "feature gates instead");
        register(PASST, State.DISCONTINUED, "Passt network binding is discontinued since v1.3. Please refer to "
                + "Kubevirt user guide for alternatives.");
        register(MACVTAP, State.DISCONTINUED, "Macvtap network binding is discontinued since v1.3. Please refer to "
                + "Kubevirt user guide for alternatives.");
        register("PasstIPStackMigration", State.DISCONTINUED, "Seamless migration with passt network binding plugin "
                + "is no longer supported since KubeVirt v1.8. Please use the passt core binding instead.");
    }

    private static void register(String name, State state, String message) {
        if (message == null && state != State.ALPHA && state != State.BETA) {
            message = String.format(WARNING_PATTERN, name, state.label());
        }
        KNOWN.put(name, new Gate(name, state, message));
    }

    /** Every gate jvirt knows, in registration order. */
    public static Collection<Gate> known() {
        return Collections.unmodifiableCollection(KNOWN.values());
    }

    /** The gate's state; unknown gates are {@link State#ALPHA}. */
    public static State stateOf(String name) {
        Gate g = KNOWN.get(name);
        return g == null ? State.ALPHA : g.state();
    }

    /** The known gate, or null. */
    public static Gate info(String name) {
        return KNOWN.get(name);
    }

    private final Set<String> listed;
    private final Set<String> disabled;

    /**
     * @param listed   gates listed as enabled ({@code developerConfiguration.featureGates}, legacy ConfigMap)
     * @param disabled gates listed as disabled ({@code developerConfiguration.disabledFeatureGates})
     */
    public FeatureGates(Collection<String> listed, Collection<String> disabled) {
        this.listed = Collections.unmodifiableSet(new LinkedHashSet<>(listed));
        this.disabled = Collections.unmodifiableSet(new LinkedHashSet<>(disabled));
    }

    public static FeatureGates none() {
        return new FeatureGates(List.of(), List.of());
    }

    /** Gates listed as enabled, in configuration order. */
    public Set<String> listed() {
        return listed;
    }

    public Set<String> disabled() {
        return disabled;
    }

    /** Whether the gate is in effect. */
    public boolean enabled(String name) {
        return switch (stateOf(name)) {
            case ALPHA, DEPRECATED -> listed.contains(name) && !disabled.contains(name);
            case BETA -> !disabled.contains(name);
            case GA -> true;
            case DISCONTINUED -> false;
        };
    }

    /** Listed gates that are discontinued (a VMI using their API is denied). */
    public List<Gate> listedDiscontinued() {
        List<Gate> out = new ArrayList<>();
        for (String n : listed) {
            Gate g = KNOWN.get(n);
            if (g != null && g.state() == State.DISCONTINUED) {
                out.add(g);
            }
        }
        return out;
    }

    /**
     * Warnings for listed gates that need not (GA, deprecated) or cannot (discontinued) be listed, with KubeVirt's
     * texts, e.g. {@code feature gate LiveMigration is deprecated (feature state is "General Availability"),
     * therefore it can be safely removed and is redundant. For more info, ...}.
     */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (String n : listed) {
            Gate g = KNOWN.get(n);
            if (g != null && g.message() != null) {
                out.add(g.message());
            }
        }
        return out;
    }

    /** Equal when the same gates are listed and disabled (order aside). */
    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureGates g && listed.equals(g.listed) && disabled.equals(g.disabled);
    }

    @Override
    public int hashCode() {
        return listed.hashCode() * 31 + disabled.hashCode();
    }

    @Override
    public String toString() {
        return "FeatureGates" + listed + (disabled.isEmpty() ? "" : " disabled" + disabled);
    }
}
