package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * Converts a {@code kubevirt.io/v1} VirtualMachineInstance (as a Jackson tree, KubeVirt's defaults applied) and the
 * node-side facts in a {@link ConverterContext} into libvirt domain XML — jvirt's counterpart of KubeVirt's
 * {@code virtwrap/converter}. Pure and deterministic: no I/O, the same input always yields the same string.
 *
 * <p>The conversion runs a fixed list of {@link DomainConfigurator}s, one per area. Dedicated CPUs, NUMA, hugepages
 * and IOThreads take the node's placement from {@link ConverterContext#placement()} ({@link PlacementConfigurator}).
 */
public final class DomainConverter {

    /** Namespace URI of jvirt's element in the domain {@code <metadata>} (for {@code virDomainGetMetadata}). */
    public static final String METADATA_NAMESPACE = "https://jvirt.io/xmlns/domain/1.0";
    /** Prefix of the jvirt metadata element: {@code <jvirt:vmi><jvirt:namespace/><jvirt:name/><jvirt:uid/>}. */
    public static final String METADATA_PREFIX = "jvirt";

    private static final List<DomainConfigurator> CONFIGURATORS = List.of(
            new UnsupportedFieldsCheck(),
            new IdentityConfigurator(),
            new MemoryConfigurator(),
            new CpuConfigurator(),
            new FeaturesConfigurator(),
            new PlacementConfigurator(),   // after memory, CPU and features: pins, NUMA cells, hint-dedicated
            new OsConfigurator(),          // after features: Secure Boot turns SMM on
            new ClockConfigurator(),
            new DiskConfigurator(),
            new NetworkConfigurator(),
            new ConsoleConfigurator(),
            new GraphicsConfigurator(),
            new DeviceConfigurator());     // last: decides the USB controller from the devices added before

    private DomainConverter() {
    }

    /**
     * The libvirt domain XML for {@code vmi}.
     *
     * @throws ConversionException naming the VMI field that cannot be converted
     */
    public static String toXml(JsonNode vmi, ConverterContext ctx) {
        if (ctx == null) {
            throw new IllegalArgumentException("ctx is required");
        }
        Vmi view = new Vmi(vmi);
        DomainSpec domain = new DomainSpec();
        for (DomainConfigurator configurator : CONFIGURATORS) {
            configurator.configure(view, ctx, domain);
        }
        return domain.toXml();
    }

    /** The libvirt domain name of a VMI: {@code <namespace>_<name>}. */
    public static String domainName(String namespace, String name) {
        return namespace + "_" + name;
    }
}
