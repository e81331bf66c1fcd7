package io.jvirt.launcher.domain;

/**
 * Serial console, unless {@code autoattachSerialConsole: false}: serial port 0 as a unix socket that libvirt/QEMU
 * binds ({@link ConverterContext#serialSocket()}, proxied by the node agent for {@code virtctl console}), and a
 * {@code <console>} on that same serial port. libvirt treats a console whose target type is {@code serial} as an alias
 * of the first {@code <serial>} (it replaces it with a copy of that serial device; a different source would be
 * rejected), so the console repeats the serial's type and source.
 */
final class ConsoleConfigurator implements DomainConfigurator {

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        if (!vmi.autoattach("autoattachSerialConsole")) {
            return;
        }
        if (ctx.serialSocket() == null) {
            throw ConversionException.at(Vmi.DEVICES + ".autoattachSerialConsole",
                    "the serial console is enabled but no serial socket path was prepared");
        }
        String socket = DomainSpec.unixSocket(ctx.serialSocket(), Vmi.DEVICES + ".autoattachSerialConsole");
        XmlElement serial = new XmlElement("serial").attr("type", "unix");
        serial.child("source").attr("mode", "bind").attr("path", socket);
        serial.child("target").attr("port", 0);
        domain.devices.serials.add(serial);

        XmlElement console = new XmlElement("console").attr("type", "unix");
        console.child("source").attr("mode", "bind").attr("path", socket);
        console.child("target").attr("type", "serial").attr("port", 0);
        domain.devices.consoles.add(console);
    }
}
