package io.jvirt.launcher.domain;

/**
 * One area of the VMI → domain conversion (CPU, disks, network, ...), as KubeVirt's converter runs a list of domain
 * configurators. An implementation is a pure function: it reads the VMI and the context and writes only into the
 * domain being built; it throws {@link ConversionException} for anything it cannot convert.
 */
@FunctionalInterface
interface DomainConfigurator {

    void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain);
}
