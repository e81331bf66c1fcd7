package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGKILL of the platform process (embedded mode: the node agent lives in it). Guests belong to libvirt, so the
 * guest keeps running; the restarted platform re-adopts it: same QEMU, same VMI.
 */
class PlatformCrashE2E extends PlatformE2E {

    @Test
    void aGuestSurvivesAPlatformCrashAndIsReadopted() throws Exception {
        String vm = "vm-survivor";
        apply(vmManifest(vm, "runStrategy: Always", 0));
        JsonNode vmi = awaitVmiRunning(vm);
        String uid = uid(vmi);
        try (ConsoleViewer c = console(vm)) {
            c.awaitShell(BOOT);
        }
        long qemu = awaitQemu(vm);
        long libvirtd = platform.libvirt().pid().orElseThrow();

        step("SIGKILL jvirt up (pid " + platform.pid() + "); QEMU " + qemu);
        platform.kill();
        assertThat(JvirtPlatform.running(qemu)).as("QEMU %s after the platform was killed", qemu).isTrue();
        assertThat(platform.libvirt().pid()).as("libvirtd after the platform was killed").hasValue(libvirtd);
        assertThat(domains(false)).as("running domains while the platform is down").contains(domain(vm));

        step("starting jvirt up again");
        platform.start();
        step("jvirt up is back");
        await("VMI re-adopted: Running, same uid, same QEMU").atMost(CHANGE).ignoreExceptions().untilAsserted(() -> {
            JsonNode now = vmi(vm);
            assertThat(uid(now)).isEqualTo(uid);
            assertThat(phase(now)).isEqualTo("Running");
            assertThat(qemuPid(vm)).hasValue(qemu);
            assertThat(platform.logs()).contains("re-adopting guest " + NS + "/" + vm);
        });
        step("VMI re-adopted");
        // and it stays so: no resync after the restart fails or replaces it
        await("VMI still Running with the same uid and QEMU").during(Duration.ofSeconds(20))
                .atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                    JsonNode now = vmi(vm);
                    assertThat(uid(now)).isEqualTo(uid);
                    assertThat(phase(now)).isEqualTo("Running");
                    assertThat(JvirtPlatform.running(qemu)).isTrue();
                });
        assertThat(qemuPid(vm)).hasValue(qemu);
        awaitPrintableStatus(vm, "Running", CHANGE);
        assertThat(history.phases(uid)).as("phases of the VMI across the crash").doesNotContain("Failed",
                "Succeeded", "deleted");

        step("still Running");
        // the restarted node agent serves the guest's console again
        try (ConsoleViewer c = console(vm)) {
            c.echoComputed("e2e-after-crash", 3, 11, Duration.ofMinutes(1));
        }
    }
}
