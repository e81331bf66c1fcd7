package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * Graphics and input. Unless {@code autoattachGraphicsDevice: false}: VNC listening on the unix socket
 * {@link ConverterContext#vncSocket()} and a video device ({@code devices.video.type}, else {@code vga} with 16 MiB
 * VRAM and one head, or {@code bochs} for EFI guests as KubeVirt does with BochsDisplayForEFIGuests). A USB tablet
 * (absolute VNC pointer) only with {@code autoattachInputDevice: true}, which defaults to false as in KubeVirt, and
 * unless {@code devices.inputs} already has a tablet; without USB devices the domain gets no USB controller.
 * {@code devices.inputs[]}: tablets on the usb (default) or virtio bus.
 */
final class GraphicsConfigurator implements DomainConfigurator {

    private static final String INPUTS = Vmi.DEVICES + ".inputs";
    private static final int VRAM_KIB = 16384;

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        boolean tablet = inputs(vmi, domain);
        if (!vmi.autoattach("autoattachGraphicsDevice")) {
            return;
        }
        if (ctx.vncSocket() == null) {
            throw ConversionException.at(Vmi.DEVICES + ".autoattachGraphicsDevice",
                    "graphics are enabled but no VNC socket path was prepared");
        }
        XmlElement graphics = new XmlElement("graphics").attr("type", "vnc");
        graphics.child("listen").attr("type", "socket")
                .attr("socket", DomainSpec.unixSocket(ctx.vncSocket(), Vmi.DEVICES + ".autoattachGraphicsDevice"));
        domain.devices.graphics.add(graphics);

        String type = Json.text(Json.object(vmi.devices(), "video", Vmi.DEVICES), "type", Vmi.DEVICES + ".video");
        if (type == null) {
            type = vmi.isEfi() ? "bochs" : "vga";
        }
        if (!type.matches("[a-z0-9]+")) {
            throw ConversionException.at(Vmi.DEVICES + ".video.type", "'" + type + "' is not a video model");
        }
        XmlElement video = new XmlElement("video");
        XmlElement model = video.child("model").attr("type", type);
        if (type.equals("vga") || type.equals("bochs") || type.equals("cirrus") || type.equals("vmvga")) {
            model.attr("vram", VRAM_KIB);
        }
        if (!type.equals("ramfb") && !type.equals("none")) {
            model.attr("heads", 1);
        }
        domain.devices.videos.add(video);

        if (!tablet && Json.bool(vmi.devices(), "autoattachInputDevice", false, Vmi.DEVICES)) {
            domain.devices.inputs.add(new XmlElement("input").attr("type", "tablet").attr("bus", "usb"));
            domain.devices.usbInUse = true;
        }
    }

    /** Adds {@code devices.inputs[]}; returns whether one of them is a tablet. */
    private static boolean inputs(Vmi vmi, DomainSpec domain) {
        boolean tablet = false;
        List<JsonNode> inputs = Json.array(vmi.devices(), "inputs", Vmi.DEVICES);
        for (int i = 0; i < inputs.size(); i++) {
            String path = INPUTS + "[" + i + "]";
            JsonNode input = inputs.get(i);
            String name = Json.text(input, "name", path);
            if (name == null) {
                throw ConversionException.at(path + ".name", "is required");
            }
            String type = Json.text(input, "type", path);
            if (!"tablet".equals(type)) {
                throw ConversionException.at(path + ".type", "input contains unsupported type " + type
                        + " (only tablet)");
            }
            String bus = Json.text(input, "bus", path);
            if (bus == null) {
                bus = "usb";
            }
            XmlElement element = new XmlElement("input").attr("type", type);
            switch (bus) {
                case "usb" -> {
                    element.attr("bus", "usb");
                    domain.devices.usbInUse = true;
                }
                // libvirt has no (non-)transitional virtio input models
                case "virtio" -> element.attr("bus", "virtio").attr("model", "virtio");
                default -> throw ConversionException.at(path + ".bus", "input contains unsupported bus " + bus
                        + " (usb or virtio)");
            }
            element.add(domain.alias(name, path));
            domain.devices.inputs.add(element);
            tablet = true;
        }
        return tablet;
    }
}
