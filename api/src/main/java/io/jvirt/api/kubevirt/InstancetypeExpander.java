package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies an instancetype and a preference ({@code instancetype.kubevirt.io/v1beta1}) to a VM's template spec, as
 * KubeVirt's {@code pkg/instancetype/apply} does (pure):
 * <ul>
 *   <li>the instancetype's values are authoritative: a template that sets the same fields is a conflict,
 *       reported as {@code VM field(s) <paths> conflicts with selected instance type};</li>
 *   <li>the preference only fills what the template leaves unset.</li>
 * </ul>
 */
public final class InstancetypeExpander {
    private InstancetypeExpander() {
    }

    /** The expanded template spec, or the conflicts that prevent it. */
    public record Result(ObjectNode spec, List<String> conflicts) {
        public boolean ok() {
            return conflicts.isEmpty();
        }

        public String conflictMessage() {
            return "VM field(s) " + String.join(", ", conflicts) + " conflicts with selected instance type";
        }
    }

    /**
     * @param templateSpec        {@code spec.template.spec} of the VM (not modified)
     * @param instancetypeSpec    the instancetype's {@code spec}, or null
     * @param preferenceSpec      the preference's {@code spec}, or null
     * @param fieldRoot           how fields are named in conflicts, e.g. {@code spec.template.spec}
     */
    public static Result expand(JsonNode templateSpec, JsonNode instancetypeSpec, JsonNode preferenceSpec,
                                String fieldRoot) {
        ObjectNode spec = templateSpec.deepCopy();
        List<String> conflicts = new ArrayList<>();
        if (instancetypeSpec != null && !instancetypeSpec.isMissingNode()) {
            applyInstancetype(spec, instancetypeSpec, preferenceSpec, fieldRoot, conflicts);
        }
        if (preferenceSpec != null && !preferenceSpec.isMissingNode()) {
            applyPreference(spec, preferenceSpec);
        }
        return new Result(spec, List.copyOf(conflicts));
    }

    private static void applyInstancetype(ObjectNode spec, JsonNode it, JsonNode pref, String root,
                                          List<String> conflicts) {
        ObjectNode domain = obj(spec, "domain");
        JsonNode cpu = it.path("cpu");
        if (cpu.has("guest")) {
            ObjectNode c = obj(domain, "cpu");
            for (String f : new String[] {"sockets", "cores", "threads"}) {
                if (c.has(f)) {
                    conflicts.add(root + ".domain.cpu." + f);
                }
            }
            int guest = cpu.path("guest").asInt();
            String topology = pref == null ? "" : pref.path("cpu").path("preferredCPUTopology").asText("");
            int sockets = guest;
            int cores = 1;
            int threads = 1;
            switch (topology) {
                case "cores", "preferCores" -> {
                    sockets = 1;
                    cores = guest;
                }
                case "threads", "preferThreads" -> {
                    sockets = 1;
                    threads = guest;
                }
                case "spread", "preferSpread" -> {
                    // KubeVirt's default spread ratio is 1:2 sockets:cores
                    if (guest % 2 == 0) {
                        sockets = guest / 2;
                        cores = 2;
                    }
                }
                default -> {
                }
            }
            c.put("sockets", sockets);
            c.put("cores", cores);
            c.put("threads", threads);
            copyExclusive(cpu, "model", c, "model", root + ".domain.cpu.model", conflicts);
            copyExclusive(cpu, "dedicatedCPUPlacement", c, "dedicatedCpuPlacement",
                    root + ".domain.cpu.dedicatedCpuPlacement", conflicts);
            copyExclusive(cpu, "isolateEmulatorThread", c, "isolateEmulatorThread",
                    root + ".domain.cpu.isolateEmulatorThread", conflicts);
            copyExclusive(cpu, "numa", c, "numa", root + ".domain.cpu.numa", conflicts);
            copyExclusive(cpu, "realtime", c, "realtime", root + ".domain.cpu.realtime", conflicts);
            copyExclusive(cpu, "maxSockets", c, "maxSockets", root + ".domain.cpu.maxSockets", conflicts);
            if (domain.path("resources").path("requests").has("cpu")
                    || domain.path("resources").path("limits").has("cpu")) {
                conflicts.add(root + ".domain.resources.requests.cpu");
            }
        }
        JsonNode mem = it.path("memory");
        if (mem.has("guest")) {
            ObjectNode m = obj(domain, "memory");
            copyExclusive(mem, "guest", m, "guest", root + ".domain.memory.guest", conflicts);
            copyExclusive(mem, "hugepages", m, "hugepages", root + ".domain.memory.hugepages", conflicts);
            copyExclusive(mem, "maxGuest", m, "maxGuest", root + ".domain.memory.maxGuest", conflicts);
            JsonNode res = domain.path("resources");
            if (res.path("requests").has("memory")) {
                conflicts.add(root + ".domain.resources.requests.memory");
            }
            if (res.path("limits").has("memory")) {
                conflicts.add(root + ".domain.resources.limits.memory");
            }
            int pct = mem.path("overcommitPercent").asInt(0);
            if (pct > 0) {
                // KubeVirt: requests.memory = guest × (1 − overcommitPercent/100)
                Quantity guest = Quantity.parse(mem.path("guest").asText());
                BigDecimal req = guest.amount().multiply(BigDecimal.valueOf(100 - pct))
                        .divide(BigDecimal.valueOf(100), 0, RoundingMode.UP);
                obj(obj(domain, "resources"), "requests").put("memory",
                        Quantity.ofBytes(req.longValueExact()).toString());
            }
        }
        copyExclusive(it, "ioThreadsPolicy", domain, "ioThreadsPolicy", root + ".domain.ioThreadsPolicy", conflicts);
        copyExclusive(it, "ioThreads", domain, "ioThreads", root + ".domain.ioThreads", conflicts);
        copyExclusive(it, "launchSecurity", domain, "launchSecurity", root + ".domain.launchSecurity", conflicts);
        if (it.has("gpus")) {
            copyExclusive(it, "gpus", obj(domain, "devices"), "gpus", root + ".domain.devices.gpus", conflicts);
        }
        if (it.has("hostDevices")) {
            copyExclusive(it, "hostDevices", obj(domain, "devices"), "hostDevices",
                    root + ".domain.devices.hostDevices", conflicts);
        }
        copyExclusive(it, "nodeSelector", spec, "nodeSelector", root + ".nodeSelector", conflicts);
        copyExclusive(it, "schedulerName", spec, "schedulerName", root + ".schedulerName", conflicts);
    }

