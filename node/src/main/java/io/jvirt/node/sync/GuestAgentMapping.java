package io.jvirt.node.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.libvirt.DomainDevices;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * QEMU guest agent replies (QGA JSON, the {@code return} values) → KubeVirt's shapes: {@code status.guestOSInfo},
 * {@code status.interfaces}, and the {@code guestosinfo}, {@code userlist} and {@code filesystemlist} subresources
 * ({@code VirtualMachineInstanceGuestAgentInfo}, {@code VirtualMachineInstanceGuestOSUserList},
 * {@code VirtualMachineInstanceFileSystemList}). Pure functions, as virt-launcher's agent poller and its
 * {@code GetGuestInfo} do it.
 */
public final class GuestAgentMapping {
    /** {@code status.interfaces[].infoSource} values (KubeVirt's vmispec constants). */
    static final String INFO_DOMAIN = "domain";
    static final String INFO_GUEST_AGENT = "guest-agent";
    static final String INFO_DOMAIN_AND_GUEST_AGENT = INFO_DOMAIN + ", " + INFO_GUEST_AGENT;
    /** virt-launcher's {@code GetGuestInfo} lists at most 10 users and 10 file systems ({@code GetUsers(10)}). */
    static final int GUEST_INFO_LIMIT = 10;
    /** The agent commands behind {@code guestosinfo}. */
    public static final List<String> GUEST_INFO_COMMANDS = List.of("guest-info", "guest-get-host-name",
            "guest-get-osinfo", "guest-get-timezone", "guest-get-users", "guest-get-fsinfo", "guest-fsfreeze-status");

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private GuestAgentMapping() {
    }

    /** {@code VirtualMachineInstanceGuestOSInfo} from {@code guest-get-osinfo}; empty fields are left out. */
    public static ObjectNode guestOsInfo(JsonNode osinfo) {
        ObjectNode o = F.objectNode();
        copy(osinfo, "name", o, "name");
        copy(osinfo, "kernel-release", o, "kernelRelease");
        copy(osinfo, "version", o, "version");
        copy(osinfo, "pretty-name", o, "prettyName");
        copy(osinfo, "version-id", o, "versionId");
        copy(osinfo, "kernel-version", o, "kernelVersion");
        copy(osinfo, "machine", o, "machine");
        copy(osinfo, "id", o, "id");
        return o;
    }

    /**
     * {@code status.interfaces}: the domain's NICs in domain order (name from the device alias, MAC), each merged by
     * MAC with what the guest reports ({@code guest-network-get-interfaces}: guest interface name, addresses;
     * infoSource {@code domain, guest-agent}), then guest interfaces the domain does not know ({@code guest-agent};
     * loopback skipped). A NIC the guest does not report keeps infoSource {@code domain} and {@code domainOnlyIp}: the address
     * user-mode networking gives every guest, standing in for the pod IP KubeVirt reports for masquerade.
     *
     * @param guestInterfaces the agent's reply, or null when there is none (no agent, or not answered yet)
     */
    public static ArrayNode interfaces(List<DomainDevices.Nic> nics, JsonNode guestInterfaces, String domainOnlyIp) {
        List<JsonNode> guest = new ArrayList<>();
        if (guestInterfaces != null) {
            for (JsonNode g : guestInterfaces) {
                if (!g.path("name").asText().equals("lo")) {
                    guest.add(g);
                }
            }
        }
        ArrayNode out = F.arrayNode();
        Set<JsonNode> matched = Collections.newSetFromMap(new IdentityHashMap<>());
        for (DomainDevices.Nic nic : nics) {
            ObjectNode i = out.addObject();
            if (nic.name() != null) {
                i.put("name", nic.name());
            }
            if (nic.mac() != null) {
                i.put("mac", nic.mac());
            }
            JsonNode g = nic.mac() == null ? null : guest.stream()
                    .filter(x -> nic.mac().equals(mac(x)) && !matched.contains(x)).findFirst().orElse(null);
            if (g != null) {
                matched.add(g);
                guestSide(g, i);
                i.put("infoSource", INFO_DOMAIN_AND_GUEST_AGENT);
            } else {
                if (domainOnlyIp != null) {
                    i.put("ipAddress", domainOnlyIp);
                    i.putArray("ipAddresses").add(domainOnlyIp);
                }
                i.put("infoSource", INFO_DOMAIN);
            }
        }
        for (JsonNode g : guest) {
            if (!matched.contains(g)) {
                ObjectNode i = out.addObject();
                if (mac(g) != null) {
                    i.put("mac", mac(g));
                }
                guestSide(g, i);
                i.put("infoSource", INFO_GUEST_AGENT);
            }
        }
        return out;
    }

    /** interfaceName, ipAddress (the first IPv4, else the first address) and ipAddresses (all), as virt-launcher. */
    private static void guestSide(JsonNode g, ObjectNode i) {
        i.put("interfaceName", g.path("name").asText());
        List<String> ips = new ArrayList<>();
        String primary = null;
        for (JsonNode a : g.path("ip-addresses")) {
            String ip = a.path("ip-address").asText("");
            if (ip.isEmpty()) {
                continue;
            }
            ips.add(ip);
            if (primary == null && a.path("ip-address-type").asText().equals("ipv4")) {
                primary = ip;
            }
        }
        if (!ips.isEmpty()) {
            i.put("ipAddress", primary != null ? primary : ips.getFirst());
            ArrayNode arr = i.putArray("ipAddresses");
            ips.forEach(arr::add);
        }
    }

