package io.jvirt.launcher.domain;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The libvirt domain being built by the configurators: one slot per top-level section and one list per device kind,
 * serialized in a fixed order so that the output is deterministic whatever order the configurators ran in.
 */
final class DomainSpec {

    String type;
    String name;
    String uuid;
    XmlElement metadata;
    long memoryBytes;
    /** {@code <memoryBacking>} (hugepages, memfd, immediate allocation), or null. */
    XmlElement memoryBacking;
    int vcpus;
    /** Number of IOThreads ({@code <iothreads>}); 0: none. */
    int iothreads;
    /** {@code <cputune>} (vCPU, emulator and IOThread pinning, realtime scheduler), or null. */
    XmlElement cputune;
    /** {@code <numatune>} (strict memory binding of guest NUMA cells), or null. */
    XmlElement numatune;
    XmlElement sysinfo;
    final XmlElement os = new XmlElement("os");
    /** Feature elements by name ({@code acpi}, {@code smm}, ...), in the order first set. */
    final Map<String, XmlElement> features = new LinkedHashMap<>();
    XmlElement cpu;
    XmlElement clock;
    String onPoweroff = "destroy";
    String onReboot = "restart";
    String onCrash = "destroy";
    final Devices devices = new Devices();

    private final Map<String, String> aliases = new TreeMap<>();
    private final Map<Long, String> bootOrders = new TreeMap<>();

    /** Device lists, written in this order inside {@code <devices>}. */
    static final class Devices {
        String emulator;
        final List<XmlElement> disks = new ArrayList<>();
        final List<XmlElement> controllers = new ArrayList<>();
        final List<XmlElement> interfaces = new ArrayList<>();
        final List<XmlElement> serials = new ArrayList<>();
        final List<XmlElement> consoles = new ArrayList<>();
        final List<XmlElement> channels = new ArrayList<>();
        final List<XmlElement> inputs = new ArrayList<>();
        final List<XmlElement> graphics = new ArrayList<>();
        final List<XmlElement> sounds = new ArrayList<>();
        final List<XmlElement> videos = new ArrayList<>();
        final List<XmlElement> watchdogs = new ArrayList<>();
        XmlElement memballoon;
        final List<XmlElement> rngs = new ArrayList<>();
        final List<XmlElement> panics = new ArrayList<>();
        /** Set by configurators that put a device on the USB bus (so no {@code model='none'} USB controller). */
        boolean usbInUse;
    }

    /** Sets a feature element, replacing an earlier one of the same name. */
    XmlElement feature(String featureName) {
        XmlElement element = new XmlElement(featureName);
        features.put(featureName, element);
        return element;
    }

    /**
     * Reserves a user alias ({@code ua-<name>}) for the device declared at {@code field}. libvirt rejects duplicate
     * aliases, so a clash (say, a disk and an interface both named {@code default}) is reported here, by field.
     */
    XmlElement alias(String deviceName, String field) {
        String alias = "ua-" + deviceName;
        String previous = aliases.putIfAbsent(alias, field);
        if (previous != null) {
            throw ConversionException.at(field, "device name '" + deviceName + "' is already used by " + previous
                    + " (libvirt device aliases must be unique)");
        }
        return new XmlElement("alias").attr("name", alias);
    }

    /** Reserves a boot order; libvirt requires them unique across disks and interfaces. */
    XmlElement bootOrder(long order, String field) {
        if (order < 1) {
            throw ConversionException.at(field, "must be 1 or higher, got " + order);
        }
        String previous = bootOrders.putIfAbsent(order, field);
        if (previous != null) {
            throw ConversionException.at(field, "boot order " + order + " is already used by " + previous);
        }
        return new XmlElement("boot").attr("order", order);
    }

    /**
     * A unix socket path from the context, checked against the kernel's {@code sun_path} limit (107 bytes plus NUL),
     * beyond which QEMU fails to bind with a less obvious error.
     */
    static String unixSocket(Path socket, String field) {
        String path = socket.toString();
        int length = path.getBytes(StandardCharsets.UTF_8).length;
        if (length > 107) {
            throw ConversionException.at(field, "socket path " + path + " is " + length
                    + " bytes long; unix sockets allow at most 107");
        }
        return path;
    }

    String toXml() {
        XmlElement domain = new XmlElement("domain").attr("type", type);
        domain.textChild("name", name);
        domain.textChild("uuid", uuid);
        if (metadata != null) {
            domain.add(metadata);
        }
        domain.child("memory").attr("unit", "b").text(Long.toString(memoryBytes));
        if (memoryBacking != null) {
            domain.add(memoryBacking);
        }
        domain.child("vcpu").attr("placement", "static").text(Integer.toString(vcpus));
        if (iothreads > 0) {
            domain.textChild("iothreads", iothreads);
        }
        if (cputune != null) {
            domain.add(cputune);
        }
        if (numatune != null) {
            domain.add(numatune);
        }
        if (sysinfo != null) {
            domain.add(sysinfo);
        }
        domain.add(os);
        if (!features.isEmpty()) {
            XmlElement f = domain.child("features");
            features.values().forEach(f::add);
        }
        if (cpu != null) {
            domain.add(cpu);
        }
        if (clock != null) {
            domain.add(clock);
        }
        domain.textChild("on_poweroff", onPoweroff);
        domain.textChild("on_reboot", onReboot);
        domain.textChild("on_crash", onCrash);

        XmlElement d = domain.child("devices");
        if (devices.emulator != null) {
            d.textChild("emulator", devices.emulator);
        }
        devices.disks.forEach(d::add);
        devices.controllers.forEach(d::add);
        devices.interfaces.forEach(d::add);
        devices.serials.forEach(d::add);
        devices.consoles.forEach(d::add);
        devices.channels.forEach(d::add);
        devices.inputs.forEach(d::add);
        devices.graphics.forEach(d::add);
        devices.sounds.forEach(d::add);
        devices.videos.forEach(d::add);
        devices.watchdogs.forEach(d::add);
        if (devices.memballoon != null) {
            d.add(devices.memballoon);
        }
        devices.rngs.forEach(d::add);
        devices.panics.forEach(d::add);

        StringBuilder out = new StringBuilder(4096);
        domain.write(out, 0);
        return out.toString();
    }
}
