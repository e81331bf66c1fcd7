package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.CpuList;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The kubelet's CPU manager settings, which jvirt's node agent honours in embedded mode:
 * <ul>
 * <li>{@code --cpu-manager-policy} {@code none} (default: every container runs on the shared pool) or
 *     {@code static} (containers of Guaranteed pods with integer CPU requests get exclusive CPUs);</li>
 * <li>{@code --reserved-cpus}: a CPU list kept for the system; those CPUs are subtracted from allocatable
 *     {@code cpu} and never handed out exclusively, but stay in the shared pool. The static policy requires a
 *     non-empty reservation, as the kubelet does;</li>
 * <li>{@code --cpu-manager-policy-options=full-pcpus-only=true}: exclusive CPUs come as whole physical cores
 *     only (all thread siblings together). Other kubelet options are refused rather than silently ignored.</li>
 * </ul>
 * Flags are accepted as the kubelet takes them ({@code --cpu-manager-policy=static}), as RKE2/Harvester's
 * {@code kubelet-arg} list writes them ({@code cpu-manager-policy=static}), or as two tokens
 * ({@code --reserved-cpus 0,16}); flags that are not about the CPU manager are ignored.
 */
public record CpuManagerOptions(String policy, SortedSet<Integer> reservedCpus, boolean fullPcpusOnly) {
    public static final String POLICY_NONE = "none";
    public static final String POLICY_STATIC = "static";
    public static final String FULL_PCPUS_ONLY = "full-pcpus-only";
    /** The kubelet's default: policy none, nothing reserved. */
    public static final CpuManagerOptions DEFAULT = new CpuManagerOptions(POLICY_NONE, new TreeSet<>(), false);

    public CpuManagerOptions {
        if (!POLICY_NONE.equals(policy) && !POLICY_STATIC.equals(policy)) {
            throw new IllegalArgumentException("unknown policy: \"" + policy + "\"");
        }
        reservedCpus = Collections.unmodifiableSortedSet(new TreeSet<>(reservedCpus));
        if (POLICY_STATIC.equals(policy) && reservedCpus.isEmpty()) {
            throw new IllegalArgumentException("[cpumanager] the static policy requires systemreserved.cpu + "
                    + "kubereserved.cpu to be greater than zero: set --reserved-cpus (e.g. --reserved-cpus=0)");
        }
        if (POLICY_NONE.equals(policy) && fullPcpusOnly) {
            throw new IllegalArgumentException("None policy: received unsupported options=map[full-pcpus-only:true]");
        }
    }

    /** Parses kubelet-style flags; see the class comment. */
    public static CpuManagerOptions parse(String... args) {
        return parse(Arrays.asList(args));
    }

    /** Parses kubelet-style flags; see the class comment. */
    public static CpuManagerOptions parse(List<String> args) {
        String policy = POLICY_NONE;
        String reserved = "";
        Map<String, String> options = new TreeMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i).strip();
            String name = a.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!Set.of("cpu-manager-policy", "reserved-cpus", "cpu-manager-policy-options").contains(name)) {
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException("flag --" + name + " needs a value");
                }
                value = args.get(++i).strip();
            }
            switch (name) {
                case "cpu-manager-policy" -> policy = value.strip().toLowerCase(Locale.ROOT);
                case "reserved-cpus" -> reserved = value;
                default -> {
                    for (String kv : value.split(",")) {
                        if (kv.isBlank()) {
                            continue;
                        }
                        int e = kv.indexOf('=');
                        if (e < 0) {
                            throw new IllegalArgumentException("invalid --cpu-manager-policy-options entry \"" + kv
                                    + "\": want key=value");
                        }
                        options.put(kv.substring(0, e).strip(), kv.substring(e + 1).strip());
                    }
                }
            }
        }
        boolean fullPcpusOnly = false;
        for (Map.Entry<String, String> o : options.entrySet()) {
            if (POLICY_NONE.equals(policy)) {
                throw new IllegalArgumentException("None policy: received unsupported options=map["
                        + o.getKey() + ":" + o.getValue() + "]");
            }
            if (!FULL_PCPUS_ONLY.equals(o.getKey())) {
                throw new IllegalArgumentException("unsupported cpu manager policy option: \"" + o.getKey()
                        + "\" (jvirt supports " + FULL_PCPUS_ONLY + ")");
            }
            fullPcpusOnly = parseBool(o.getKey(), o.getValue());
        }
        SortedSet<Integer> cpus;
        try {
            cpus = CpuList.parse(reserved);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --reserved-cpus: " + e.getMessage());
        }
        return new CpuManagerOptions(policy, cpus, fullPcpusOnly);
    }

    /** Whether the static policy (exclusive CPUs) is configured. */
    public boolean isStatic() {
        return POLICY_STATIC.equals(policy);
    }

    /** The flags that give these options back, kubelet style. */
    public List<String> toFlags() {
        List<String> out = new java.util.ArrayList<>();
        out.add("--cpu-manager-policy=" + policy);
        if (!reservedCpus.isEmpty()) {
            out.add("--reserved-cpus=" + CpuList.format(reservedCpus));
        }
        if (fullPcpusOnly) {
            out.add("--cpu-manager-policy-options=" + FULL_PCPUS_ONLY + "=true");
        }
        return out;
    }

    /** Go's {@code strconv.ParseBool}, which the kubelet uses for option values. */
    private static boolean parseBool(String key, String v) {
        return switch (v) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> throw new IllegalArgumentException("invalid value for cpu manager policy option \"" + key
                    + "\": \"" + v + "\" is not a boolean");
        };
    }
}
