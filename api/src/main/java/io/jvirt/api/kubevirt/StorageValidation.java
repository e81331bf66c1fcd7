package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Tree.has;
import static io.jvirt.api.kubevirt.Tree.index;
import static io.jvirt.api.kubevirt.Tree.list;
import static io.jvirt.api.kubevirt.Tree.path;
import static io.jvirt.api.kubevirt.Tree.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Disks, volumes and boot order: KubeVirt's {@code pkg/storage/admitters/disks.go} and the storage parts of
 * {@code vmi-create-admitter.go} (reference §3.6). Messages and field paths are KubeVirt's, including the places
 * where KubeVirt builds an odd path (marked "sic"): clients that match on them keep working.
 */
final class StorageValidation {
    private static final int MAX_STR_LEN = 256;
    private static final int MIN_BLOCK = 512;
    private static final int MAX_BLOCK = 2097152;
    private static final int CLOUD_INIT_MAX = 2048;
    private static final Pattern SERIAL = Pattern.compile("^[A-Za-z0-9_.+-]+$");
    /** {@code hardware.ParsePciAddress}'s pattern (the dot is unescaped upstream too). */
    private static final Pattern PCI = Pattern.compile("^([\\da-fA-F]{4}):([\\da-fA-F]{2}):([\\da-fA-F]{2}).([0-7])$");
    private static final List<String> VOLUME_SOURCES = List.of("persistentVolumeClaim", "sysprep", "cloudInitNoCloud",
            "cloudInitConfigDrive", "containerDisk", "ephemeral", "emptyDisk", "hostDisk", "dataVolume", "configMap",
            "secret", "downwardAPI", "serviceAccount", "downwardMetrics", "memoryDump");

    private StorageValidation() {
    }

    /** {@code validateBootOrder}: disks map to volumes, LUN and downwardMetrics mapping, unique boot orders. */
    static void bootOrder(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        Map<String, JsonNode> volumes = new HashMap<>();
        for (JsonNode v : list(spec, "volumes")) {
            volumes.putIfAbsent(text(v, "name"), v);
        }
        Set<Long> bootOrders = new HashSet<>();
        String disksPath = path(f, "domain", "devices", "disks");
        List<JsonNode> disks = list(spec, "domain", "devices", "disks");
        for (int i = 0; i < disks.size(); i++) {
            JsonNode disk = disks.get(i);
            String d = index(disksPath, i);
            JsonNode volume = volumes.get(text(disk, "name"));
            if (volume == null) {
                if (!has(disk, "cdrom")) {
                    causes.add(Cause.invalid(path(d, "name"),
                            path(d, "Name") + " '" + text(disk, "name") + "' not found."));
                } else if (!config.enabled(FeatureGates.DECLARATIVE_HOTPLUG_VOLUMES)) {
                    causes.add(Cause.invalid(path(d, "name"), FeatureGates.DECLARATIVE_HOTPLUG_VOLUMES
                            + " feature gate not enabled, cannot define an empty CD-ROM disk"));
                }
            }
            if (has(disk, "lun") && volume != null && !has(volume, "persistentVolumeClaim")
                    && !has(volume, "dataVolume")) {
                causes.add(Cause.invalid(path(d, "lun"),
                        path(d, "lun") + " can only be mapped to a DataVolume or PersistentVolumeClaim volume."));
            }
            if (volume != null && has(volume, "downwardMetrics")) {
                if (!has(disk, "disk")) {
                    causes.add(Cause.required(path(d, "disk"), "DownwardMetrics volume must be mapped to a disk, but "
                            + "disk is not set on " + path(d, "disk") + "."));
                } else {
                    String bus = text(disk, "disk", "bus");
                    if (!bus.isEmpty() && !bus.equals("virtio")) {
                        causes.add(Cause.invalid(path(d, "disk", "bus"), "DownwardMetrics volume must be mapped to "
                                + "virtio bus, but " + path(d, "disk", "bus") + " is set to " + bus));
                    }
                }
            }
            JsonNode bo = disk.path("bootOrder");
            if (has(bo) && bo.isNumber()) {
                if (!bootOrders.add(bo.asLong())) {
                    causes.add(Cause.invalid(path(d, "bootOrder"), "Boot order for " + path(d, "bootOrder")
                            + " already set for a different device."));
                }
            }
        }
        List<JsonNode> ifaces = list(spec, "domain", "devices", "interfaces");
        for (int i = 0; i < ifaces.size(); i++) {
            JsonNode bo = ifaces.get(i).path("bootOrder");
            if (!has(bo) || !bo.isNumber()) {
                continue;
            }
            String ip = index(path(f, "domain", "devices", "interfaces"), i);
            if (bo.asLong() < 1) {
                // sic: KubeVirt indexes the spec root here
                causes.add(Cause.invalid(path(index(f, i), "bootOrder"),
                        index(f, i) + " must have a boot order > 0, if supplied"));
            } else if (!bootOrders.add(bo.asLong())) {
                causes.add(Cause.invalid(path(ip, "bootOrder"), "Boot order for " + path(ip, "bootOrder")
                        + " already set for a different device."));
            }
        }
    }

