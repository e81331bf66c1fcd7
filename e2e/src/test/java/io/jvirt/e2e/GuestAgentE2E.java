package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.cli.JvirtCommand;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The QEMU guest agent end to end: the test guest's agent (busybox, {@code /sbin/jvirt-qga}) answers libvirt, the node
 * agent sets {@code AgentConnected}, {@code status.guestOSInfo} and the guest's addresses in {@code status.interfaces},
 * and the {@code guestosinfo}, {@code userlist}, {@code filesystemlist} subresources answer through the API server
 * (jvirt verbs and plain HTTP via {@code kubectl get --raw}). A guest without agent gets KubeVirt's 409.
 */
class GuestAgentE2E extends PlatformE2E {
    private static final String NO_AGENT = "VMI does not have guest agent connected";
    /** The user-mode network's guest address (QEMU's SLIRP DHCP). */
    private static final String GUEST_IP = "10.0.2.15";

    private static String raw(String vmi, String subresource) {
        return "/apis/subresources.kubevirt.io/v1/namespaces/" + NS + "/virtualmachineinstances/" + vmi + "/"
                + subresource;
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    /** KEY=VALUE lines of the test guest's /etc/os-release (quotes removed). */
    private static Map<String, String> osRelease() throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(TestGuest.repo().resolve("scripts/test-guest/rootfs/etc/os-release"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1).replaceAll("^\"|\"$", ""));
            }
        }
        return out;
    }

    /** The MAC of the domain's (only) interface, from libvirt. */
    private String domainMac(String vmi) {
        Kubectl.Result r = Kubectl.exec(null, java.util.List.of("virsh", "-c", platform.libvirt().uri(), "dumpxml",
                domain(vmi)));
        Matcher m = Pattern.compile("<mac address='([0-9a-f:]+)'").matcher(r.out());
        assertThat(m.find()).as("a MAC in the domain XML of %s: %s", vmi, r).isTrue();
        return m.group(1);
    }

    @Test
    void theAgentConnectsAndReportsTheGuest() throws Exception {
        String vm = "vm-agent";
        // the mounted seed gives guest-get-fsinfo a file system on a disk
        apply(vmManifest(vm, "runStrategy: Always", 0, CIRROS, """
                #!/bin/sh
                echo '%s'
                mkdir -p /mnt/cidata && mount -o ro "$(findfs LABEL=cidata)" /mnt/cidata
                """.formatted(USERDATA_LINE)));
        awaitVmiRunning(vm);
        await("VMI condition AgentConnected=True").atMost(BOOT).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    JsonNode c = condition(vmi(vm), "AgentConnected");
                    assertThat(c).as("AgentConnected in %s", vmi(vm).path("status")).isNotNull();
                    assertThat(c.path("status").asText()).isEqualTo("True");
                });
        step("agent of " + vm + " connected");

        // status.guestOSInfo is the guest's /etc/os-release and kernel
        Map<String, String> release = osRelease();
        ConsoleViewer console = console(vm);
        console.awaitShell(BOOT);
        await("status.guestOSInfo").atMost(CHANGE).untilAsserted(() -> {
            JsonNode os = vmi(vm).path("status").path("guestOSInfo");
            assertThat(os.path("id").asText()).isEqualTo(release.get("ID"));
            assertThat(os.path("name").asText()).isEqualTo(release.get("NAME"));
            assertThat(os.path("prettyName").asText()).isEqualTo(release.get("PRETTY_NAME"));
            assertThat(os.path("version").asText()).isEqualTo(release.get("VERSION"));
            assertThat(os.path("versionId").asText()).isEqualTo(release.get("VERSION_ID"));
            assertThat(os.path("machine").asText()).isEqualTo("x86_64");
            assertThat(console.output()).as("the console banner names the kernel")
                    .contains("kernel " + os.path("kernelRelease").asText() + ",");
            assertThat(os.path("kernelVersion").asText()).startsWith("#");
        });

        // status.interfaces: the domain's NIC with the address the guest reports
        String mac = domainMac(vm);
        await("the guest's address in status.interfaces").atMost(CHANGE).untilAsserted(() -> {
            JsonNode ifaces = vmi(vm).path("status").path("interfaces");
            assertThat(ifaces).as("status.interfaces %s", ifaces).hasSize(1);
            JsonNode i = ifaces.get(0);
            assertThat(i.path("name").asText()).isEqualTo("default");
            assertThat(i.path("mac").asText()).isEqualTo(mac);
            assertThat(i.path("interfaceName").asText()).isEqualTo("eth0");
            assertThat(i.path("ipAddress").asText()).isEqualTo(GUEST_IP);
            java.util.List<String> ips = new java.util.ArrayList<>();
            i.path("ipAddresses").forEach(a -> ips.add(a.asText()));
            assertThat(ips).contains(GUEST_IP);
            assertThat(i.path("infoSource").asText()).isEqualTo("domain, guest-agent");
        });

        // jvirt guestosinfo (virtctl's verb) and the subresource over plain HTTP
        JvirtCommand.Result info = jvirtOk("guestosinfo", vm);
        JsonNode gi = json(info.out());
        assertThat(gi.path("hostname").asText()).isEqualTo(vm);
        assertThat(gi.path("os").path("id").asText()).isEqualTo(release.get("ID"));
        assertThat(gi.path("os").path("prettyName").asText()).isEqualTo(release.get("PRETTY_NAME"));
        assertThat(gi.path("guestAgentVersion").asText()).isNotEmpty();
        assertThat(gi.path("supportedCommands").findValuesAsText("name")).contains("guest-get-osinfo",
                "guest-get-users", "guest-get-fsinfo", "guest-network-get-interfaces");
        assertThat(gi.path("timezone").asText()).isEqualTo("UTC, 0");
        assertThat(gi.path("userList").findValuesAsText("userName")).contains("root");
        assertThat(gi.path("fsInfo").path("disks").findValuesAsText("mountPoint")).contains("/mnt/cidata");
        assertThat(gi.path("fsFreezeStatus").asText()).isEqualTo("thawed");
        assertThat(info.out()).as("indented like virtctl's output").contains("\n  \"hostname\": \"" + vm + "\"");

        Kubectl.Result rawInfo = kubectl(null, "get", "--raw", raw(vm, "guestosinfo"));
        assertThat(rawInfo.exitCode()).as("kubectl get --raw guestosinfo: %s", rawInfo).isZero();
        assertThat(json(rawInfo.out()).path("hostname").asText()).isEqualTo(vm);
        assertThat(json(rawInfo.out()).path("os").path("name").asText()).isEqualTo(release.get("NAME"));

        // userlist / fslist
        JsonNode users = json(jvirtOk("userlist", vm).out());
        assertThat(users.path("items").findValuesAsText("userName")).contains("root");
        assertThat(users.path("items").get(0).path("loginTime").asLong()).isPositive();
        Kubectl.Result rawUsers = kubectl(null, "get", "--raw", raw(vm, "userlist"));
        assertThat(rawUsers.exitCode()).as("kubectl get --raw userlist: %s", rawUsers).isZero();
        assertThat(json(rawUsers.out()).path("items").findValuesAsText("userName")).contains("root");

        JsonNode fs = json(jvirtOk("fslist", vm).out());
        JsonNode seed = null;
        for (JsonNode f : fs.path("items")) {
            if (f.path("mountPoint").asText().equals("/mnt/cidata")) {
                seed = f;
            }
        }
        assertThat(seed).as("the mounted seed in %s", fs).isNotNull();
        assertThat(seed.path("fileSystemType").asText()).isEqualTo("iso9660");
        assertThat(seed.path("totalBytes").asLong()).isPositive();
        assertThat(seed.path("disk").findValuesAsText("busType")).containsExactly("virtio");
        Kubectl.Result rawFs = kubectl(null, "get", "--raw", raw(vm, "filesystemlist"));
        assertThat(rawFs.exitCode()).as("kubectl get --raw filesystemlist: %s", rawFs).isZero();
        assertThat(json(rawFs.out()).path("items").findValuesAsText("mountPoint")).contains("/mnt/cidata");

        Kubectl.Result discovery = kubectl(null, "get", "--raw", "/apis/subresources.kubevirt.io/v1");
        assertThat(discovery.out()).contains("virtualmachineinstances/userlist")
                .contains("virtualmachineinstances/filesystemlist");

        // the agent goes away: the condition is removed, what it reported stays
        console.type("touch /run/jvirt/no-guest-agent; killall jvirt-qga\r");
        await("AgentConnected removed").atMost(CHANGE).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(condition(vmi(vm), "AgentConnected")).as("conditions %s",
                        vmi(vm).path("status").path("conditions")).isNull());
        assertThat(vmi(vm).path("status").path("guestOSInfo").path("id").asText()).isEqualTo(release.get("ID"));
        JvirtCommand.Result gone = jvirt("guestosinfo", vm);
        assertThat(gone.exitCode()).as("jvirt guestosinfo without agent: %s", gone).isEqualTo(1);
        assertThat(gone.err()).contains(NO_AGENT);
    }

    @Test
    void withoutAnAgentTheSubresourcesAnswer409() {
        String vm = "vm-no-agent";
        apply(vmManifest(vm, "runStrategy: Always", 0, CIRROS, """
                #!/bin/sh
                touch /run/jvirt/no-guest-agent
                echo '%s'
                """.formatted(USERDATA_LINE)));
        awaitVmiRunning(vm);
        ConsoleViewer console = console(vm);
        console.awaitOutput("jvirt-guest: guest agent disabled", BOOT);
        console.awaitShell(BOOT);

        for (String verb : new String[] {"guestosinfo", "userlist", "fslist"}) {
            JvirtCommand.Result r = jvirt(verb, vm);
            assertThat(r.exitCode()).as("jvirt %s: %s", verb, r).isEqualTo(1);
            assertThat(r.err()).contains(NO_AGENT);
        }
        for (String sub : new String[] {"guestosinfo", "userlist", "filesystemlist"}) {
            Kubectl.Result r = kubectl(null, "get", "--raw", raw(vm, sub));
            assertThat(r.exitCode()).as("kubectl get --raw %s: %s", sub, r).isNotZero();
            assertThat(r.err()).as("kubectl get --raw %s", sub).contains("Conflict").contains(NO_AGENT);
        }
        JsonNode status = vmi(vm).path("status");
        assertThat(condition(vmi(vm), "AgentConnected")).as("conditions %s", status.path("conditions")).isNull();
        assertThat(status.has("guestOSInfo")).as("status.guestOSInfo without agent").isFalse();
        await("the domain's NIC in status.interfaces").atMost(CHANGE).untilAsserted(() -> {
            JsonNode i = vmi(vm).path("status").path("interfaces").path(0);
            assertThat(i.path("name").asText()).isEqualTo("default");
            assertThat(i.path("mac").asText()).isEqualTo(domainMac(vm));
            assertThat(i.path("ipAddress").asText()).isEqualTo(GUEST_IP);
            assertThat(i.path("infoSource").asText()).isEqualTo("domain");
            assertThat(i.has("interfaceName")).isFalse();
        });
    }
}