    private static String mac(JsonNode g) {
        String m = g.path("hardware-address").asText("");
        return m.isEmpty() ? null : m.toLowerCase(Locale.ROOT);
    }

    /**
     * {@code VirtualMachineInstanceGuestAgentInfo} from the replies of {@link #GUEST_INFO_COMMANDS} (command name →
     * return value; a command that failed is simply absent), as virt-launcher's {@code GetGuestInfo} builds it:
     * {@code timezone} is {@code "<zone>, <offset seconds>"}, users and file systems are capped at
     * {@value #GUEST_INFO_LIMIT}.
     */
    public static ObjectNode guestAgentInfo(Map<String, JsonNode> replies) {
        ObjectNode o = F.objectNode();
        JsonNode info = replies.get("guest-info");
        if (info != null) {
            copy(info, "version", o, "guestAgentVersion");
            ArrayNode cmds = F.arrayNode();
            for (JsonNode c : info.path("supported_commands")) {
                ObjectNode e = cmds.addObject();
                e.put("name", c.path("name").asText());
                if (c.path("enabled").asBoolean(false)) {
                    e.put("enabled", true);
                }
            }
            if (!cmds.isEmpty()) {
                o.set("supportedCommands", cmds);
            }
        }
        JsonNode host = replies.get("guest-get-host-name");
        if (host != null) {
            copy(host, "host-name", o, "hostname");
        }
        o.set("os", guestOsInfo(replies.getOrDefault("guest-get-osinfo", F.objectNode())));
        JsonNode tz = replies.get("guest-get-timezone");
        if (tz != null) {
            o.put("timezone", tz.path("zone").asText("") + ", " + tz.path("offset").asLong(0));
        }
        ArrayNode users = users(replies.get("guest-get-users"), GUEST_INFO_LIMIT);
        if (!users.isEmpty()) {
            o.set("userList", users);
        }
        o.putObject("fsInfo").set("disks", fileSystems(replies.get("guest-get-fsinfo"), GUEST_INFO_LIMIT));
        JsonNode freeze = replies.get("guest-fsfreeze-status");
        if (freeze != null && freeze.isTextual()) {
            o.put("fsFreezeStatus", freeze.asText());
        }
        return o;
    }

    /** {@code VirtualMachineInstanceGuestOSUserList} from {@code guest-get-users} (null: none). */
    public static ObjectNode userList(JsonNode users) {
        ObjectNode o = F.objectNode();
        o.putObject("metadata");
        o.set("items", users(users, Integer.MAX_VALUE));
        return o;
    }

    /** {@code VirtualMachineInstanceFileSystemList} from {@code guest-get-fsinfo} (null: none). */
    public static ObjectNode fileSystemList(JsonNode fsinfo) {
        ObjectNode o = F.objectNode();
        o.putObject("metadata");
        o.set("items", fileSystems(fsinfo, Integer.MAX_VALUE));
        return o;
    }

    /**
     * {@code VirtualMachineInstanceGuestOSUser}s. {@code loginTime} is in milliseconds since the epoch: KubeVirt takes
     * it from libvirt's {@code virDomainGetGuestInfo}, which reports the agent's seconds × 1000.
     */
    private static ArrayNode users(JsonNode users, int limit) {
        ArrayNode out = F.arrayNode();
        if (users == null) {
            return out;
        }
        for (JsonNode u : users) {
            if (out.size() >= limit) {
                break;
            }
            ObjectNode e = out.addObject();
            e.put("userName", u.path("user").asText());
            copy(u, "domain", e, "domain");
            if (u.path("login-time").isNumber()) {
                e.put("loginTime", Math.round(u.get("login-time").asDouble() * 1000));
            }
        }
        return out;
    }

    /** {@code VirtualMachineInstanceFileSystem}s, with the disks behind each ({@code serial}, {@code busType}). */
    private static ArrayNode fileSystems(JsonNode fsinfo, int limit) {
        ArrayNode out = F.arrayNode();
        if (fsinfo == null) {
            return out;
        }
        for (JsonNode fs : fsinfo) {
            if (out.size() >= limit) {
                break;
            }
            ObjectNode e = out.addObject();
            e.put("diskName", fs.path("name").asText());
            e.put("mountPoint", fs.path("mountpoint").asText());
            e.put("fileSystemType", fs.path("type").asText());
            e.put("usedBytes", fs.path("used-bytes").asLong(0));
            e.put("totalBytes", fs.path("total-bytes").asLong(0));
            ArrayNode disks = F.arrayNode();
            for (JsonNode d : fs.path("disk")) {
                ObjectNode disk = disks.addObject();
                copy(d, "serial", disk, "serial");
                disk.put("busType", d.path("bus-type").asText());
            }
            if (!disks.isEmpty()) {
                e.set("disk", disks);
            }
        }
        return out;
    }

    /** Copies a non-empty text field under a new name. */
    private static void copy(JsonNode from, String field, ObjectNode to, String as) {
        JsonNode v = from == null ? null : from.get(field);
        if (v != null && !v.isNull() && !v.asText().isEmpty()) {
            to.put(as, v.asText());
        }
    }
}