    private static void copyExclusive(JsonNode from, String field, ObjectNode to, String toField, String path,
                                      List<String> conflicts) {
        if (!from.has(field)) {
            return;
        }
        if (to.has(toField) && !to.get(toField).equals(from.get(field))) {
            conflicts.add(path);
            return;
        }
        to.set(toField, from.get(field).deepCopy());
    }

    private static void applyPreference(ObjectNode spec, JsonNode pref) {
        ObjectNode domain = obj(spec, "domain");
        JsonNode dev = pref.path("devices");
        ObjectNode devices = obj(domain, "devices");
        if (dev.has("preferredBlockMultiQueue") && !devices.has("blockMultiQueue")) {
            devices.set("blockMultiQueue", dev.get("preferredBlockMultiQueue"));
        }
        if (dev.has("preferredNetworkInterfaceMultiQueue") && !devices.has("networkInterfaceMultiqueue")) {
            devices.set("networkInterfaceMultiqueue", dev.get("preferredNetworkInterfaceMultiQueue"));
        }
        if (dev.has("preferredAutoattachGraphicsDevice") && !devices.has("autoattachGraphicsDevice")) {
            devices.set("autoattachGraphicsDevice", dev.get("preferredAutoattachGraphicsDevice"));
        }
        for (JsonNode d : devices.path("disks")) {
            ObjectNode disk = (ObjectNode) d;
            if (disk.has("disk") || !(disk.has("cdrom") || disk.has("lun"))) {
                ObjectNode target = obj(disk, "disk");
                if (dev.has("preferredDiskBus") && !target.has("bus")) {
                    target.set("bus", dev.get("preferredDiskBus"));
                }
            }
            if (disk.has("cdrom") && dev.has("preferredCdromBus") && !disk.path("cdrom").has("bus")) {
                ((ObjectNode) disk.get("cdrom")).set("bus", dev.get("preferredCdromBus"));
            }
            if (dev.has("preferredDiskDedicatedIoThread") && !disk.has("dedicatedIOThread")
                    && !disk.has("cdrom")) {
                disk.set("dedicatedIOThread", dev.get("preferredDiskDedicatedIoThread"));
            }
            if (dev.has("preferredDiskCache") && !disk.has("cache")) {
                disk.set("cache", dev.get("preferredDiskCache"));
            }
            if (dev.has("preferredDiskIO") && !disk.has("io")) {
                disk.set("io", dev.get("preferredDiskIO"));
            }
        }
        for (JsonNode i : devices.path("interfaces")) {
            if (dev.has("preferredInterfaceModel") && !i.has("model")) {
                ((ObjectNode) i).set("model", dev.get("preferredInterfaceModel"));
            }
        }
        JsonNode machine = pref.path("machine");
        if (machine.has("preferredMachineType") && !domain.path("machine").has("type")) {
            obj(domain, "machine").set("type", machine.get("preferredMachineType"));
        }
        if (pref.has("preferredTerminationGracePeriodSeconds") && !spec.has("terminationGracePeriodSeconds")) {
            spec.set("terminationGracePeriodSeconds", pref.get("preferredTerminationGracePeriodSeconds"));
        }
        if (pref.has("preferredSubdomain") && !spec.has("subdomain")) {
            spec.set("subdomain", pref.get("preferredSubdomain"));
        }
        JsonNode features = pref.path("features");
        if (features.isObject() && !features.isEmpty()) {
            ObjectNode f = obj(domain, "features");
            features.fields().forEachRemaining(e -> {
                String name = e.getKey().startsWith("preferred") ? lowerFirst(e.getKey().substring(9))
                        : e.getKey();
                if (!f.has(name)) {
                    f.set(name, e.getValue().deepCopy());
                }
            });
        }
        JsonNode fw = pref.path("firmware");
        if (fw.path("preferredUseEfi").asBoolean(false) && !domain.path("firmware").has("bootloader")) {
            ObjectNode efi = obj(obj(obj(domain, "firmware"), "bootloader"), "efi");
            if (fw.has("preferredUseSecureBoot")) {
                efi.set("secureBoot", fw.get("preferredUseSecureBoot"));
            }
        }
        if (spec.path("domain").path("devices").isObject() && devices.isEmpty()) {
            domain.remove("devices");
        }
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static ObjectNode obj(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return parent.putObject(field);
    }
}
