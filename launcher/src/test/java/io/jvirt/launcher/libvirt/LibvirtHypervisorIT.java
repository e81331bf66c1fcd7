package io.jvirt.launcher.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real guests (software emulation) on a private libvirtd: define/start, serial console, pause/resume, ACPI shutdown,
 * destroy, undefine, lifecycle events, client reconnects and a libvirtd restart under a running guest.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibvirtHypervisorIT {

    private static final Duration BOOT = Duration.ofSeconds(90);

    @TempDir
    static Path tmp;

    static LibvirtDaemon daemon;
    static LibvirtHypervisor hv;
    static MiniGuest guest;
    static final List<DomainEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeTrue(LibvirtDaemon.binariesAvailable(),
                "libvirtd/virtlogd (libvirt-daemon, libvirt-daemon-driver-qemu) or unshare/setsid not installed");
        guest = MiniGuest.build(tmp.resolve("guest")).orElse(null);
        Assumptions.assumeTrue(guest != null, "no /boot/vmlinuz-* with /lib/modules, or no /bin/busybox "
                + "(busybox-static) to build the test guest");
        daemon = new LibvirtDaemon(tmp.resolve("data"));
        daemon.ensureStarted();
        hv = LibvirtHypervisor.connect(daemon);
        hv.onEvent(events::add);
    }

    @AfterAll
    static void tearDown() {
        if (hv != null) {
            try {
                for (DomainStatus s : hv.list()) {
                    if (s.active()) {
                        hv.destroy(s.name());
                    }
                    hv.undefine(s.name());
                }
            } catch (HypervisorException e) {
                // fall through to killing by pid
            }
            hv.close();
        }
        if (daemon != null) {
            daemon.stop(Duration.ofSeconds(10), true);
        }
    }

    private static SerialConsole bootPaused(String name) throws Exception {
        Path sock = tmp.resolve(name + ".sock");
        assertThat(hv.define(guest.domainXml(name, sock))).isEqualTo(name);
        hv.startPaused(name);
        assertThat(hv.status(name).orElseThrow().state()).isEqualTo(DomainState.PAUSED);
        SerialConsole console = SerialConsole.connect(sock, Duration.ofSeconds(10));
        hv.resume(name);
        console.await(MiniGuest.BOOTED, BOOT);
        return console;
    }

    private static boolean hasEvent(String domain, DomainEvent.Type type, String detail) {
        return events.stream().anyMatch(e -> e.domain().equals(domain) && e.type() == type
                && e.detail().equals(detail));
    }

    @Test
    @Order(1)
    void lifecycleWithEvents() throws Exception {
        String name = "guest-a";
        try (SerialConsole console = bootPaused(name)) {
            DomainStatus s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.RUNNING);
            assertThat(s.active()).isTrue();
            assertThat(s.persistent()).isTrue();
            assertThat(s.qemuPid()).isPresent();
            assertThat(s.qemuPid().getAsLong()).isEqualTo(daemon.qemuPidFile(name).toFile().exists()
                    ? Long.parseLong(Files.readString(daemon.qemuPidFile(name)).strip()) : -1);
            assertThat(LibvirtDaemon.alive(s.qemuPid().getAsLong(), "qemu")).isTrue();
            assertThat(hv.xml(name)).contains("<name>" + name + "</name>").contains("type='qemu'");
            assertThat(hv.list()).extracting(DomainStatus::name).contains(name);

            hv.pause(name);
            s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.PAUSED);
            assertThat(s.reason()).isEqualTo("user");
            assertThat(s.reasonCode()).isEqualTo(DomainState.PAUSED_USER);
            hv.resume(name);
            s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.RUNNING);
            assertThat(s.reason()).isEqualTo("unpaused");
            int seen = console.text().length();
            await().atMost(Duration.ofSeconds(30)).until(() -> console.text().substring(seen).contains("alive"));

            hv.shutdown(name); // ACPI power button
            console.await(MiniGuest.POWER_BUTTON, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(60)).until(() -> !hv.status(name).orElseThrow().active());
            s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.SHUTOFF);
            assertThat(s.reason()).isEqualTo("shutdown");
            assertThat(s.qemuPid()).isEmpty();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(hasEvent(name, DomainEvent.Type.DEFINED, "added")).isTrue();
            assertThat(hasEvent(name, DomainEvent.Type.STARTED, "booted")).isTrue();
            assertThat(hasEvent(name, DomainEvent.Type.SUSPENDED, "paused")).isTrue();
            assertThat(hasEvent(name, DomainEvent.Type.RESUMED, "unpaused")).isTrue();
            assertThat(hasEvent(name, DomainEvent.Type.STOPPED, "shutdown")).isTrue();
        });
        assertThat(events.stream().filter(e -> e.domain().equals(name)).map(DomainEvent::uuid).distinct())
                .hasSize(1);

        hv.undefine(name);
        assertThat(hv.status(name)).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> hasEvent(name, DomainEvent.Type.UNDEFINED, "removed"));
    }

    @Test
    @Order(2)
    void errorsCarryLibvirtMessages() {
        assertThatThrownBy(() -> hv.start("no-such-domain")).isInstanceOf(DomainNotFoundException.class)
                .hasMessageContaining("no-such-domain");
        assertThat(hv.status("no-such-domain")).isEmpty();
        hv.define(LibvirtDaemonIT.minimalXml("stopped"));
        assertThatThrownBy(() -> hv.pause("stopped")).isInstanceOf(InvalidDomainStateException.class)
                .hasMessageContaining("not running");
        assertThatThrownBy(() -> hv.define("<domain type='qemu'><name>x</name></domain>"))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("os <type> must be specified");
        assertThatThrownBy(() -> hv.define("not xml")).isInstanceOf(HypervisorException.class)
                .satisfies(e -> assertThat(((HypervisorException) e).libvirtCode()).isPositive());
        DomainStatus s = hv.status("stopped").orElseThrow();
        assertThat(s.state()).isEqualTo(DomainState.SHUTOFF);
        assertThat(s.active()).isFalse();
        hv.undefine("stopped");
        assertThatThrownBy(() -> hv.domainCapabilities("/nonexistent/qemu", "qemu"))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("/nonexistent/qemu");
    }

    @Test
    @Order(2)
    void domainCapabilitiesOfTheEmulator() {
        String xml = hv.domainCapabilities("/usr/bin/qemu-system-x86_64", "qemu");
        assertThat(xml).contains("<domainCapabilities>").contains("<path>/usr/bin/qemu-system-x86_64</path>")
                .contains("<domain>qemu</domain>");
    }

    @Test
    @Order(3)
    void guestSurvivesClientAndDaemonRestarts() throws Exception {
        String name = "guest-b";
        try (SerialConsole console = bootPaused(name)) {
            long qemuPid = hv.status(name).orElseThrow().qemuPid().orElseThrow();

            // the JVM-side client goes away and comes back: the guest is not affected
            hv.close();
            hv = LibvirtHypervisor.connect(daemon);
            hv.onEvent(events::add);
            AtomicInteger reconnects = new AtomicInteger();
            hv.onReconnect(reconnects::incrementAndGet);
            DomainStatus s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.RUNNING);
            assertThat(s.qemuPid()).hasValue(qemuPid);
            int seen = console.text().length();
            await().atMost(Duration.ofSeconds(30)).until(() -> console.text().substring(seen).contains("alive"));

            // libvirtd itself stops (guests stay) and is started again in a new namespace: the client reconnects
            // by itself and libvirtd re-attaches to the running QEMU
            long oldDaemon = daemon.pid().orElseThrow();
            long virtlogd = daemon.virtlogdPid().orElseThrow();
            daemon.stop(Duration.ofSeconds(10), false);
            assertThat(LibvirtDaemon.alive(qemuPid, "qemu")).isTrue();
            assertThat(daemon.virtlogdPid()).hasValue(virtlogd); // holds the guest's log pipe: kept
            await().atMost(Duration.ofSeconds(20)).until(() -> !hv.isConnected());
            assertThatThrownBy(() -> hv.pause(name)).isInstanceOf(HypervisorConnectionException.class);
            assertThat(daemon.ensureStarted()).isTrue();
            assertThat(daemon.pid().orElseThrow()).isNotEqualTo(oldDaemon);
            assertThat(daemon.virtlogdPid()).hasValue(virtlogd); // reused by the new libvirtd
            await().atMost(Duration.ofSeconds(30)).until(() -> reconnects.get() > 0 && hv.isConnected());
            s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.RUNNING);
            assertThat(s.qemuPid()).hasValue(qemuPid);
            int seen2 = console.text().length();
            await().atMost(Duration.ofSeconds(30)).until(() -> console.text().substring(seen2).contains("alive"));

            // events flow again on the new connection; destroy works on the re-attached guest
            hv.destroy(name);
            s = hv.status(name).orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.SHUTOFF);
            assertThat(s.reason()).isEqualTo("destroyed");
            assertThat(s.reasonCode()).isEqualTo(DomainState.SHUTOFF_DESTROYED);
            await().atMost(Duration.ofSeconds(10)).until(() -> hasEvent(name, DomainEvent.Type.STOPPED,
                    "destroyed"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !LibvirtDaemon.alive(qemuPid, null));
        }
        hv.undefine(name);
    }
}