    /** {@code storageadmitters.ValidateDisks} on {@code <f>.domain.devices.disks}. */
    static void disks(JsonNode spec, String f, List<Cause> causes) {
        String field = path(f, "domain", "devices", "disks");
        List<JsonNode> disks = list(spec, "domain", "devices", "disks");
        for (int idx = 0; idx < disks.size(); idx++) {
            JsonNode disk = disks.get(idx);
            String d = index(field, idx);
            String name = text(disk, "name");
            for (int other = 0; other < idx; other++) {
                if (text(disks.get(other), "name").equals(name)) {
                    causes.add(Cause.invalid(path(d, "name"),
                            d + " and " + index(field, other) + " must not have the same Name."));
                }
            }
            int targets = (has(disk, "disk") ? 1 : 0) + (has(disk, "lun") ? 1 : 0) + (has(disk, "cdrom") ? 1 : 0);
            if (targets > 1) {
                causes.add(Cause.invalid(d, d + " can only have a single target type defined"));
            }
            String pci = text(disk, "disk", "pciAddress");
            if (has(disk, "disk") && !pci.isEmpty()) {
                String odd = index(path(field, "domain", "devices", "disks", "disk"), idx); // sic
                if (!text(disk, "disk", "bus").equals("virtio")) {
                    causes.add(Cause.invalid(path(odd, "pciAddress"), "disk " + path(odd, "name")
                            + " - setting a PCI address is only possible with bus type virtio."));
                }
                if (!PCI.matcher(pci).matches()) {
                    causes.add(Cause.invalid(path(odd, "pciAddress"), "disk " + path(odd, "name")
                            + " has malformed PCI address (" + pci + ")."));
                }
            }
            JsonNode bo = disk.path("bootOrder");
            if (has(bo) && bo.isNumber() && bo.asLong() < 1) {
                causes.add(Cause.invalid(path(d, "bootOrder"), d + " must have a boot order > 0, if supplied"));
            }
            busSupport(disk, d, field, idx, causes);
            String serial = text(disk, "serial");
            if (!serial.isEmpty() && !SERIAL.matcher(serial).matches()) {
                causes.add(Cause.invalid(path(d, "serial"),
                        d + " must be made up of the following characters [A-Za-z0-9_.+-], if specified"));
            }
            if (!serial.isEmpty() && serial.codePointCount(0, serial.length()) > MAX_STR_LEN) {
                causes.add(Cause.invalid(path(d, "serial"),
                        d + " must be less than or equal to " + MAX_STR_LEN + " in length, if specified"));
            }
            String cache = text(disk, "cache");
            if (!cache.isEmpty() && !List.of("none", "writethrough", "writeback").contains(cache)) {
                causes.add(Cause.invalid(path(d, "cache"), path(d, "cache") + " has invalid value " + cache));
            }
            String io = text(disk, "io");
            if (!io.isEmpty() && !io.equals("native") && !io.equals("threads")) {
                causes.add(Cause.notSupported(path(index(path(field, "domain", "devices", "disks"), idx), "io"),
                        "Disk IO mode for " + field + " is not supported. Supported modes are: native, threads."));
            }
            String errorPolicy = text(disk, "errorPolicy");
            if (has(disk, "errorPolicy")
                    && !List.of("stop", "ignore", "report", "enospace").contains(errorPolicy)) {
                causes.add(Cause.invalid(path(d, "errorPolicy"),
                        path(d, "errorPolicy") + " has invalid value \"" + errorPolicy + "\""));
            }
            for (String err : Names.dns1123Label(name)) {
                causes.add(Cause.invalid(path(index(path(field, "domain", "devices", "disks"), idx), "name"), err));
            }
            blockSize(disk, d, causes);
        }
    }

