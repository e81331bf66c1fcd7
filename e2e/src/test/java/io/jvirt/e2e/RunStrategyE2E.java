package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * runStrategies with real guests: what happens when the guest powers itself off (the VMI Succeeded), when its QEMU
 * is killed (the VMI Failed), and on start/stop requests.
 */
class RunStrategyE2E extends PlatformE2E {
    /** How long "nothing happens" must hold: the controllers react to a finished VMI well within it. */
    private static final Duration HOLD = Duration.ofSeconds(10);

    /** Waits until the old VMI is Succeeded and the VM Stopped, then checks that stays so (no restart). */
    private void assertStaysStopped(String vm, String uid) {
        await("VMI " + vm + " Succeeded and the VM Stopped").atMost(CHANGE).untilAsserted(() -> {
            JsonNode vmi = vmi(vm);
            assertThat(vmi).as("the finished VMI is kept").isNotNull();
            assertThat(uid(vmi)).isEqualTo(uid);
            assertThat(phase(vmi)).isEqualTo("Succeeded");
            assertThat(printableStatus(vm)).isEqualTo("Stopped");
        });
        await("VM " + vm + " not restarted").during(HOLD).atMost(HOLD.plus(CHANGE)).untilAsserted(() -> {
            JsonNode vmi = vmi(vm);
            assertThat(vmi == null ? null : uid(vmi)).as("VMI uid").isEqualTo(uid);
            assertThat(phase(vmi)).isEqualTo("Succeeded");
            assertThat(printableStatus(vm)).isEqualTo("Stopped");
        });
        assertThat(domains(false)).as("running domains").doesNotContain(domain(vm));
    }

    /** Waits until the VMI is Failed (its QEMU was killed), then checks nothing restarts it. */
    private void assertStaysFailed(String vm, String uid) {
        await("VMI " + vm + " Failed and the VM Stopped").atMost(CHANGE).untilAsserted(() -> {
            JsonNode vmi = vmi(vm);
            assertThat(vmi).as("the finished VMI is kept").isNotNull();
            assertThat(uid(vmi)).isEqualTo(uid);
            assertThat(phase(vmi)).isEqualTo("Failed");
            assertThat(printableStatus(vm)).isEqualTo("Stopped");
        });
        await("VM " + vm + " not restarted").during(HOLD).atMost(HOLD.plus(CHANGE)).untilAsserted(() -> {
            JsonNode vmi = vmi(vm);
            assertThat(vmi == null ? null : uid(vmi)).as("VMI uid").isEqualTo(uid);
            assertThat(phase(vmi)).isEqualTo("Failed");
        });
    }

    /** No VMI appears for {@code vm} for a while. */
    private void assertNoVmi(String vm) {
        await("VM " + vm + " Stopped").atMost(CHANGE)
                .untilAsserted(() -> assertThat(printableStatus(vm)).isEqualTo("Stopped"));
        await("no VMI for " + vm).during(HOLD).atMost(HOLD.plus(CHANGE)).untilAsserted(() -> {
            assertThat(vmi(vm)).as("VMI of %s", vm).isNull();
            assertThat(printableStatus(vm)).isEqualTo("Stopped");
        });
    }

    @Test
    void alwaysRestartsAGuestThatPowersItselfOff() {
        String vm = "rs-always";
        apply(vmManifest(vm, "runStrategy: Always", 0));
        String first = uid(awaitVmiRunning(vm));
        poweroffFromConsole(vm);
        String second = uid(awaitVmiRunning(vm, Set.of(first)));
        assertThat(history.phases(first)).as("phases of the first VMI").contains("Succeeded");
        awaitPrintableStatus(vm, "Running", CHANGE);
        // the new VMI's console is the new guest's: fresh, and typing reaches it
        try (ConsoleViewer c = console(vm)) {
            c.awaitOutput(USERDATA_LINE, BOOT);
            c.awaitShell(BOOT);
            c.echoComputed("e2e-second-boot", 8, 8, CHANGE);
            assertThat(c.output()).as("console of the new VMI").doesNotContain("powering off");
        }
        assertThat(uid(vmi(vm))).isEqualTo(second);
    }

