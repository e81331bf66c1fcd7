package io.jvirt.apiserver.admission.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.kubevirt.Quantity;
import io.jvirt.apiserver.admission.AdmissionPlugin;
import io.jvirt.apiserver.admission.AdmissionRequest;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.rest.LabelSelector;
import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.StoredObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * VirtualMachineInstancePresets (deprecated in KubeVirt 0.57, still honoured), applied at VMI creation as KubeVirt's
 * VMI mutating webhook does ({@code mutators/preset.go}, {@code vmi-mutator.go}). It must run before the defaults of
 * {@link KubevirtAdmission}, so it is registered before it.
 *
 * <ul>
 *   <li>A VMI annotated {@code virtualmachineinstancepresets.admission.kubevirt.io/exclude: "true"} is left alone.</li>
 *   <li>The presets of the VMI's namespace whose {@code spec.selector} (matchLabels / matchExpressions; an empty
 *       selector matches every VMI) matches the VMI's labels apply, in name order.</li>
 *   <li>Matching presets that disagree with each other on a field they both set deny the creation (422):
 *       {@code VirtualMachinePresets cannot be applied due to conflicts: presets 'b' and 'a' conflict: spec.cpu:
 *       ... != ...}.</li>
 *   <li>Only these parts of a preset's {@code spec.domain} are merged, each only where the VMI sets nothing (a VMI
 *       value always wins): {@code resources.requests} (all of them, only if the VMI has no requests map),
 *       {@code cpu}, {@code firmware}, {@code clock} (its offset; {@code clock.timer} separately), {@code features},
 *       {@code devices.watchdog} and {@code ioThreadsPolicy}. Everything else in a preset (memory, disks, ...) is
 *       ignored, as in KubeVirt.</li>
 *   <li>A preset is recorded on the VMI as the annotation {@code virtualmachinepreset.kubevirt.io/<name>:
 *       kubevirt.io/v1} when at least one of its parts ended up equal to the VMI's (so a preset whose every part the
 *       VMI overrides is not recorded; KubeVirt only logs that).</li>
 *   <li>When the VMI carries any {@code virtualmachinepreset} annotation, the response carries KubeVirt's warning
 *       {@value #DEPRECATION_WARNING}</li>
 * </ul>
 */
public final class PresetAdmission implements AdmissionPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(PresetAdmission.class);
    public static final String DEPRECATION_WARNING =
            "kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2.";
    public static final String EXCLUDE_ANNOTATION = "virtualmachineinstancepresets.admission.kubevirt.io/exclude";
    public static final String ANNOTATION_PREFIX = "virtualmachinepreset.kubevirt.io/";
    static final String PRESETS = "kubevirt.io/virtualmachineinstancepresets";

    private final Store store;

    public PresetAdmission(Store store) {
        this.store = store;
    }

    @Override
    public boolean handles(AdmissionRequest r) {
        return r.operation() == AdmissionRequest.Operation.CREATE && r.subresource() == null && r.object() != null
                && r.resource().group().equals("kubevirt.io")
                && r.resource().plural().equals("virtualmachineinstances");
    }

    @Override
    public void mutate(AdmissionRequest r, List<String> warnings) {
        ObjectNode vmi = r.object();
        String ns = vmi.path("metadata").path("namespace").asText("");
        List<Preset> presets = new ArrayList<>();
        for (StoredObject o : store.list(PRESETS, ns, null, null, 0).items()) {
            ObjectNode p = Json.parseObject(o.json());
            presets.add(new Preset(p.path("metadata").path("name").asText(), p.path("spec").path("selector"),
                    p.path("spec").path("domain")));
        }
        try {
            apply(vmi, presets);
        } catch (IllegalArgumentException e) {
            throw new ApiException(422, "Invalid", e.getMessage(), vmi.path("metadata").path("name").asText(null),
                    r.resource(), List.of(), null);
        }
        for (Iterator<String> it = vmi.path("metadata").path("annotations").fieldNames(); it.hasNext(); ) {
            if (it.next().contains("virtualmachinepreset")) {
                warnings.add(DEPRECATION_WARNING);
                break;
            }
        }
    }

    /** A preset: its name, {@code spec.selector} and {@code spec.domain}. */
    record Preset(String name, JsonNode selector, JsonNode domain) {
    }

    /**
     * Applies the matching presets to {@code vmi} (in place) and annotates it; returns the names of the presets
     * recorded.
     *
     * @throws IllegalArgumentException with KubeVirt's message when a selector is invalid or presets conflict
     */
    static List<String> apply(ObjectNode vmi, List<Preset> all) {
        if ("true".equals(vmi.path("metadata").path("annotations").path(EXCLUDE_ANNOTATION).asText(null))) {
            return List.of();
        }
        Map<String, String> labels = new HashMap<>();
        vmi.path("metadata").path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        List<Preset> matching = new ArrayList<>();
        for (Preset p : all.stream().sorted(java.util.Comparator.comparing(Preset::name)).toList()) {
            if (selector(p.selector()).matches(labels)) {
                matching.add(p);
            }
        }
        if (matching.isEmpty()) {
            return List.of();
        }
        List<String> conflicts = new ArrayList<>();
        for (int i = 0; i < matching.size(); i++) {
            for (int j = 0; j < i; j++) {
                List<String> c = conflicts(matching.get(i).domain(), matching.get(j).domain());
                if (!c.isEmpty()) {
                    conflicts.add("presets '" + matching.get(i).name() + "' and '" + matching.get(j).name()
                            + "' conflict: " + aggregate(c));
                }
            }
        }
        if (!conflicts.isEmpty()) {
            throw new IllegalArgumentException("VirtualMachinePresets cannot be applied due to conflicts: "
                    + aggregate(conflicts));
        }
        ObjectNode spec = Json.with(vmi, "spec");
        ObjectNode domain = Json.with(spec, "domain");
        List<String> applied = new ArrayList<>();
        for (Preset p : matching) {
            List<String> conflicting = conflicts(p.domain(), domain);
            if (merge(p.domain(), domain)) {
                if (!conflicting.isEmpty()) {
                    LOG.info("some settings were not applied for VirtualMachineInstancePreset '{}': {}", p.name(),
                            aggregate(conflicting));
                }
                Json.with(Json.with(vmi, "metadata"), "annotations").put(ANNOTATION_PREFIX + p.name(), "kubevirt.io/v1");
                applied.add(p.name());
            } else {
                LOG.info("unable to apply VirtualMachineInstancePreset '{}': {}", p.name(), aggregate(conflicting));
            }
        }
        return applied;
    }

    /** Go's {@code utilerrors.NewAggregate(...).Error()}: one message as is, several as {@code [a, b]}. */
    private static String aggregate(List<String> messages) {
        return messages.size() == 1 ? messages.getFirst() : "[" + String.join(", ", messages) + "]";
    }

    /** KubeVirt's {@code checkMergeConflicts}: fields both domains set, with different values. */
    static List<String> conflicts(JsonNode preset, JsonNode vmi) {
        List<String> out = new ArrayList<>();
        JsonNode pReq = preset.path("resources").path("requests");
        JsonNode vReq = vmi.path("resources").path("requests");
        for (Iterator<Map.Entry<String, JsonNode>> it = pReq.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = vReq.get(e.getKey());
            if (v != null && !sameQuantity(e.getValue(), v)) {
                out.add("spec.resources.requests[" + e.getKey() + "]: " + e.getValue().asText() + " != " + v.asText());
            }
        }
        for (String f : new String[] {"cpu", "firmware"}) {
            if (set(preset.get(f)) && set(vmi.get(f)) && !preset.get(f).equals(vmi.get(f))) {
                out.add("spec." + f + ": " + preset.get(f) + " != " + vmi.get(f));
            }
        }
        if (set(preset.get("clock")) && set(vmi.get("clock"))) {
            JsonNode pOff = clockOffset(preset.get("clock"));
            JsonNode vOff = clockOffset(vmi.get("clock"));
            if (!pOff.equals(vOff)) {
                out.add("spec.clock.clockoffset: " + pOff + " != " + vOff);
            }
            JsonNode pt = preset.get("clock").get("timer");
            JsonNode vt = vmi.get("clock").get("timer");
            if (set(pt) && set(vt) && !pt.equals(vt)) {
                out.add("spec.clock.timer: " + pt + " != " + vt);
            }
        }
        if (set(preset.get("features")) && set(vmi.get("features")) && !preset.get("features").equals(vmi.get("features"))) {
            out.add("spec.features: " + preset.get("features") + " != " + vmi.get("features"));
        }
        JsonNode pw = preset.path("devices").get("watchdog");
        JsonNode vw = vmi.path("devices").get("watchdog");
        if (set(pw) && set(vw) && !pw.equals(vw)) {
            out.add("spec.devices.watchdog: " + pw + " != " + vw);
        }
        JsonNode pio = preset.get("ioThreadsPolicy");
        JsonNode vio = vmi.get("ioThreadsPolicy");
        if (set(pio) && set(vio) && !pio.equals(vio)) {
            out.add("spec.ioThreadsPolicy: " + pio.asText() + " != " + vio.asText());
        }
        return out;
    }

    /**
     * KubeVirt's {@code mergeDomainSpec}: copies each part of the preset the VMI does not set; returns whether any
     * part of the preset now equals the VMI's (the preset counts as applied).
     */
    static boolean merge(JsonNode preset, ObjectNode vmi) {
        boolean applied = false;
        JsonNode pReq = preset.path("resources").path("requests");
        if (pReq.isObject() && !pReq.isEmpty()) {
            ObjectNode resources = Json.with(vmi, "resources");
            if (!set(resources.get("requests"))) {
                resources.set("requests", pReq.deepCopy());
            }
            if (sameRequests(resources.get("requests"), pReq)) {
                applied = true;
            }
        }
        for (String f : new String[] {"cpu", "firmware", "features", "ioThreadsPolicy"}) {
            JsonNode p = preset.get(f);
            if (set(p)) {
                if (!set(vmi.get(f))) {
                    vmi.set(f, p.deepCopy());
                }
                if (vmi.get(f).equals(p)) {
                    applied = true;
                }
            }
        }
        JsonNode pClock = preset.get("clock");
        if (set(pClock)) {
            if (!set(vmi.get("clock"))) {
                vmi.set("clock", clockOffset(pClock).deepCopy());
            }
            ObjectNode clock = (ObjectNode) vmi.get("clock");
            if (clock.equals(pClock)) {
                applied = true;
            }
            JsonNode pt = pClock.get("timer");
            if (set(pt)) {
                if (!set(clock.get("timer"))) {
                    clock.set("timer", pt.deepCopy());
                }
                if (clock.get("timer").equals(pt)) {
                    applied = true;
                }
            }
        }
        JsonNode pw = preset.path("devices").get("watchdog");
        if (set(pw)) {
            ObjectNode devices = Json.with(vmi, "devices");
            if (!set(devices.get("watchdog"))) {
                devices.set("watchdog", pw.deepCopy());
            }
            if (devices.get("watchdog").equals(pw)) {
                applied = true;
            }
        }
        return applied;
    }

    /** The clock without its timers: KubeVirt's inline {@code ClockOffset} ({@code utc} / {@code timezone}). */
    private static ObjectNode clockOffset(JsonNode clock) {
        ObjectNode o = clock.deepCopy();
        o.remove("timer");
        return o;
    }

    private static boolean set(JsonNode n) {
        return n != null && !n.isNull() && !n.isMissingNode();
    }

    private static boolean sameQuantity(JsonNode a, JsonNode b) {
        Optional<Quantity> qa = Quantity.tryParse(a.asText());
        Optional<Quantity> qb = Quantity.tryParse(b.asText());
        return qa.isPresent() && qb.isPresent() ? qa.get().compareTo(qb.get()) == 0 : a.asText().equals(b.asText());
    }

    private static boolean sameRequests(JsonNode a, JsonNode b) {
        if (a == null || !a.isObject() || a.size() != b.size()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!a.has(e.getKey()) || !sameQuantity(a.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code metav1.LabelSelectorAsSelector}: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist);
     * an empty or missing selector matches everything.
     *
     * @throws IllegalArgumentException for an operator or values the API rejects
     */
    static LabelSelector selector(JsonNode sel) {
        List<LabelSelector.Requirement> reqs = new ArrayList<>();
        if (sel == null || !sel.isObject()) {
            return LabelSelector.EVERYTHING;
        }
        sel.path("matchLabels").fields().forEachRemaining(e -> reqs.add(new LabelSelector.Requirement(e.getKey(),
                LabelSelector.Op.EQUALS, Set.of(e.getValue().asText()))));
        for (JsonNode expr : sel.path("matchExpressions")) {
            String key = expr.path("key").asText();
            String op = expr.path("operator").asText();
            Set<String> values = new LinkedHashSet<>();
            expr.path("values").forEach(v -> values.add(v.asText()));
            LabelSelector.Op o = switch (op) {
                case "In" -> LabelSelector.Op.IN;
                case "NotIn" -> LabelSelector.Op.NOT_IN;
                case "Exists" -> LabelSelector.Op.EXISTS;
                case "DoesNotExist" -> LabelSelector.Op.DOES_NOT_EXIST;
                default -> throw new IllegalArgumentException("\"" + op + "\" is not a valid label selector operator");
            };
            if ((o == LabelSelector.Op.IN || o == LabelSelector.Op.NOT_IN) && values.isEmpty()) {
                throw new IllegalArgumentException("values: Invalid value: []string(nil): for 'in', 'notin' "
                        + "operators, values set can't be empty");
            }
            if ((o == LabelSelector.Op.EXISTS || o == LabelSelector.Op.DOES_NOT_EXIST) && !values.isEmpty()) {
                throw new IllegalArgumentException("values: Invalid value: " + goStrings(values) + ": values set "
                        + "must be empty for exists and does not exist");
            }
            reqs.add(new LabelSelector.Requirement(key, o, Set.copyOf(values)));
        }
        return new LabelSelector(List.copyOf(reqs));
    }

    private static String goStrings(Set<String> values) {
        return "[]string{" + String.join(", ", values.stream().map(v -> "\"" + v + "\"").toList()) + "}";
    }
}