    private static void busSupport(JsonNode disk, String d, String field, int idx, List<Cause> causes) {
        String type = has(disk, "disk") ? "disk" : has(disk, "lun") ? "lun" : has(disk, "cdrom") ? "cdrom" : "";
        String bus = type.isEmpty() ? "" : text(disk, type, "bus");
        if (bus.isEmpty()) {
            return;
        }
        switch (bus) {
            case "ide" -> causes.add(Cause.invalid(path(d, type, "bus"), "IDE bus is not supported"));
            case "virtio" -> {
                if (type.equals("cdrom")) {
                    causes.add(Cause.invalid(path(d, "cdrom", "bus"), "Bus type virtio is invalid for CD-ROM device"));
                }
            }
            case "sata" -> {
                if (has(disk, "disk") && Tree.bool(disk.path("disk").path("readOnly"))) {
                    causes.add(Cause.invalid(path(d, "disk", "bus"), "sata hard-disks do not support read-only."));
                }
            }
            case "scsi", "usb" -> {
            }
            default -> causes.add(Cause.invalid(path(d, type, "bus"),
                    d + " is set with an unrecognized bus " + bus + ", must be one of: [virtio scsi sata usb]"));
        }
        if (Tree.bool(disk.path("dedicatedIOThread")) && !bus.equals("virtio")) {
            causes.add(Cause.notSupported(index(path(field, "domain", "devices", "disks"), idx), // sic
                    "IOThreads are not supported for disks on a " + bus + " bus"));
        }
    }

    private static void blockSize(JsonNode disk, String d, List<Cause> causes) {
        JsonNode bs = disk.path("blockSize");
        if (!has(bs, "custom")) {
            return;
        }
        JsonNode mv = bs.path("matchVolume");
        if (has(mv) && (!has(mv, "enabled") || mv.path("enabled").asBoolean(true))) {
            causes.add(Cause.invalid(path(d, "blockSize"),
                    "Block size matching can't be enabled together with a custom value"));
            return;
        }
        JsonNode custom = bs.path("custom");
        long logical = Tree.uint(custom, "logical");
        long physical = Tree.uint(custom, "physical");
        String c = path(d, "blockSize", "custom");
        String type = has(disk, "disk") ? "disk" : has(disk, "lun") ? "lun" : has(disk, "cdrom") ? "cdrom" : "";
        String bus = type.isEmpty() ? "" : text(disk, type, "bus");
        if (logical > physical) {
            causes.add(Cause.invalid(path(c, "logical"), "Logical size " + logical
                    + " must be the same or less than the physical size of " + physical));
        } else if (bus.equals("sata") && logical != MIN_BLOCK) {
            causes.add(Cause.invalid(path(c, "logical"),
                    "Logical size " + logical + " must be " + MIN_BLOCK + " for SATA devices"));
        } else if (has(custom, "discardGranularity") && logical != 0
                && Tree.uint(custom, "discardGranularity") % logical != 0) {
            causes.add(Cause.invalid(path(c, "discardGranularity"), "Discard granularity "
                    + Tree.uint(custom, "discardGranularity") + " must be multiples of logical size " + logical));
        } else {
            customBlockSize(path(c, "logical"), logical, causes);
            customBlockSize(path(c, "physical"), physical, causes);
        }
    }