    @Test
    void rerunOnFailureRestartsAfterAFailureOnly() {
        String vm = "rs-rerun";
        apply(vmManifest(vm, "runStrategy: RerunOnFailure", 0));
        String first = uid(awaitVmiRunning(vm));
        // the guest shuts down by itself: Succeeded, which RerunOnFailure does not restart
        poweroffFromConsole(vm);
        assertStaysStopped(vm, first);

        // started again by request; then its QEMU is killed: Failed, which RerunOnFailure restarts
        assertThat(jvirtOk("start", vm).out()).contains("was scheduled to start");
        String second = uid(awaitVmiRunning(vm, Set.of(first)));
        long qemu = awaitQemu(vm);
        ProcessHandle.of(qemu).orElseThrow().destroyForcibly();
        String third = uid(awaitVmiRunning(vm, Set.of(first, second)));
        assertThat(history.phases(second)).as("phases of the VMI whose QEMU was killed").contains("Failed");
        assertThat(awaitQemu(vm)).as("a new QEMU").isNotEqualTo(qemu);
        assertThat(third).isNotEqualTo(second);
    }

    @Test
    void haltedNeverStartsAndStopsARunningVm() {
        String vm = "rs-halted";
        apply(vmManifest(vm, "runStrategy: Halted", 0));
        assertNoVmi(vm);
        assertThat(domains(true)).doesNotContain(domain(vm));

        // a running VM switched to Halted is stopped, and stays so
        String running = "rs-halted-later";
        apply(vmManifest(running, "runStrategy: Always", 0));
        String uid = uid(awaitVmiRunning(running));
        long qemu = awaitQemu(running);
        Kubectl.Result patched = kubectl(null, "patch", "vm", running, "-n", NS, "--type", "merge", "-p",
                "{\"spec\":{\"runStrategy\":\"Halted\"}}");
        assertThat(patched.exitCode()).as("kubectl patch: %s", patched).isZero();
        awaitGuestGone(running, uid, qemu);
        assertNoVmi(running);
    }

    @Test
    void onceRunsOnceAndIsNotRestarted() {
        String vm = "rs-once";
        apply(vmManifest(vm, "runStrategy: Once", 0));
        String first = uid(awaitVmiRunning(vm));
        poweroffFromConsole(vm);
        assertStaysStopped(vm, first);
    }

    @Test
    void manualObeysOnlyStartAndStop() {
        String vm = "rs-manual";
        apply(vmManifest(vm, "runStrategy: Manual", null));
        assertNoVmi(vm);

        // a failure (QEMU killed) is not restarted
        jvirtOk("start", vm);
        String crashed = uid(awaitVmiRunning(vm));
        ProcessHandle.of(awaitQemu(vm)).orElseThrow().destroyForcibly();
        assertStaysFailed(vm, crashed);

        // nor is a guest that shut itself down
        jvirtOk("start", vm);
        String first = uid(awaitVmiRunning(vm, Set.of(crashed)));
        poweroffFromConsole(vm);
        assertStaysStopped(vm, first);

        // started and stopped on request
        jvirtOk("start", vm);
        String second = uid(awaitVmiRunning(vm, Set.of(crashed, first)));
        try (ConsoleViewer c = console(vm)) {
            c.awaitShell(BOOT); // booted: the stop below is an ACPI shutdown the guest acts on
        }
        long qemu = awaitQemu(vm);
        assertThat(jvirtOk("stop", vm).out()).contains("was scheduled to stop");
        awaitGuestGone(vm, second, qemu);
        assertNoVmi(vm);
        assertThat(history.phases(second)).as("phases of the stopped VMI").doesNotContain("Failed");
        assertThat(vm(vm).path("spec").path("runStrategy").asText()).isEqualTo("Manual");
    }

    /** SIGKILL of a guest's QEMU: its VMI Failed; runStrategy Always gets a new VMI running. */
    @Test
    void killingQemuFailsTheVmiAndAlwaysStartsANewOne() {
        String vm = "rs-killed";
        apply(vmManifest(vm, "runStrategy: Always", 0));
        String first = uid(awaitVmiRunning(vm));
        long qemu = awaitQemu(vm);
        ProcessHandle.of(qemu).orElseThrow().destroyForcibly();
        await("VMI " + first + " Failed").atMost(CHANGE)
                .untilAsserted(() -> assertThat(history.phases(first)).contains("Failed"));
        String second = uid(awaitVmiRunning(vm, Set.of(first)));
        long newQemu = awaitQemu(vm);
        assertThat(newQemu).isNotEqualTo(qemu);
        assertThat(JvirtPlatform.running(qemu)).isFalse();
        awaitPrintableStatus(vm, "Running", CHANGE);
        assertThat(uid(vmi(vm))).isEqualTo(second);
    }
}
