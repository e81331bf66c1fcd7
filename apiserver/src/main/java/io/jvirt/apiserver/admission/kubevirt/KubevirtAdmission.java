package io.jvirt.apiserver.admission.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.kubevirt.Cause;
import io.jvirt.api.kubevirt.ClusterConfig;
import io.jvirt.api.kubevirt.VmValidation;
import io.jvirt.api.kubevirt.VmiDefaults;
import io.jvirt.api.kubevirt.VmiValidation;
import io.jvirt.apiserver.admission.AdmissionPlugin;
import io.jvirt.apiserver.admission.AdmissionRequest;
import io.jvirt.apiserver.admission.AdmissionRequest.Operation;
import io.jvirt.apiserver.http.ApiException;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * KubeVirt's mutating and validating webhooks for {@code kubevirt.io} VirtualMachineInstances, VirtualMachines and
 * the KubeVirt CR, in process:
 *
 * <ul>
 *   <li>VMI CREATE: {@link VmiDefaults#apply} (a defaulting problem is a 400, as KubeVirt's mutator error), then
 *       {@link VmiValidation#validateCreate}.</li>
 *   <li>VMI UPDATE: the spec is immutable for users ({@code update of VMI object is restricted}), and so are the
 *       reserved {@code kubevirt.io/} labels; KubeVirt's own components (see {@link #DEFAULT_KUBEVIRT_USERS})
 *       may change both.</li>
 *   <li>VM CREATE/UPDATE: {@link VmiDefaults#applyVm}, then {@link VmValidation#validate}; its warnings (e.g.
 *       {@code spec.running is deprecated, ...}) are passed on.</li>
 *   <li>KubeVirt CREATE/UPDATE: warnings for listed feature gates that are GA, deprecated or discontinued (on
 *       update only when the gates changed).</li>
 *   <li>Status and other subresource writes, and deletes, are not touched.</li>
 * </ul>
 *
 * A cause on a field that an earlier plugin (the schema check) already reported is dropped, so the 422 lists each
 * problem once.
 */
public final class KubevirtAdmission implements AdmissionPlugin {
    /** Users treated as KubeVirt's own service accounts: jvirt's in-process components and KubeVirt's SAs. */
    public static final Predicate<String> DEFAULT_KUBEVIRT_USERS = u -> u == null || u.equals("system:jvirt")
            || u.startsWith("system:jvirt:") || u.startsWith("system:serviceaccount:kubevirt:");

    public static final String VMI_UPDATE_RESTRICTED = "update of VMI object is restricted";
    public static final String VMI_LABELS_RESTRICTED =
            "modification of the following reserved kubevirt.io/ labels on a VMI object is prohibited";

    private static final String GROUP = "kubevirt.io";
    private static final String VMIS = "virtualmachineinstances";
    private static final String VMS = "virtualmachines";
    private static final String KUBEVIRTS = "kubevirts";

    private final Supplier<ClusterConfig> config;
    private final Predicate<String> kubevirtUser;

    /** @param config the cluster configuration (read per request; the supplier may cache) */
    public KubevirtAdmission(Supplier<ClusterConfig> config) {
        this(config, DEFAULT_KUBEVIRT_USERS);
    }

    public KubevirtAdmission(Supplier<ClusterConfig> config, Predicate<String> kubevirtUser) {
        this.config = Objects.requireNonNull(config);
        this.kubevirtUser = Objects.requireNonNull(kubevirtUser);
    }

    @Override
    public boolean handles(AdmissionRequest r) {
        if (r.operation() == Operation.DELETE || r.object() == null || r.subresource() != null
                || !GROUP.equals(r.resource().group())) {
            return false;
        }
        String plural = r.resource().plural();
        return plural.equals(VMIS) || plural.equals(VMS) || plural.equals(KUBEVIRTS);
    }

    @Override
    public void mutate(AdmissionRequest r, List<String> warnings) {
        switch (r.resource().plural()) {
            case VMIS -> {
                if (r.operation() == Operation.CREATE) {
                    List<String> problems = VmiDefaults.apply(r.object(), config.get());
                    if (!problems.isEmpty()) {
                        throw ApiException.badRequest(String.join(", ", problems));
                    }
                }
            }
            case VMS -> VmiDefaults.applyVm(r.object(), config.get());
            default -> {
            }
        }
    }

    @Override
    public void validate(AdmissionRequest r, List<ApiException.Cause> causes, List<String> warnings) {
        Set<String> alreadyReported = new HashSet<>();
        for (ApiException.Cause c : causes) {
            if (c.field() != null && !c.field().isEmpty()) {
                alreadyReported.add(c.field());
            }
        }
        boolean kubevirt = kubevirtUser.test(r.user());
        List<Cause> found = switch (r.resource().plural()) {
            case VMIS -> r.operation() == Operation.CREATE
                    ? VmiValidation.validateCreate(r.object(), config.get(), kubevirt)
                    : vmiUpdate(r.object(), r.oldObject(), kubevirt);
            case VMS -> {
                VmValidation.Result result = VmValidation.validate(r.object(), config.get(),
                        r.operation() == Operation.CREATE, kubevirt);
                warnings.addAll(result.warnings());
                yield result.causes();
            }
            case KUBEVIRTS -> {
                warnings.addAll(kubevirtWarnings(r));
                yield List.of();
            }
            default -> List.of();
        };
        for (Cause c : found) {
            if (c.field().isEmpty() || !alreadyReported.contains(c.field())) {
                causes.add(new ApiException.Cause(c.type(), c.field().isEmpty() ? null : c.field(), c.message()));
            }
        }
    }

    /** {@code VMIUpdateAdmitter}: users may not change the spec or the reserved labels. */
    static List<Cause> vmiUpdate(ObjectNode vmi, ObjectNode old, boolean kubevirt) {
        if (kubevirt || old == null) {
            return List.of();
        }
        if (!vmi.path("spec").equals(old.path("spec"))) {
            return List.of(new Cause(Cause.NOT_SUPPORTED, "", VMI_UPDATE_RESTRICTED));
        }
        if (!reservedLabels(vmi).equals(reservedLabels(old))) {
            return List.of(new Cause(Cause.NOT_SUPPORTED, "", VMI_LABELS_RESTRICTED));
        }
        return List.of();
    }

    private static Map<String, String> reservedLabels(JsonNode obj) {
        Map<String, String> out = new TreeMap<>();
        JsonNode labels = obj == null ? MissingNode.getInstance() : obj.path("metadata").path("labels");
        Iterator<Map.Entry<String, JsonNode>> it = labels.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (VmiValidation.RESTRICTED_LABELS.contains(e.getKey())) {
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return out;
    }

    private static List<String> kubevirtWarnings(AdmissionRequest r) {
        ClusterConfig next = ClusterConfig.from(r.object(), null);
        if (r.operation() == Operation.UPDATE && r.oldObject() != null) {
            ClusterConfig prev = ClusterConfig.from(r.oldObject(), null);
            if (prev.featureGates().listed().equals(next.featureGates().listed())) {
                return List.of();
            }
        }
        return next.warnings();
    }
}