    private static void customBlockSize(String field, long size, List<Cause> causes) {
        if (size < MIN_BLOCK) {
            causes.add(Cause.invalid(field, "Provided size of " + size
                    + " is less than the supported minimum size of " + MIN_BLOCK));
        } else if (size > MAX_BLOCK) {
            causes.add(Cause.invalid(field, "Provided size of " + size
                    + " is greater than the supported maximum size of " + MAX_BLOCK));
        } else if ((size & (size - 1)) != 0) {
            causes.add(Cause.invalid(field, "Provided size of " + size + " is not a power of 2"));
        }
    }

    /** {@code validateVolumes} on {@code <f>.volumes}. */
    static void volumes(JsonNode spec, String f, ClusterConfig config, List<Cause> causes) {
        String field = path(f, "volumes");
        Map<String, Integer> names = new HashMap<>();
        int serviceAccounts = 0;
        int downwardMetrics = 0;
        int memoryDumps = 0;
        List<JsonNode> volumes = list(spec, "volumes");
        for (int idx = 0; idx < volumes.size(); idx++) {
            JsonNode v = volumes.get(idx);
            String vp = index(field, idx);
            Integer other = names.putIfAbsent(text(v, "name"), idx);
            if (other != null) {
                causes.add(Cause.invalid(path(vp, "name"),
                        vp + " and " + index(field, other) + " must not have the same Name."));
            }
            int sources = 0;
            for (String s : VOLUME_SOURCES) {
                if (has(v, s)) {
                    sources++;
                }
            }
            if (has(v, "dataVolume") && text(v, "dataVolume", "name").isEmpty()) {
                causes.add(Cause.required(path(vp, "name"), "DataVolume 'name' must be set"));
            }
            serviceAccounts += has(v, "serviceAccount") ? 1 : 0;
            downwardMetrics += has(v, "downwardMetrics") ? 1 : 0;
            memoryDumps += has(v, "memoryDump") ? 1 : 0;
            if (sources != 1) {
                causes.add(Cause.invalid(vp, vp + " must have exactly one source type set"));
            }
            if (has(v, "cloudInitNoCloud") || has(v, "cloudInitConfigDrive")) {
                cloudInit(v, vp, causes);
            }
            if (has(v, "downwardMetrics") && !config.enabled(FeatureGates.DOWNWARD_METRICS)) {
                causes.add(Cause.invalid(vp,
                        "downwardMetrics disks are not allowed: DownwardMetrics feature gate is not enabled."));
            }
            if (has(v, "hostDisk")) {
                hostDisk(v.path("hostDisk"), vp, config, causes);
            }
            if (has(v, "configMap") && text(v, "configMap", "name").isEmpty()) {
                causes.add(Cause.invalid(path(vp, "configMap", "name"),
                        path(vp, "configMap", "name") + " is a required field"));
            }
            if (has(v, "secret") && text(v, "secret", "secretName").isEmpty()) {
                causes.add(Cause.invalid(path(vp, "secret", "secretName"),
                        path(vp, "secret", "secretName") + " is a required field"));
            }
            if (has(v, "serviceAccount") && text(v, "serviceAccount", "serviceAccountName").isEmpty()) {
                causes.add(Cause.invalid(path(vp, "serviceAccount", "serviceAccountName"),
                        path(vp, "serviceAccount", "serviceAccountName") + " is a required field"));
            }
        }
        if (serviceAccounts > 1) {
            causes.add(Cause.invalid(field, field + " must have max one serviceAccount volume set"));
        }
        if (downwardMetrics > 1) {
            causes.add(Cause.invalid(field, field + " must have max one downwardMetric volume set"));
        }
        if (memoryDumps > 1) {
            causes.add(Cause.invalid(field, field + " must have max one memory dump volume set"));
        }
    }

