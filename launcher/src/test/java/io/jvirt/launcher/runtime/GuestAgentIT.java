package io.jvirt.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.libvirt.AgentEvent;
import io.jvirt.launcher.libvirt.DomainDevices;
import io.jvirt.launcher.libvirt.DomainState;
import io.jvirt.launcher.libvirt.GuestAgent;
import io.jvirt.launcher.libvirt.GuestAgentException;
import io.jvirt.launcher.libvirt.LibvirtDaemon;
import io.jvirt.launcher.libvirt.LibvirtHypervisor;
import io.jvirt.launcher.libvirt.SerialConsole;
import io.jvirt.launcher.storage.ImageStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QEMU guest agent through libvirt, with the real DomainConverter (its {@code org.qemu.guest_agent.0} channel)
 * and the jvirt test guest, whose busybox agent answers: agent lifecycle events, the channel state in the live XML,
 * commands and their errors, a reboot through the agent, a guest with the agent turned off, ACPI shutdown with the
 * agent running. Software emulation. The test guest must have its agent: run with {@code JVIRT_TEST_GUEST_DIR} or a
 * current {@code scripts/build-test-guest.sh} cache.
 */
class GuestAgentIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOOT = Duration.ofSeconds(150);

    @TempDir
    static Path tmp;

    static LibvirtDaemon daemon;
    static LibvirtHypervisor hv;
    static VmiRuntime runtime;
    static GuestAgent agent;
    static final List<AgentEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeTrue(LibvirtDaemon.binariesAvailable(), "libvirtd/virtlogd not installed");
        Path guestDir = VmiRuntimeIT.testGuest();
        Assumptions.assumeTrue(guestDir != null, "jvirt test guest not available (scripts/build-test-guest.sh "
                + "failed or is missing; set JVIRT_TEST_GUEST_DIR to a built guest)");
        Path data = tmp.resolve("d");
        daemon = new LibvirtDaemon(data);
        daemon.ensureStarted();
        hv = LibvirtHypervisor.connect(daemon);
        hv.onAgentEvent(events::add);
        ImageStore images = new ImageStore(data.resolve("images"));
        images.importImage("registry.example/jvirt/test-guest", guestDir.resolve("disk.qcow2"));
        runtime = new VmiRuntime(data, hv, images, false);
        agent = new GuestAgent(hv);
    }

    @AfterAll
    static void tearDown() {
        VmiRuntimeIT.removeAllAndStop(hv, daemon);
    }

    /** The test guest with the default pod interface; {@code userData} is its cloud-init user-data script. */
    static ObjectNode vmi(String name, String userData) throws Exception {
        ObjectNode vmi = (ObjectNode) JSON.readTree("""
                {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance",
                 "metadata":{"name":"%s","namespace":"it","uid":"0d9a6a3e-2c1b-4c7e-9f0a-%012d"},
                 "spec":{"hostname":"%s",
                  "domain":{"resources":{"requests":{"memory":"256Mi"}},
                   "devices":{"disks":[{"name":"containerdisk","disk":{"bus":"virtio"}},
                                       {"name":"cloudinitdisk","disk":{"bus":"virtio"}}]}},
                  "volumes":[{"name":"containerdisk","containerDisk":{"image":"registry.example/jvirt/test-guest"}},
                             {"name":"cloudinitdisk","cloudInitNoCloud":{"userData":""}}]}}
                """.formatted(name, Math.abs(name.hashCode()), name));
        ((ObjectNode) vmi.at("/spec/volumes/1/cloudInitNoCloud")).put("userData", userData);
        return vmi;
    }

    static final Function<String, Map<String, String>> NO_SECRETS = n -> null;

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static boolean hasEvent(String domain, boolean connected) {
        return events.stream().anyMatch(e -> e.domain().equals(domain) && e.connected() == connected);
    }

    @Test
    void theTestGuestsAgentAnswersThroughLibvirt() throws Exception {
        StartedVmi started = runtime.start(vmi("agentvm", "#!/bin/sh\necho user-data-done\n"), NO_SECRETS);
        String dom = started.domainName();
        try (SerialConsole console = SerialConsole.connect(started.serialSocket(), Duration.ofSeconds(10))) {
            await("agent connected event").atMost(BOOT).until(() -> hasEvent(dom, true));
            AgentEvent connected = events.stream().filter(e -> e.domain().equals(dom) && e.connected())
                    .findFirst().orElseThrow();
            assertThat(connected.reason()).isEqualTo("channel");
            DomainDevices devices = agent.devices(dom);
            assertThat(devices.agentConnected()).as("channel state in the live XML").isTrue();
            assertThat(devices.nics()).singleElement().satisfies(n -> {
                assertThat(n.name()).isEqualTo("default");
                assertThat(n.mac()).matches("52:54:00(:\\p{XDigit}{2}){3}");
            });

            JsonNode os = agent.execute(dom, "guest-get-osinfo");
            assertThat(os.path("id").asText()).isEqualTo("jvirt-test-guest");
            assertThat(os.path("pretty-name").asText()).startsWith("jvirt test guest");
            assertThat(os.path("machine").asText()).isEqualTo("x86_64");
            assertThat(agent.execute(dom, "guest-get-host-name").path("host-name").asText()).isEqualTo("agentvm");
            assertThat(agent.execute(dom, "guest-info").path("supported_commands").findValuesAsText("name"))
                    .contains("guest-get-osinfo", "guest-get-users", "guest-get-fsinfo",
                            "guest-network-get-interfaces");
            assertThat(agent.execute(dom, "guest-get-timezone").has("offset")).isTrue();
            assertThat(agent.execute(dom, "guest-fsfreeze-status").asText()).isEqualTo("thawed");
            console.await("login:", BOOT);
            await("the console login in guest-get-users").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(agent.execute(dom, "guest-get-users").findValuesAsText("user")).contains("root"));
            await("the DHCP address in guest-network-get-interfaces").atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> {
                        JsonNode ifaces = agent.execute(dom, "guest-network-get-interfaces");
                        JsonNode eth0 = null;
                        for (JsonNode i : ifaces) {
                            if (devices.nics().getFirst().mac().equals(i.path("hardware-address").asText())) {
                                eth0 = i;
                            }
                        }
                        assertThat(eth0).as("guest interface with the domain NIC's MAC in %s", ifaces).isNotNull();
                        assertThat(eth0.path("ip-addresses").findValuesAsText("ip-address")).contains("10.0.2.15");
                    });
            assertThat(agent.execute(dom, "guest-get-fsinfo").isArray()).isTrue();
            assertThatThrownBy(() -> agent.execute(dom, "guest-exec"))
                    .isInstanceOfSatisfying(GuestAgentException.class, e -> {
                        assertThat(e.unresponsive()).isFalse();
                        // libvirt turns the agent's error reply into an internal error with its description
                        assertThat(e.getMessage()).contains("guest-exec has not been found");
                    });

            // with an agent, libvirt reboots through it (guest-shutdown mode=reboot): the port closes and reopens
            int logins = count(console.text(), "login:");
            events.clear();
            hv.reboot(dom);
            await("agent disconnected by the reboot").atMost(BOOT).until(() -> hasEvent(dom, false));
            await("agent back after the reboot").atMost(BOOT).until(() -> hasEvent(dom, true));
            await("second login prompt").atMost(BOOT).until(() -> count(console.text(), "login:") > logins);
            assertThat(console.text()).contains("jvirt-guest: rebooting");
            assertThat(runtime.status("it", "agentvm").orElseThrow().state()).isEqualTo(DomainState.RUNNING);

            // ACPI shutdown is unaffected by the agent
            runtime.shutdown("it", "agentvm");
            await().atMost(Duration.ofSeconds(90)).until(() -> !runtime.status("it", "agentvm").orElseThrow()
                    .active());
            assertThat(runtime.status("it", "agentvm").orElseThrow().reason()).isEqualTo("shutdown");
        }
        runtime.cleanup("it", "agentvm");
    }

    @Test
    void aGuestWithoutAgentIsNotConnectedAndCommandsFailFast() throws Exception {
        StartedVmi started = runtime.start(vmi("noagent", "#!/bin/sh\ntouch /run/jvirt/no-guest-agent\n"),
                NO_SECRETS);
        String dom = started.domainName();
        try (SerialConsole console = SerialConsole.connect(started.serialSocket(), Duration.ofSeconds(10))) {
            console.await("jvirt-guest: guest agent disabled", BOOT);
            console.await("login:", BOOT);
            assertThat(agent.devices(dom).agentConnected()).isFalse();
            assertThat(hasEvent(dom, true)).isFalse();
            assertThatThrownBy(() -> agent.execute(dom, "guest-ping"))
                    .isInstanceOfSatisfying(GuestAgentException.class, e -> assertThat(e.unresponsive())
                            .as("%s (code %s)", e.getMessage(), e.libvirtCode()).isTrue())
                    .hasMessageContaining("not connected");
        }
        runtime.kill("it", "noagent");
        runtime.cleanup("it", "noagent");
    }
}
