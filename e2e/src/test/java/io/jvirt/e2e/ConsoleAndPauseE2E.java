package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The serial console through the API server (shared by viewers, scrollback, reconnects), pause and soft reboot. */
class ConsoleAndPauseE2E extends PlatformE2E {
    private static final Duration ECHO = Duration.ofMinutes(1);

    @Test
    void twoViewersShareTheConsoleAndAReconnectingViewerGetsTheScrollback() {
        String vm = "vm-console";
        apply(vmManifest(vm, "runStrategy: Always", 0));
        awaitVmiRunning(vm);
        ConsoleViewer a = console(vm);
        a.awaitOutput(USERDATA_LINE, BOOT);
        a.awaitShell(BOOT);

        // b attaches after the boot: the scrollback brings it what the guest printed before
        ConsoleViewer b = console(vm);
        b.awaitOutput(USERDATA_LINE, ECHO);
        b.awaitOutput(ConsoleViewer.LOGIN_LINE, ECHO);

        // what one viewer types, both see
        String fromA = a.echoComputed("e2e-a", 6, 7, ECHO);
        b.awaitOutput(fromA, ECHO);
        String fromB = b.echoComputed("e2e-b", 6, 8, ECHO);
        a.awaitOutput(fromB, ECHO);

        // b leaves and comes back: the scrollback replays the earlier output, and typing works again
        b.close();
        assertThat(a.closed()).as("a is unaffected by b leaving").isFalse();
        ConsoleViewer b2 = console(vm);
        b2.awaitOutput(fromA, ECHO);
        b2.awaitOutput(fromB, ECHO);
        assertThat(b2.output()).as("scrollback of the reconnected viewer").contains(USERDATA_LINE);
        String fromB2 = b2.echoComputed("e2e-c", 7, 7, ECHO);
        a.awaitOutput(fromB2, ECHO);
        String fromA2 = a.echoComputed("e2e-d", 9, 9, ECHO);
        b2.awaitOutput(fromA2, ECHO);
    }

    @Test
    void pauseUnpauseAndSoftReboot() {
        String vm = "vm-pause";
        apply(vmManifest(vm, "runStrategy: Always", 0));
        String uid = uid(awaitVmiRunning(vm));
        ConsoleViewer console = console(vm);
        console.awaitShell(BOOT);
        int logins = console.count(ConsoleViewer.LOGIN_LINE);
        int userData = console.count(USERDATA_LINE);

        assertThat(jvirtOk("pause", "vm", vm).out()).contains("VMI " + vm + " was scheduled to pause");
        awaitPrintableStatus(vm, "Paused", CHANGE);
        await("VMI condition Paused=True").atMost(CHANGE).untilAsserted(() -> {
            JsonNode vmi = vmi(vm);
            JsonNode paused = condition(vmi, "Paused");
            assertThat(paused).as("Paused condition: %s", vmi.path("status")).isNotNull();
            assertThat(paused.path("status").asText()).isEqualTo("True");
            assertThat(paused.path("reason").asText()).isEqualTo("PausedByUser");
            assertThat(phase(vmi)).isEqualTo("Running");
        });
        JsonNode pausedVm = vm(vm);
        assertThat(condition(pausedVm, "Paused")).as("the VM mirrors the Paused condition: %s",
                pausedVm.path("status")).isNotNull();
        assertThat(condition(pausedVm, "Paused").path("status").asText()).isEqualTo("True");

        assertThat(jvirtOk("unpause", "vm", vm).out()).contains("VMI " + vm + " was scheduled to unpause");
        awaitPrintableStatus(vm, "Running", CHANGE);
        await("VMI unpaused and Ready").atMost(CHANGE).untilAsserted(() -> {
            JsonNode vmi = vmi(vm);
            JsonNode paused = condition(vmi, "Paused");
            assertThat(paused == null || paused.path("status").asText().equals("False"))
                    .as("no Paused=True condition: %s", vmi.path("status")).isTrue();
            assertThat(condition(vmi, "Ready").path("status").asText()).isEqualTo("True");
        });
        console.echoComputed("e2e-unpaused", 5, 5, ECHO);

        assertThat(jvirtOk("soft-reboot", vm).out()).contains("VMI " + vm + " was scheduled to soft reboot");
        console.awaitCount(ConsoleViewer.LOGIN_LINE, logins + 1, BOOT);
        assertThat(console.count(USERDATA_LINE)).as("cloud-init ran again on the second boot")
                .isGreaterThan(userData);
        JsonNode vmi = vmi(vm);
        assertThat(uid(vmi)).as("same VMI after a soft reboot").isEqualTo(uid);
        assertThat(phase(vmi)).isEqualTo("Running");
        assertThat(history.phases(uid)).as("phases of the VMI across the reboot").doesNotContain("Succeeded",
                "Failed");
        console.awaitShell(BOOT);
        console.echoComputed("e2e-rebooted", 4, 4, ECHO);
    }
}