    private static void cloudInit(JsonNode v, String vp, List<Cause> causes) {
        String type = has(v, "cloudInitNoCloud") ? "cloudInitNoCloud" : "cloudInitConfigDrive";
        JsonNode ci = v.path(type);
        String tp = path(vp, type);
        int userSources = 0;
        int userLen = 0;
        int netSources = 0;
        int netLen = 0;
        if (!text(ci, "userDataSecretRef", "name").isEmpty()) {
            userSources++;
        }
        String userB64 = text(ci, "userDataBase64");
        if (!userB64.isEmpty()) {
            userSources++;
            try {
                userLen = Base64.getDecoder().decode(userB64).length;
            } catch (IllegalArgumentException e) {
                causes.add(Cause.invalid(path(tp, "userDataBase64"),
                        path(tp, "userDataBase64") + "." + type + ".userDataBase64 is not a valid base64 value."));
            }
        }
        String userData = text(ci, "userData");
        if (!userData.isEmpty()) {
            userSources++;
            userLen = userData.getBytes(StandardCharsets.UTF_8).length;
        }
        if (userSources > 1) {
            causes.add(Cause.invalid(tp, tp + " must have only one userdatasource set."));
        }
        if (userLen > CLOUD_INIT_MAX) {
            causes.add(Cause.invalid(tp, tp + " userdata exceeds " + CLOUD_INIT_MAX
                    + " byte limit. Should use UserDataSecretRef for larger data."));
        }
        if (!text(ci, "networkDataSecretRef", "name").isEmpty()) {
            netSources++;
        }
        String netB64 = text(ci, "networkDataBase64");
        if (!netB64.isEmpty()) {
            netSources++;
            try {
                netLen = Base64.getDecoder().decode(netB64).length;
            } catch (IllegalArgumentException e) {
                causes.add(Cause.invalid(path(tp, "networkDataBase64"), path(tp, "networkDataBase64") + "."
                        + type + ".networkDataBase64 is not a valid base64 value."));
            }
        }
        String netData = text(ci, "networkData");
        if (!netData.isEmpty()) {
            netSources++;
            netLen = netData.getBytes(StandardCharsets.UTF_8).length;
        }
        if (netSources > 1) {
            causes.add(Cause.invalid(tp, tp + " must have only one networkdata source set."));
        }
        if (netLen > CLOUD_INIT_MAX) {
            causes.add(Cause.invalid(tp, tp + " networkdata exceeds " + CLOUD_INIT_MAX
                    + " byte limit. Should use NetworkDataSecretRef for larger data."));
        }
        if (userSources == 0 && netSources == 0) {
            causes.add(Cause.invalid(tp,
                    tp + " must have at least one userdatasource or one networkdatasource set."));
        }
    }

    private static void hostDisk(JsonNode hd, String vp, ClusterConfig config, List<Cause> causes) {
        if (!config.enabled(FeatureGates.HOST_DISK)) {
            causes.add(Cause.invalid(vp, "HostDisk feature gate is not enabled"));
        }
        if (text(hd, "path").isEmpty()) {
            causes.add(new Cause(Cause.NOT_FOUND, path(vp, "hostDisk", "path"),
                    path(vp, "hostDisk", "path") + " is required for hostDisk volume"));
        }
        String type = text(hd, "type");
        if (!type.equals("Disk") && !type.equals("DiskOrCreate")) {
            causes.add(Cause.invalid(path(vp, "hostDisk", "type"), path(vp, "hostDisk", "type")
                    + " has invalid value '" + type + "', allowed are 'Disk' or 'DiskOrCreate'"));
        }
        if (type.equals("Disk") && Tree.quantity(hd, "capacity").filter(q -> !q.isZero()).isPresent()) {
            causes.add(Cause.invalid(path(vp, "hostDisk", "capacity"), path(vp, "hostDisk", "capacity")
                    + " is allowed to pass only with " + path(vp, "hostDisk", "type") + " equal to 'DiskOrCreate'"));
        }
    }

    /** {@code validateContainerDisks}: containerDisk paths are absolute and clean. */
    static void containerDisks(JsonNode spec, String f, List<Cause> causes) {
        List<JsonNode> volumes = list(spec, "volumes");
        for (int idx = 0; idx < volumes.size(); idx++) {
            String p = text(volumes.get(idx), "containerDisk", "path");
            if (has(volumes.get(idx), "containerDisk") && !p.isEmpty()) {
                validatePath(path(index(path(f, "volumes"), idx), "containerDisk"), p, causes);
            }
        }
    }

