package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code <disk>} devices from {@code spec.domain.devices.disks[]}: each names a volume of {@code spec.volumes[]}, whose
 * prepared file is {@code ctx.disks().get(volumeName)}. Disks and CD-ROMs on the virtio, sata, scsi (with a virtio-scsi
 * controller) and usb buses; target names assigned per prefix in order ({@code vda, vdb...} for virtio, {@code sda,
 * sdb...} shared by sata, scsi and usb, as libvirt/KubeVirt do); cache and io modes as KubeVirt's launcher decides them
 * (see {@link #cacheMode}); {@code discard='unmap'} on writable disks; overlays carry their {@code <backingStore>}.
 *
 * <p>Virtio disks get {@code <driver iothread='k'/>} as {@link IoThreads} assigns them ({@code ioThreadsPolicy},
 * {@code dedicatedIOThread}) and, with {@code devices.blockMultiQueue}, {@code <driver queues='<vCPUs>'/>} (one
 * virtqueue per vCPU, as KubeVirt).
 *
 * <p>Not converted: LUNs, {@code pciAddress}, {@code blockSize.matchVolume} (rejected with a message);
 * {@code tag} and {@code changedBlockTracking} are ignored.
 */
final class DiskConfigurator implements DomainConfigurator {

    private static final String DISKS = Vmi.DEVICES + ".disks";
    private static final Set<String> BUSES = Set.of("virtio", "sata", "scsi", "usb");
    private static final Set<String> CACHE_MODES = Set.of("none", "writethrough", "writeback");
    private static final Set<String> IO_MODES = Set.of("native", "threads");
    private static final Set<String> ERROR_POLICIES = Set.of("stop", "report", "ignore", "enospace");
    private static final Set<String> FORMATS = Set.of("raw", "qcow2");

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        Map<String, Integer> volumeIndex = new HashMap<>();
        List<JsonNode> volumes = Json.array(vmi.spec(), "volumes", Vmi.SPEC);
        for (int j = 0; j < volumes.size(); j++) {
            String name = Json.text(volumes.get(j), "name", "spec.volumes[" + j + "]");
            if (name != null) {
                volumeIndex.putIfAbsent(name, j);
            }
        }

        IoThreads ioThreads = IoThreads.of(vmi);
        boolean multiQueue = Json.bool(vmi.devices(), "blockMultiQueue", false, Vmi.DEVICES);
        Map<String, Integer> perPrefix = new HashMap<>();
        boolean scsi = false;
        List<JsonNode> disks = Json.array(vmi.devices(), "disks", Vmi.DEVICES);
        for (int i = 0; i < disks.size(); i++) {
            String path = DISKS + "[" + i + "]";
            JsonNode disk = disks.get(i);
            String name = Json.text(disk, "name", path);
            if (name == null) {
                throw ConversionException.at(path + ".name", "is required");
            }
            Integer j = volumeIndex.get(name);
            if (j == null) {
                throw ConversionException.at(path + ".name", "volume '" + name + "' not found in spec.volumes");
            }
            PreparedDisk prepared = ctx.disks().get(name);
            if (prepared == null) {
                throw ConversionException.at("spec.volumes[" + j + "]", "volume '" + name + "'"
                        + volumeKind(volumes.get(j)) + " has no prepared disk on this node");
            }
            XmlElement element = disk(vmi, domain, disk, path, name, prepared, perPrefix);
            domain.devices.disks.add(element);
            String bus = element.find("target").attr("bus");
            if (bus.equals("virtio")) {
                XmlElement driver = element.find("driver");
                driver.attr("iothread", ioThreads.threadOf(i));
                if (multiQueue) {
                    driver.attr("queues", domain.vcpus);
                }
            }
            scsi |= bus.equals("scsi");
            domain.devices.usbInUse |= bus.equals("usb");
        }
        if (scsi) {
            domain.devices.controllers.add(new XmlElement("controller").attr("type", "scsi").attr("index", 0)
                    .attr("model", vmi.useVirtioTransitional() ? "virtio-transitional" : "virtio-scsi"));
        }
    }

    private static XmlElement disk(Vmi vmi, DomainSpec domain, JsonNode disk, String path, String name,
                                   PreparedDisk prepared, Map<String, Integer> perPrefix) {
        int kinds = (Json.has(disk, "disk") ? 1 : 0) + (Json.has(disk, "cdrom") ? 1 : 0)
                + (Json.has(disk, "lun") ? 1 : 0);
        if (kinds > 1) {
            throw ConversionException.at(path, "set at most one of disk, cdrom and lun");
        }
        if (Json.has(disk, "lun")) {
            throw ConversionException.at(path + ".lun", "LUN disks are not supported yet; attach the volume as a disk");
        }
        boolean cdrom = Json.has(disk, "cdrom");
        String kind = cdrom ? "cdrom" : "disk";
        String targetPath = path + "." + kind;
        JsonNode target = Json.object(disk, kind, path);

        String bus = Json.text(target, "bus", targetPath);
        if (bus == null) {
            bus = cdrom ? "sata" : "virtio";
        }
        if (bus.equals("ide")) {
            throw ConversionException.at(targetPath + ".bus", "IDE bus is not supported");
        }
        if (!BUSES.contains(bus)) {
            throw ConversionException.at(targetPath + ".bus", "'" + bus + "' is not one of virtio, sata, scsi, usb");
        }
        if (cdrom && bus.equals("virtio")) {
            throw ConversionException.at(targetPath + ".bus", "a CD-ROM cannot be on the virtio bus (use sata or "
                    + "scsi)");
        }
        if (Json.has(target, "pciAddress")) {
            throw ConversionException.at(targetPath + ".pciAddress", "explicit PCI addresses are not supported yet");
        }
        if (prepared.path() == null) {
            throw ConversionException.at(path, "the prepared disk of volume '" + name + "' has no path");
        }
        if (!FORMATS.contains(String.valueOf(prepared.format()))) {
            throw ConversionException.at(path, "prepared image of volume '" + name + "' has format '"
                    + prepared.format() + "' (raw or qcow2 expected)");
        }

        boolean readonly;
        if (cdrom) {
            readonly = true;     // libvirt CD-ROMs are always read-only
        } else {
            boolean explicit = Json.bool(target, "readonly", false, targetPath);
            if (explicit && bus.equals("sata")) {
                throw ConversionException.at(targetPath + ".readonly", "sata disks cannot be read-only");
            }
            // Read-only media (cloud-init ISOs) are opened read-only where the bus allows it.
            readonly = explicit || (prepared.readOnlyMedia() && !bus.equals("sata"));
        }
        boolean shareable = Json.bool(disk, "shareable", false, path);

        String cache = cacheMode(disk, path, prepared, shareable);
        String io = Json.text(disk, "io", path);
        if (io != null && !IO_MODES.contains(io)) {
            throw ConversionException.at(path + ".io", "'" + io + "' is not one of native, threads");
        }
        if (io == null && cache.equals("none") && prepared.preallocated()) {
            io = "native";
        }
        String errorPolicy = Json.text(disk, "errorPolicy", path);
        if (errorPolicy == null) {
            errorPolicy = "stop";
        } else if (!ERROR_POLICIES.contains(errorPolicy)) {
            throw ConversionException.at(path + ".errorPolicy", "'" + errorPolicy
                    + "' is not one of stop, report, ignore, enospace");
        }

        XmlElement element = new XmlElement("disk").attr("type", "file").attr("device", kind);
        if (bus.equals("virtio") && vmi.useVirtioTransitional()) {
            element.attr("model", "virtio-transitional");
        }
        element.child("driver").attr("name", "qemu").attr("type", prepared.format()).attr("cache", cache)
                .attr("io", io).attr("error_policy", errorPolicy).attr("discard", readonly ? null : "unmap");
        element.child("source").attr("file", prepared.path().toString());
        if (prepared.backingPath() != null) {
            if (!FORMATS.contains(String.valueOf(prepared.backingFormat()))) {
                throw ConversionException.at(path, "backing image of volume '" + name + "' has format '"
                        + prepared.backingFormat() + "' (raw or qcow2 expected)");
            }
            XmlElement backing = element.child("backingStore").attr("type", "file");
            backing.child("format").attr("type", prepared.backingFormat());
            backing.child("source").attr("file", prepared.backingPath().toString());
            backing.child("backingStore");   // the base image has no further backing file
        }
        String prefix = bus.equals("virtio") ? "vd" : "sd";
        int index = perPrefix.merge(prefix, 1, Integer::sum) - 1;
        XmlElement targetElement = element.child("target").attr("dev", prefix + suffix(index)).attr("bus", bus);
        if (cdrom) {
            String tray = Json.text(target, "tray", targetPath);
            if (tray != null && !tray.equals("open") && !tray.equals("closed")) {
                throw ConversionException.at(targetPath + ".tray", "'" + tray + "' is not one of open, closed");
            }
            targetElement.attr("tray", tray);
        }
        blockIo(disk, path, element);
        if (readonly) {
            element.child("readonly");
        }
        if (shareable) {
            element.child("shareable");
        }
        String serial = Json.text(disk, "serial", path);
        if (serial != null) {
            element.textChild("serial", serial);
        }
        Long bootOrder = Json.integer(disk, "bootOrder", path);
        if (bootOrder != null) {
            element.add(domain.bootOrder(bootOrder, path + ".bootOrder"));
        }
        element.add(domain.alias(name, path));
        return element;
    }

    /**
     * Explicit {@code cache} wins, except {@code none} on a file system without O_DIRECT, which QEMU would refuse;
     * unset → {@code none} when O_DIRECT works, else {@code writethrough}. Shareable disks need {@code none}.
     */
    static String cacheMode(JsonNode disk, String path, PreparedDisk prepared, boolean shareable) {
        String cache = Json.text(disk, "cache", path);
        if (cache != null && !CACHE_MODES.contains(cache)) {
            throw ConversionException.at(path + ".cache", "'" + cache
                    + "' is not one of none, writethrough, writeback");
        }
        if (shareable) {
            if (cache != null && !cache.equals("none")) {
                throw ConversionException.at(path + ".cache", "a shareable disk requires cache 'none', not '"
                        + cache + "'");
            }
            cache = "none";
        }
        if (cache == null) {
            return prepared.directIoSupported() ? "none" : "writethrough";
        }
        if (cache.equals("none") && !prepared.directIoSupported()) {
            throw new ConversionException("Unable to use 'none' cache mode, file system where " + prepared.path()
                    + " is stored does not support direct I/O");
        }
        return cache;
    }

    private static void blockIo(JsonNode disk, String path, XmlElement element) {
        JsonNode blockSize = Json.object(disk, "blockSize", path);
        if (!Json.isSet(blockSize)) {
            return;
        }
        String bsPath = path + ".blockSize";
        if (Json.has(blockSize, "matchVolume")) {
            throw ConversionException.at(bsPath + ".matchVolume", "is not supported yet; set blockSize.custom");
        }
        JsonNode custom = Json.object(blockSize, "custom", bsPath);
        if (!Json.isSet(custom)) {
            return;
        }
        if (Json.has(custom, "discardGranularity")) {
            throw ConversionException.at(bsPath + ".custom.discardGranularity", "is not supported yet");
        }
        Long logical = blockSizeValue(custom, "logical", bsPath + ".custom");
        Long physical = blockSizeValue(custom, "physical", bsPath + ".custom");
        if (logical != null || physical != null) {
            element.child("blockio").attr("logical_block_size", logical).attr("physical_block_size", physical);
        }
    }

    private static Long blockSizeValue(JsonNode custom, String name, String path) {
        Long value = Json.integer(custom, name, path);
        if (value != null && (value < 512 || value > (2 << 20) || Long.bitCount(value) != 1)) {
            throw ConversionException.at(path + "." + name, "must be a power of two between 512 and 2Mi, got " + value);
        }
        return value;
    }

    /** libvirt-style device suffix: 0 → a, 25 → z, 26 → aa, 701 → zz, 702 → aaa. */
    static String suffix(int index) {
        StringBuilder sb = new StringBuilder();
        int i = index;
        do {
            sb.insert(0, (char) ('a' + i % 26));
            i = i / 26 - 1;
        } while (i >= 0);
        return sb.toString();
    }

    private static String volumeKind(JsonNode volume) {
        var names = volume.fieldNames();
        while (names.hasNext()) {
            String field = names.next();
            if (!field.equals("name")) {
                return " (" + field + ")";
            }
        }
        return "";
    }
}
