package io.jvirt.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.libvirt.DomainState;
import io.jvirt.launcher.libvirt.DomainStatus;
import io.jvirt.launcher.libvirt.LibvirtDaemon;
import io.jvirt.launcher.libvirt.LibvirtHypervisor;
import io.jvirt.launcher.libvirt.SerialConsole;
import io.jvirt.launcher.storage.ImageStore;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VmiRuntime} end to end with the real DomainConverter: a VMI with a containerDisk (the jvirt test guest disk
 * of {@code scripts/build-test-guest.sh}, imported into the image store) and a cloudInitNoCloud volume whose user-data
 * script (from a secret) prints a marker with the host name on the serial console. Runs under software emulation.
 */
class VmiRuntimeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UID = "6a1c1e4b-8d4e-4f0f-9d5e-2b1f3c4d5e6f";

    @TempDir
    static Path tmp;

    static LibvirtDaemon daemon;
    static LibvirtHypervisor hv;
    static VmiRuntime runtime;
    static ImageStore images;

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeTrue(LibvirtDaemon.binariesAvailable(), "libvirtd/virtlogd not installed");
        Path guestDir = testGuest();
        Assumptions.assumeTrue(guestDir != null, "jvirt test guest not available (scripts/build-test-guest.sh "
                + "failed or is missing; set JVIRT_TEST_GUEST_DIR to a built guest)");
        Path data = tmp.resolve("d");
        daemon = new LibvirtDaemon(data);
        daemon.ensureStarted();
        hv = LibvirtHypervisor.connect(daemon);
        images = new ImageStore(data.resolve("images"));
        images.importImage("registry.example/jvirt/test-guest", guestDir.resolve("disk.qcow2"));
        runtime = new VmiRuntime(data, hv, images, false);
    }

    @AfterAll
    static void tearDown() {
        removeAllAndStop(hv, daemon);
    }

    /** Destroys and undefines every domain, closes the client and stops the private libvirtd (both may be null). */
    static void removeAllAndStop(LibvirtHypervisor hv, LibvirtDaemon daemon) {
        if (hv != null) {
            for (DomainStatus s : hv.list()) {
                if (s.active()) {
                    hv.destroy(s.name());
                }
                hv.undefine(s.name());
            }
            hv.close();
        }
        if (daemon != null) {
            daemon.stop(Duration.ofSeconds(10), true);
        }
    }

    /** The test guest directory: $JVIRT_TEST_GUEST_DIR, else built (cached) by scripts/build-test-guest.sh. */
    static Path testGuest() throws Exception {
        String env = System.getenv("JVIRT_TEST_GUEST_DIR");
        if (env != null && Files.isRegularFile(Path.of(env, "disk.qcow2"))) {
            return Path.of(env);
        }
        Path script = null;
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("scripts/build-test-guest.sh"))) {
                script = dir.resolve("scripts/build-test-guest.sh");
                break;
            }
        }
        if (script == null) {
            return null;
        }
        Process p = new ProcessBuilder(script.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || out.isEmpty()) {
            return null;
        }
        Path dir = Path.of(out.substring(out.lastIndexOf('\n') + 1).strip());
        return Files.isRegularFile(dir.resolve("disk.qcow2")) ? dir : null;
    }

    static ObjectNode vmi(String name) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance",
                 "metadata":{"name":"%s","namespace":"it","uid":"%s"},
                 "spec":{"hostname":"itguest",
                  "domain":{"resources":{"requests":{"memory":"256Mi"}},
                   "devices":{"autoattachPodInterface":false,
                    "disks":[{"name":"containerdisk","disk":{"bus":"virtio"}},
                             {"name":"cloudinitdisk","disk":{"bus":"virtio"}}]}},
                  "volumes":[{"name":"containerdisk","containerDisk":{"image":"registry.example/jvirt/test-guest"}},
                             {"name":"cloudinitdisk","cloudInitNoCloud":{"secretRef":{"name":"ud"}}}]}}
                """.formatted(name, UID));
    }

    static final Function<String, Map<String, String>> SECRETS = name -> name.equals("ud")
            ? Map.of("userdata", "#!/bin/sh\necho JVIRT-CLOUD-INIT-OK $(hostname)\n") : null;

    @Test
    void startsAVmiWithContainerDiskAndCloudInit() throws Exception {
        StartedVmi started = runtime.start(vmi("testvmi"), SECRETS);
        assertThat(started.domainName()).isEqualTo("it_testvmi");
        assertThat(started.alreadyRunning()).isFalse();
        assertThat(started.vmiDir()).isEqualTo(tmp.resolve("d/vmis/it/testvmi"));
        assertThat(started.serialSocket()).isEqualTo(started.vmiDir().resolve("serial.sock"));
        assertThat(started.status().state()).isEqualTo(DomainState.RUNNING);

        try (SerialConsole console = SerialConsole.connect(started.serialSocket(), Duration.ofSeconds(10))) {
            String xml = hv.xml("it_testvmi");
            assertThat(xml).contains(started.vmiDir().resolve("disks/containerdisk.qcow2").toString())
                    .contains(images.resolve("registry.example/jvirt/test-guest").orElseThrow().toString())
                    .contains(started.vmiDir().resolve("cloud-init/cloudinitdisk/noCloud.iso").toString())
                    .contains("type='qemu'");
            assertThat(runtime.list()).singleElement().satisfies(v -> {
                assertThat(v.namespace()).isEqualTo("it");
                assertThat(v.name()).isEqualTo("testvmi");
                assertThat(v.uid()).isEqualTo(UID);
                assertThat(v.domain().state()).isEqualTo(DomainState.RUNNING);
            });
            // idempotent while running
            assertThat(runtime.start(vmi("testvmi"), SECRETS).alreadyRunning()).isTrue();

            console.await("JVIRT-CLOUD-INIT-OK itguest", Duration.ofSeconds(150));

            runtime.pause("it", "testvmi");
            assertThat(runtime.status("it", "testvmi").orElseThrow().state()).isEqualTo(DomainState.PAUSED);
            runtime.unpause("it", "testvmi");
            assertThat(runtime.status("it", "testvmi").orElseThrow().state()).isEqualTo(DomainState.RUNNING);

            console.await("login:", Duration.ofSeconds(60)); // acpid is up by then
            runtime.shutdown("it", "testvmi");
            await().atMost(Duration.ofSeconds(90)).until(() ->
                    !runtime.status("it", "testvmi").orElseThrow().active());
            DomainStatus s = runtime.status("it", "testvmi").orElseThrow();
            assertThat(s.state()).isEqualTo(DomainState.SHUTOFF);
            assertThat(s.reason()).isEqualTo("shutdown");
        }

        runtime.cleanup("it", "testvmi");
        assertThat(runtime.status("it", "testvmi")).isEmpty();
        assertThat(started.vmiDir()).doesNotExist();
        assertThat(runtime.list()).isEmpty();
        runtime.cleanup("it", "testvmi"); // repeatable
    }

    @Test
    void killDestroysAndCleanupRemovesEverything() throws Exception {
        StartedVmi started = runtime.start(vmi("killme"), SECRETS);
        assertThat(runtime.status("it", "killme").orElseThrow().active()).isTrue();
        runtime.kill("it", "killme");
        DomainStatus s = runtime.status("it", "killme").orElseThrow();
        assertThat(s.state()).isEqualTo(DomainState.SHUTOFF);
        assertThat(s.reason()).isEqualTo("destroyed");
        runtime.kill("it", "killme"); // no-op when stopped
        // a stopped domain of the same VMI is replaced by a new start
        StartedVmi again = runtime.start(vmi("killme"), SECRETS);
        assertThat(again.alreadyRunning()).isFalse();
        assertThat(again.status().active()).isTrue();
        runtime.cleanup("it", "killme");
        assertThat(runtime.status("it", "killme")).isEmpty();
        assertThat(started.vmiDir()).doesNotExist();
    }

    @Test
    void anImageImportedAgainKeepsItsOldBlobUntilItsLastGuestIsGone() throws Exception {
        String ref = "registry.example/jvirt/test-guest";
        Path oldBlob = images.resolve(ref).orElseThrow();
        runtime.start(vmi("prune-me"), SECRETS);
        images.importImage(ref, testGuest().resolve("disk.qcow2"));
        Path newBlob = images.resolve(ref).orElseThrow();
        assertThat(newBlob).isNotEqualTo(oldBlob);
        assertThat(runtime.pruneImages()).as("the running guest's overlay is backed by the old blob").isEmpty();
        assertThat(oldBlob).exists();
        runtime.kill("it", "prune-me");
        runtime.cleanup("it", "prune-me");
        assertThat(oldBlob).as("its last guest is gone").doesNotExist();
        assertThat(newBlob).exists();
    }
}
