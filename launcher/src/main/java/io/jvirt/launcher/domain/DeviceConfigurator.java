package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Set;

/**
 * The remaining devices: the qemu-guest-agent channel (always, as KubeVirt), the memory balloon (virtio with 10 s
 * statistics and free page reporting, or {@code model='none'} when {@code autoattachMemBalloon: false}), the virtio RNG
 * ({@code devices.rng}), watchdog, sound card and panic devices; and {@code <controller type='usb' model='none'/>}
 * when nothing needs USB (libvirt would otherwise add an xHCI controller). Runs after the configurators that may put
 * devices on USB.
 */
final class DeviceConfigurator implements DomainConfigurator {

    static final String GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0";

    private static final Set<String> WATCHDOG_ACTIONS = Set.of("poweroff", "reset", "shutdown");
    private static final Set<String> SOUND_MODELS = Set.of("ich9", "ac97");
    private static final Set<String> PANIC_MODELS = Set.of("isa", "hyperv");

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        JsonNode devices = vmi.devices();

        XmlElement channel = new XmlElement("channel").attr("type", "unix");
        if (ctx.guestAgentSocket() != null) {
            channel.child("source").attr("mode", "bind")
                    .attr("path", DomainSpec.unixSocket(ctx.guestAgentSocket(), "qemu-guest-agent channel"));
        }
        channel.child("target").attr("type", "virtio").attr("name", GUEST_AGENT_CHANNEL);
        domain.devices.channels.add(channel);

        if (vmi.autoattach("autoattachMemBalloon")) {
            XmlElement balloon = new XmlElement("memballoon").attr("model", vmi.virtioModel());
            if (freePageReporting(vmi)) {
                balloon.attr("freePageReporting", "on");
            }
            balloon.child("stats").attr("period", 10);
            domain.devices.memballoon = balloon;
        } else {
            domain.devices.memballoon = new XmlElement("memballoon").attr("model", "none");
        }

        if (Json.isSet(Json.object(devices, "rng", Vmi.DEVICES))) {
            XmlElement rng = new XmlElement("rng").attr("model", vmi.virtioModel());
            rng.child("backend").attr("model", "random").text("/dev/urandom");
            domain.devices.rngs.add(rng);
        }

        watchdog(devices, domain);
        sound(devices, domain);
        panics(devices, domain);

        if (!domain.devices.usbInUse) {
            domain.devices.controllers.add(new XmlElement("controller").attr("type", "usb").attr("index", 0)
                    .attr("model", "none"));
        }
    }

    /** As KubeVirt: off for hugepages and dedicated CPUs (and on request by annotation). */
    private static boolean freePageReporting(Vmi vmi) {
        JsonNode memory = Json.object(vmi.domain(), "memory", Vmi.DOMAIN);
        JsonNode cpu = Json.object(vmi.domain(), "cpu", Vmi.DOMAIN);
        return !Json.has(memory, "hugepages")
                && !Json.bool(cpu, "dedicatedCpuPlacement", false, "spec.domain.cpu")
                && !"true".equals(vmi.annotation("kubevirt.io/free-page-reporting-disabled"));
    }

    private static void watchdog(JsonNode devices, DomainSpec domain) {
        String path = Vmi.DEVICES + ".watchdog";
        JsonNode watchdog = Json.object(devices, "watchdog", Vmi.DEVICES);
        if (!Json.isSet(watchdog)) {
            return;
        }
        String name = Json.text(watchdog, "name", path);
        if (name == null) {
            throw ConversionException.at(path + ".name", "is required");
        }
        JsonNode i6300esb = Json.object(watchdog, "i6300esb", path);
        if (!Json.isSet(i6300esb)) {
            throw ConversionException.at(path, "only the i6300esb watchdog is supported");
        }
        String action = Json.text(i6300esb, "action", path + ".i6300esb");
        if (action == null) {
            action = "reset";
        } else if (!WATCHDOG_ACTIONS.contains(action)) {
            throw ConversionException.at(path + ".i6300esb.action", "'" + action
                    + "' is not one of poweroff, reset, shutdown");
        }
        XmlElement element = new XmlElement("watchdog").attr("model", "i6300esb").attr("action", action);
        element.add(domain.alias(name, path));
        domain.devices.watchdogs.add(element);
    }

    private static void sound(JsonNode devices, DomainSpec domain) {
        String path = Vmi.DEVICES + ".sound";
        JsonNode sound = Json.object(devices, "sound", Vmi.DEVICES);
        if (!Json.isSet(sound)) {
            return;
        }
        String name = Json.text(sound, "name", path);
        if (name == null) {
            throw ConversionException.at(path + ".name", "is required");
        }
        String model = Json.text(sound, "model", path);
        if (model == null) {
            model = "ich9";
        } else if (!SOUND_MODELS.contains(model)) {
            throw ConversionException.at(path + ".model", "'" + model + "' is not one of ich9, ac97");
        }
        XmlElement element = new XmlElement("sound").attr("model", model);
        element.add(domain.alias(name, path));
        domain.devices.sounds.add(element);
    }

    private static void panics(JsonNode devices, DomainSpec domain) {
        List<JsonNode> panics = Json.array(devices, "panicDevices", Vmi.DEVICES);
        for (int i = 0; i < panics.size(); i++) {
            String path = Vmi.DEVICES + ".panicDevices[" + i + "]";
            String model = Json.text(panics.get(i), "model", path);
            if (model == null) {
                model = "isa";
            } else if (model.equals("pvpanic")) {
                throw ConversionException.at(path + ".model", "pvpanic (pvpanic-pci) needs libvirt 9.1 or later; "
                        + "use isa");
            } else if (!PANIC_MODELS.contains(model)) {
                throw ConversionException.at(path + ".model", "'" + model + "' is not one of isa, hyperv, pvpanic");
            }
            domain.devices.panics.add(new XmlElement("panic").attr("model", model));
        }
    }
}
