package io.jvirt.launcher.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.launcher.domain.ConverterContext;
import io.jvirt.launcher.domain.DomainConverter;

/** VMI + prepared node context → libvirt domain XML. The default is {@link DomainConverter#toXml}. */
@FunctionalInterface
public interface DomainXmlConverter {

    DomainXmlConverter DEFAULT = DomainConverter::toXml;

    String toXml(JsonNode vmi, ConverterContext ctx);
}
