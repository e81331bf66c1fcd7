package io.jvirt.launcher.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts real private libvirtd/virtlogd pairs in temporary data directories. */
class LibvirtDaemonIT {

    @TempDir
    Path tmp;

    private final List<LibvirtDaemon> started = new java.util.ArrayList<>();

    @BeforeAll
    static void binaries() {
        Assumptions.assumeTrue(LibvirtDaemon.binariesAvailable(),
                "libvirtd/virtlogd (libvirt-daemon, libvirt-daemon-driver-qemu) or unshare/setsid not installed");
    }

    @AfterEach
    void stopAll() {
        for (LibvirtDaemon d : started) {
            d.stop(Duration.ofSeconds(10), true);
        }
    }

    private LibvirtDaemon daemon(Path dataDir) {
        LibvirtDaemon d = new LibvirtDaemon(dataDir);
        started.add(d);
        return d;
    }

    @Test
    void startsReconnectsStopsWithoutTouchingTheHost() throws Exception {
        String hostRunBefore = listing(Path.of("/run/libvirt"));

        LibvirtDaemon d = daemon(tmp.resolve("data"));
        assertThat(d.isRunning()).isFalse();
        assertThat(d.ensureStarted()).isTrue();
        long pid = d.pid().orElseThrow();
        assertThat(d.virtlogdPid()).isPresent();
        assertThat(d.isRunning()).isTrue();
        assertThat(d.socket()).isEqualTo(tmp.resolve("data/libvirt/run/libvirt-sock"));
        assertThat(Files.exists(d.socket(), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(d.uri()).isEqualTo("qemu+unix:///system?socket=" + d.socket());
        assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip()).isEqualTo("libvirtd");

        // own mount namespace, own session (not a child of this JVM)
        assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns/mnt")))
                .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")));
        assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .isNotEqualTo(java.util.Optional.of(ProcessHandle.current().pid()));
        // the host's /run/libvirt is untouched (a system libvirtd would keep its socket)
        assertThat(listing(Path.of("/run/libvirt"))).isEqualTo(hostRunBefore);
        // configuration went into our etc dir
        assertThat(Files.readString(tmp.resolve("data/libvirt/etc/qemu.conf"))).contains("namespaces = [ ]")
                .contains("security_driver = \"none\"").contains("user = \"root\"");

        // a second object (another JVM, a restarted agent) reuses the running daemon
        LibvirtDaemon again = new LibvirtDaemon(tmp.resolve("data"));
        assertThat(again.ensureStarted()).isFalse();
        assertThat(again.pid()).hasValue(pid);

        // a client can talk to it
        try (LibvirtHypervisor hv = LibvirtHypervisor.connect(d)) {
            assertThat(hv.list()).isEmpty();
        }

        // a second private daemon next to it does not clash
        LibvirtDaemon other = daemon(tmp.resolve("other"));
        assertThat(other.ensureStarted()).isTrue();
        assertThat(other.pid().orElseThrow()).isNotEqualTo(pid);
        try (LibvirtHypervisor a = LibvirtHypervisor.connect(d); LibvirtHypervisor b = LibvirtHypervisor.connect(other)) {
            a.define(minimalXml("only-in-a"));
            assertThat(a.list()).extracting(DomainStatus::name).containsExactly("only-in-a");
            assertThat(b.list()).isEmpty();
            a.undefine("only-in-a");
        }

        // explicit stop, then a fresh start
        d.stop(Duration.ofSeconds(10), false);
        assertThat(d.pid()).isEmpty();
        assertThat(d.virtlogdPid()).isEmpty();
        assertThat(d.isRunning()).isFalse();
        assertThat(LibvirtDaemon.alive(pid, null)).isFalse();
        assertThat(d.ensureStarted()).isTrue();
        assertThat(d.pid().orElseThrow()).isNotEqualTo(pid);
        assertThat(other.isRunning()).isTrue();
    }

    @Test
    void failsClearlyWhenTheSocketPathIsTooLong() {
        Path deep = tmp.resolve("x".repeat(60)).resolve("y".repeat(60));
        LibvirtDaemon d = new LibvirtDaemon(deep);
        org.assertj.core.api.Assertions.assertThatThrownBy(d::ensureStarted)
                .isInstanceOf(HypervisorException.class).hasMessageContaining("unix socket limit");
    }

    static String minimalXml(String name) {
        return """
                <domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>
                <os><type arch='x86_64'>hvm</type></os></domain>""".formatted(name);
    }

    private static String listing(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return "(absent)";
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList().toString();
        }
    }
}
