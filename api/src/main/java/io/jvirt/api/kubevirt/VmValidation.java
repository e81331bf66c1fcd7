package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Tree.has;
import static io.jvirt.api.kubevirt.Tree.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * KubeVirt's VirtualMachine admission ({@code vms-admitter.go}, reference §2.2 and §3.1): the run strategy rules,
 * the template's metadata, the template spec through {@link VmiValidation#validateSpec} with root
 * {@code spec.template.spec} after applying {@link VmiDefaults#applySpec} to a copy (the stored VM is not
 * changed), dataVolumeTemplates, and the LiveUpdate checks. Unlike VMI creation it does not require the
 * volume→disk mapping or requested memory.
 *
 * <p>Not reproduced: instance types and preferences, DataVolume clone authorization, volume requests in status,
 * snapshot/restore status, update-specific checks.
 */
public final class VmValidation {
    public static final String RUNNING_DEPRECATED = "spec.running is deprecated, please use spec.runStrategy instead.";
    public static final List<String> RUN_STRATEGIES = List.of("Halted", "Manual", "Always", "RerunOnFailure", "Once");
    public static final String WAIT_AS_RECEIVER = "WaitAsReceiver";

    /** Causes deny the request; warnings are sent either way. */
    public record Result(List<Cause> causes, List<String> warnings) {
        public Result {
            causes = List.copyOf(causes);
            warnings = List.copyOf(warnings);
        }

        public boolean allowed() {
            return causes.isEmpty();
        }
    }

    private VmValidation() {
    }

    /** A create by an ordinary user. */
    public static Result validate(JsonNode vm, ClusterConfig config) {
        return validate(vm, config, true, false);
    }

    /**
     * @param create                 whether this is a CREATE (discontinued feature gates are checked on create only)
     * @param kubevirtServiceAccount whether the requester is one of KubeVirt's components (may set reserved labels
     *                               on the template)
     */
    public static Result validate(JsonNode vm, ClusterConfig config, boolean create, boolean kubevirtServiceAccount) {
        List<String> warnings = new ArrayList<>();
        if (has(vm, "metadata", "deletionTimestamp")) {
            return new Result(List.of(), warnings);
        }
        JsonNode spec = vm.path("spec");
        List<Cause> causes = new ArrayList<>();
        JsonNode template = spec.path("template");
        if (!template.isObject()) {
            causes.add(Cause.required("spec.template", "missing virtual machine template."));
            return new Result(causes, warnings);
        }
        ObjectNode tspec = template.path("spec").isObject() ? ((ObjectNode) template.path("spec")).deepCopy()
                : Tree.F.objectNode();
        for (String problem : VmiDefaults.applySpec(tspec, config)) {
            causes.add(Cause.invalid("", problem));
        }
        if (create) {
            causes.addAll(VmiValidation.discontinuedGates(template.path("spec"), config));
        }
        causes.addAll(VmiValidation.validateMetadata(template.path("metadata"), "spec.template.metadata", config,
                kubevirtServiceAccount));
        causes.addAll(VmiValidation.validateSpec(tspec, "spec.template.spec", config));
        StorageValidation.dataVolumeTemplates(spec, causes);
        runStrategy(spec, config, causes);
        liveUpdate(tspec, config, causes);
        if (has(spec, "running")) {
            warnings.add(RUNNING_DEPRECATED);
        }
        // KubeVirt reports the sockets > maxSockets problem twice (spec rules and LiveUpdate rules): once is enough
        return new Result(new ArrayList<>(new LinkedHashSet<>(causes)), warnings);
    }

    /** §2.2: exactly one of running and runStrategy, and a known strategy. */
    static void runStrategy(JsonNode spec, ClusterConfig config, List<Cause> causes) {
        boolean running = has(spec, "running");
        boolean strategy = has(spec, "runStrategy");
        if (running && strategy) {
            causes.add(Cause.invalid("spec.running", "Running and RunStrategy are mutually exclusive. Note that "
                    + "Running is deprecated, please use RunStrategy instead"));
        }
        if (!running && !strategy) {
            causes.add(Cause.invalid("spec.running", "RunStrategy must be specified"));
        }
        if (strategy) {
            String s = text(spec, "runStrategy");
            if (s.equals(WAIT_AS_RECEIVER)) {
                if (!config.enabled(FeatureGates.DECENTRALIZED_LIVE_MIGRATION)) {
                    causes.add(Cause.invalid("spec.runStrategy", "Invalid RunStrategy (" + s + "), "
                            + FeatureGates.DECENTRALIZED_LIVE_MIGRATION
                            + " feature gate is not enabled in kubevirt resource"));
                }
            } else if (!RUN_STRATEGIES.contains(s)) {
                causes.add(Cause.invalid("spec.runStrategy", "Invalid RunStrategy (" + s + ")"));
            }
        }
    }

    /** {@code validateLiveUpdateFeatures}: sockets within maxSockets, memory hotplug compatible with the spec. */
    static void liveUpdate(JsonNode tspec, ClusterConfig config, List<Cause> causes) {
        if (!config.isLiveUpdate()) {
            return;
        }
        JsonNode cpu = Tree.at(tspec, "domain", "cpu");
        long sockets = Tree.uint(cpu, "sockets");
        long max = Tree.uint(cpu, "maxSockets");
        if (sockets != 0 && max != 0 && sockets > max) {
            causes.add(Cause.invalid("spec.template.spec.domain.cpu.sockets",
                    "Number of sockets in CPU topology is greater than the maximum sockets allowed"));
        }
        if (has(tspec, "domain", "memory", "maxGuest")) {
            Optional<Quantity> maxGuest = Tree.quantity(tspec, "domain", "memory", "maxGuest");
            Optional<String> problem = Hardware.liveUpdateMemoryProblem(tspec, maxGuest.orElse(null));
            problem.ifPresent(p -> causes.add(Cause.invalid("spec.template.spec.domain.memory.guest", p)));
        }
    }
}
