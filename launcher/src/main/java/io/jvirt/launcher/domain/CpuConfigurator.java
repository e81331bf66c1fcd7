package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

/**
 * {@code <vcpu placement='static'>} and {@code <cpu>}: topology, mode/model and feature flags.
 *
 * <p>vCPUs = sockets × cores × threads (unset members count 1). When the topology is entirely unset (defaults not
 * applied), sockets come from {@code resources.limits.cpu}, else {@code requests.cpu}, rounded up, else 1 — as
 * KubeVirt's defaulting does.
 *
 * <p>Mode: {@code host-model} (default), {@code host-passthrough}, or a named model as {@code mode='custom'}. Under
 * software emulation (no KVM) host-model and host-passthrough describe the host CPU, which TCG cannot provide; they
 * are replaced by {@link #EMULATION_MODE} (see there). An explicitly named model is kept as asked.
 *
 * <p>The topology is the VMI's, also for dedicated CPUs: {@link PlacementConfigurator} pins the vCPUs and adds NUMA
 * cells without changing it (see there for KubeVirt issue #11749, guest threads on hosts without SMT).
 *
 * <p>Not converted yet: CPU hotplug ({@code maxSockets}); ignored, so such VMIs start with their current vCPUs.
 */
final class CpuConfigurator implements DomainConfigurator {

    /**
     * The CPU mode used under software emulation instead of host-model/host-passthrough: libvirt's {@code maximum}
     * (since libvirt 7.1), i.e. QEMU's {@code -cpu max}, every feature the emulator implements. Measured with libvirt
     * 9.0 / QEMU 7.2 TCG: host-passthrough is refused ("not supported by hypervisor"); {@code mode='custom'} with model
     * {@code max} fails to start ("Unknown CPU model max": the name is not in libvirt's CPU map); {@code qemu64} starts
     * but is an x86-64-v1 CPU (no SSE4.2/POPCNT), on which x86-64-v2 distributions (RHEL 9 and derivatives) refuse to
     * boot, and named models pin a feature set that older QEMU TCG may not implement; {@code maximum} starts and
     * follows whatever the installed QEMU can emulate (AVX2 on QEMU 7.2).
     */
    static final String EMULATION_MODE = "maximum";

    private static final String CPU = "spec.domain.cpu";
    private static final Set<String> POLICIES = Set.of("force", "require", "optional", "disable", "forbid");

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        JsonNode cpu = Json.object(vmi.domain(), "cpu", Vmi.DOMAIN);
        long sockets = Json.integer(cpu, "sockets", 0, 0, CPU);
        long cores = Json.integer(cpu, "cores", 0, 0, CPU);
        long threads = Json.integer(cpu, "threads", 0, 0, CPU);
        if (sockets == 0 && cores == 0 && threads == 0) {
            sockets = cpuCountFromResources(vmi);
        }
        sockets = Math.max(sockets, 1);
        cores = Math.max(cores, 1);
        threads = Math.max(threads, 1);
        long vcpus;
        try {
            vcpus = Math.multiplyExact(Math.multiplyExact(sockets, cores), threads);
        } catch (ArithmeticException e) {
            vcpus = Long.MAX_VALUE;
        }
        if (vcpus > 4096) {
            throw ConversionException.at(CPU, "sockets × cores × threads = " + vcpus + " vCPUs is more than 4096");
        }
        domain.vcpus = (int) vcpus;

        String model = Json.text(cpu, "model", CPU);
        if (model == null) {
            model = "host-model";
        }
        XmlElement element = new XmlElement("cpu");
        boolean hostCpu = model.equals("host-model") || model.equals("host-passthrough");
        if (hostCpu) {
            element.attr("mode", ctx.kvm() ? model : EMULATION_MODE);
        } else {
            element.attr("mode", "custom").attr("match", "exact");
            element.child("model").text(model);
        }
        element.child("topology").attr("sockets", sockets).attr("cores", cores).attr("threads", threads);

        List<JsonNode> features = Json.array(cpu, "features", CPU);
        for (int i = 0; i < features.size(); i++) {
            String path = CPU + ".features[" + i + "]";
            JsonNode feature = features.get(i);
            String name = Json.text(feature, "name", path);
            if (name == null) {
                throw ConversionException.at(path + ".name", "is required");
            }
            String policy = Json.text(feature, "policy", path);
            if (policy == null) {
                policy = "require";
            } else if (!POLICIES.contains(policy)) {
                throw ConversionException.at(path + ".policy", "CPU feature " + name + " uses policy " + policy
                        + " that is not supported (force, require, optional, disable or forbid)");
            }
            element.child("feature").attr("policy", policy).attr("name", name);
        }
        domain.cpu = element;
    }

    /** limits.cpu, else requests.cpu, rounded up; 1 when neither is set. */
    private static long cpuCountFromResources(Vmi vmi) {
        JsonNode resources = Json.object(vmi.domain(), "resources", Vmi.DOMAIN);
        for (String kind : new String[] {"limits", "requests"}) {
            String path = "spec.domain.resources." + kind;
            BigDecimal value = Quantity.read(Json.object(resources, kind, "spec.domain.resources"), "cpu", path);
            if (value != null && value.signum() > 0) {
                return Quantity.ceilToLong(value, path + ".cpu");
            }
        }
        return 1;
    }
}
