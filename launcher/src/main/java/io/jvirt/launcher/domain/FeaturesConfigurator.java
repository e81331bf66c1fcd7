package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.kubevirt.TcgTranslationCache;

/**
 * {@code <features>} from {@code spec.domain.features}: ACPI (on unless {@code acpi.enabled: false}), APIC, SMM,
 * Hyper-V enlightenments (dropped under software emulation, where QEMU cannot provide them), KVM hiding, paravirtual
 * spinlocks; plus {@code <vmport state='off'/>} as KubeVirt sets on x86. Under software emulation (no KVM) the TCG
 * translation cache is capped, {@code <tcg><tb-cache>}, at {@link TcgTranslationCache}'s size (after
 * {@link MemoryConfigurator}, which sets the guest memory it depends on).
 * SMM required by Secure Boot is added by {@link OsConfigurator}.
 */
final class FeaturesConfigurator implements DomainConfigurator {

    private static final String FEATURES = "spec.domain.features";
    private static final String HYPERV = FEATURES + ".hyperv";

    /** KubeVirt's {@code features.hyperv} keys with a plain enabled state, and their libvirt element names. */
    private static final String[][] HYPERV_STATES = {
            {"relaxed", "relaxed"}, {"vapic", "vapic"}, {"vpindex", "vpindex"}, {"runtime", "runtime"},
            {"synic", "synic"}, {"reset", "reset"}, {"frequencies", "frequencies"},
            {"reenlightenment", "reenlightenment"}, {"ipi", "ipi"}, {"evmcs", "evmcs"},
    };

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        JsonNode features = Json.object(vmi.domain(), "features", Vmi.DOMAIN);

        if (enabled(features, "acpi", true, FEATURES)) {
            domain.feature("acpi");
        }
        JsonNode apic = Json.object(features, "apic", FEATURES);
        if (Json.isSet(apic) && Json.bool(apic, "enabled", true, FEATURES + ".apic")) {
            XmlElement element = domain.feature("apic");
            if (Json.bool(apic, "endOfInterrupt", false, FEATURES + ".apic")) {
                element.attr("eoi", "on");
            }
        }
        if (Json.has(features, "smm")) {
            domain.feature("smm").attr("state", onOff(enabled(features, "smm", true, FEATURES)));
        }

        JsonNode hyperv = Json.object(features, "hyperv", FEATURES);
        JsonNode passthrough = Json.object(features, "hypervPassthrough", FEATURES);
        boolean hypervPassthrough = Json.isSet(passthrough)
                && Json.bool(passthrough, "enabled", false, FEATURES + ".hypervPassthrough");
        if (hypervPassthrough && Json.isSet(hyperv)) {
            throw ConversionException.at(FEATURES + ".hypervPassthrough", "cannot be combined with " + HYPERV);
        }
        XmlElement enlightenments = hypervPassthrough ? new XmlElement("hyperv").attr("mode", "passthrough")
                : Json.isSet(hyperv) ? hyperv(hyperv) : null;
        // Hyper-V enlightenments are KVM-only: under TCG QEMU refuses to start ("kernel doesn't allow setting HyperV
        // VP_INDEX"). They are paravirtual hints, so an emulated guest runs without them.
        if (enlightenments != null && ctx.kvm()) {
            domain.features.put("hyperv", enlightenments);
        }

        JsonNode kvm = Json.object(features, "kvm", FEATURES);
        if (Json.isSet(kvm)) {
            domain.feature("kvm").child("hidden")
                    .attr("state", onOff(Json.bool(kvm, "hidden", false, FEATURES + ".kvm")));
        }
        if (Json.has(features, "pvspinlock")) {
            domain.feature("pvspinlock").attr("state", onOff(enabled(features, "pvspinlock", true, FEATURES)));
        }
        domain.feature("vmport").attr("state", "off");
        if (!ctx.kvm()) {
            long mib;
            try {
                mib = TcgTranslationCache.mebibytes(domain.memoryBytes, vmi.annotation(TcgTranslationCache.ANNOTATION));
            } catch (IllegalArgumentException e) {
                throw new ConversionException(e.getMessage());
            }
            domain.feature("tcg").child("tb-cache").attr("unit", "MiB").text(Long.toString(mib));
        }
    }

    private static XmlElement hyperv(JsonNode hyperv) {
        XmlElement element = new XmlElement("hyperv").attr("mode", "custom");
        for (String[] state : HYPERV_STATES) {
            if (Json.has(hyperv, state[0])) {
                element.child(state[1]).attr("state", onOff(enabled(hyperv, state[0], true, HYPERV)));
            }
        }
        JsonNode spinlocks = Json.object(hyperv, "spinlocks", HYPERV);
        if (Json.isSet(spinlocks)) {
            XmlElement s = element.child("spinlocks")
                    .attr("state", onOff(Json.bool(spinlocks, "enabled", true, HYPERV + ".spinlocks")));
            Long retries = Json.integer(spinlocks, "spinlocks", HYPERV + ".spinlocks");
            if (retries != null) {
                if (retries < 4096) {
                    throw ConversionException.at(HYPERV + ".spinlocks.spinlocks", "must be at least 4096, got "
                            + retries);
                }
                s.attr("retries", retries);
            }
        }
        JsonNode synictimer = Json.object(hyperv, "synictimer", HYPERV);
        if (Json.isSet(synictimer)) {
            XmlElement stimer = element.child("stimer")
                    .attr("state", onOff(Json.bool(synictimer, "enabled", true, HYPERV + ".synictimer")));
            if (Json.has(synictimer, "direct")) {
                boolean direct = enabled(synictimer, "direct", true, HYPERV + ".synictimer");
                stimer.child("direct").attr("state", onOff(direct));
            }
        }
        JsonNode vendorId = Json.object(hyperv, "vendorid", HYPERV);
        if (Json.isSet(vendorId)) {
            XmlElement v = element.child("vendor_id")
                    .attr("state", onOff(Json.bool(vendorId, "enabled", true, HYPERV + ".vendorid")));
            String value = Json.text(vendorId, "vendorid", HYPERV + ".vendorid");
            if (value != null) {
                if (value.length() > 12) {
                    throw ConversionException.at(HYPERV + ".vendorid.vendorid", "at most 12 characters");
                }
                v.attr("value", value);
            }
        }
        JsonNode tlbflush = Json.object(hyperv, "tlbflush", HYPERV);
        if (Json.isSet(tlbflush)) {
            if (Json.has(tlbflush, "direct") || Json.has(tlbflush, "extended")) {
                throw ConversionException.at(HYPERV + ".tlbflush",
                        "direct and extended TLB flush enlightenments are not supported yet");
            }
            element.child("tlbflush")
                    .attr("state", onOff(Json.bool(tlbflush, "enabled", true, HYPERV + ".tlbflush")));
        }
        return element;
    }

    /** {@code parent.name} is present and its {@code enabled} is not false (or absent and defaultValue). */
    private static boolean enabled(JsonNode parent, String name, boolean defaultValue, String path) {
        JsonNode feature = Json.object(parent, name, path);
        if (!Json.isSet(feature)) {
            return defaultValue;
        }
        return Json.bool(feature, "enabled", true, Json.field(path, name));
    }

    private static String onOff(boolean on) {
        return on ? "on" : "off";
    }
}