    /** {@code ValidatePath}. */
    static void validatePath(String field, String p, List<Cause> causes) {
        if (p.equals("/")) {
            causes.add(Cause.invalid(field, field + " must not point to root"));
            return;
        }
        String cleaned = Names.clean("/" + p);
        String provided = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        if (!cleaned.equals(provided)) {
            causes.add(Cause.invalid(field, field + " must be an absolute path to a file without relative components"));
        }
    }

    /** VMI only: every volume but memory dumps must be used by a disk or a filesystem. */
    static void volumeDisks(JsonNode spec, String f, List<Cause> causes) {
        Set<String> names = new HashSet<>();
        for (JsonNode d : list(spec, "domain", "devices", "disks")) {
            names.add(text(d, "name"));
        }
        for (JsonNode fs : list(spec, "domain", "devices", "filesystems")) {
            names.add(text(fs, "name"));
        }
        List<JsonNode> volumes = list(spec, "volumes");
        for (int idx = 0; idx < volumes.size(); idx++) {
            JsonNode v = volumes.get(idx);
            if (has(v, "memoryDump") || names.contains(text(v, "name"))) {
                continue;
            }
            String p = path(index(path(f, "domain", "volumes"), idx), "name"); // sic: KubeVirt's path
            causes.add(Cause.invalid(p, p + " '" + text(v, "name") + "' not found."));
        }
    }

    /** {@code ValidateDataVolumeTemplate} on a VM spec (field root {@code spec}). */
    static void dataVolumeTemplates(JsonNode vmSpec, List<Cause> causes) {
        List<JsonNode> templates = list(vmSpec, "dataVolumeTemplates");
        List<JsonNode> volumes = list(vmSpec, "template", "spec", "volumes");
        for (int idx = 0; idx < templates.size(); idx++) {
            JsonNode dv = templates.get(idx);
            String p = index("spec.dataVolumeTemplate", idx); // sic: singular, as KubeVirt
            Cause c = dataVolume(dv, p);
            if (c != null) {
                causes.add(c);
                continue;
            }
            String name = text(dv, "metadata", "name");
            boolean referenced = false;
            for (JsonNode v : volumes) {
                if (name.equals(text(v, "persistentVolumeClaim", "claimName"))
                        && has(v, "persistentVolumeClaim")
                        || has(v, "dataVolume") && name.equals(text(v, "dataVolume", "name"))) {
                    referenced = true;
                    break;
                }
            }
            if (!referenced) {
                causes.add(Cause.required(p, "DataVolumeTemplate entry " + p
                        + " must be referenced in the VMI template's 'volumes' list"));
            }
        }
    }

    private static Cause dataVolume(JsonNode dv, String p) {
        if (text(dv, "metadata", "name").isEmpty()) {
            return Cause.required(path(p, "name"),
                    "'name' field must not be empty for DataVolumeTemplate entry " + path(p, "name") + ".");
        }
        JsonNode spec = dv.path("spec");
        boolean pvc = has(spec, "pvc");
        boolean storage = has(spec, "storage");
        if (!pvc && !storage) {
            return Cause.invalid(path(p, "PVC", "Storage"), "Missing Data volume PVC or Storage");
        }
        if (pvc && storage) {
            return Cause.invalid(path(p, "PVC", "Storage"),
                    "Duplicate storage definition, both target storage and target pvc defined");
        }
        JsonNode target = pvc ? spec.path("pvc") : spec.path("storage");
        boolean external = has(target, "dataSourceRef") || has(target, "dataSource");
        boolean source = has(spec, "source") || has(spec, "sourceRef");
        if (external && source) {
            return Cause.invalid(path(p, "source"), "External population is incompatible with Source and SourceRef");
        }
        if (!external && !source) {
            return Cause.invalid(path(p, "source", "sourceRef"),
                    "Data volume should have either Source, SourceRef, or be externally populated");
        }
        if (has(spec, "source")) {
            int n = 0;
            var it = spec.path("source").fields();
            while (it.hasNext()) {
                if (has(it.next().getValue())) {
                    n++;
                }
            }
            if (n == 0) {
                return Cause.invalid(path(p, "source"), "Missing dataVolume valid source");
            }
            if (n > 1) {
                return Cause.invalid(path(p, "source"), "Multiple dataVolume sources");
            }
        }
        return null;
    }
}
