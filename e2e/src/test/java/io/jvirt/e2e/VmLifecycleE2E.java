package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A VM's life as a user drives it with kubectl and the jvirt verbs: start, console, stop, delete, a missing image. */
class VmLifecycleE2E extends PlatformE2E {

    /**
     * Seed 002: a VM created stopped with the deprecated {@code running: false}, started with {@code jvirt start};
     * its cloud-init user data prints a line on the serial console; {@code jvirt stop} removes the VMI, the launcher
     * pod, the libvirt domain and QEMU, and the VM shows Stopped.
     */
    @Test
    void seed002VmStartsPrintsItsUserDataAndStopsCleanly() {
        String vm = "vm-cirros";
        Kubectl.Result applied = apply(vmManifest(vm, "running: false", 0));
        assertThat(applied.err()).as("kubectl apply's stderr")
                .contains("Warning: spec.running is deprecated, please use spec.runStrategy instead.");
        assertThat(applied.out()).contains("virtualmachine.kubevirt.io/" + vm + " created");
        awaitPrintableStatus(vm, "Stopped", CHANGE);
        assertThat(vmi(vm)).as("VMI of a VM created stopped").isNull();

        assertThat(jvirtOk("start", vm).out()).contains("VM " + vm + " was scheduled to start");
        JsonNode vmi = awaitVmiRunning(vm);
        String uid = uid(vmi);
        awaitPrintableStatus(vm, "Running", CHANGE);
        try (ConsoleViewer console = console(vm)) {
            console.awaitOutput(USERDATA_LINE, BOOT);
        }
        List<Pod> pods = launcherPods(uid);
        assertThat(pods).as("launcher pods of the VMI").hasSize(1);
        assertThat(pods.getFirst().getStatus().getPhase()).isEqualTo("Running");
        assertThat(domains(false)).as("running libvirt domains").contains(domain(vm));
        long qemu = awaitQemu(vm);
        assertThat(vm(vm).path("spec").path("running").asBoolean(false)).as("spec.running after start").isTrue();
        await("kubectl get vm: Running, ready").atMost(CHANGE).untilAsserted(() ->
                assertThat(kubectl(null, "get", "vm", vm, "-n", NS, "--no-headers").out().split("\\s+"))
                        .as("NAME AGE STATUS READY").containsSubsequence(vm, "Running", "True"));

        assertThat(jvirtOk("stop", vm).out()).contains("VM " + vm + " was scheduled to stop");
        awaitGuestGone(vm, uid, qemu);
        awaitPrintableStatus(vm, "Stopped", CHANGE);
        JsonNode stopped = vm(vm);
        assertThat(stopped.path("spec").path("running").asBoolean(true)).as("spec.running after stop").isFalse();
        assertThat(stopped.path("spec").has("runStrategy")).as("runStrategy set besides running").isFalse();
        assertThat(stopped.path("status").path("ready").asBoolean(true)).as("status.ready").isFalse();
        assertThat(kubectl(null, "get", "vm", vm, "-n", NS, "--no-headers").out().split("\\s+"))
                .as("NAME AGE STATUS READY").containsSubsequence(vm, "Stopped", "False");
    }

    /**
     * {@code kubectl delete vm} on a running VM: everything it owned goes (VMI, launcher pod, domain, QEMU, after a
     * graceful ACPI shutdown), and {@code kubectl wait --for=delete} returns.
     */
    @Test
    void deletingARunningVmRemovesEverythingItOwned() {
        String vm = "vm-delete";
        apply(vmManifest(vm, "runStrategy: Always", null));
        String uid = uid(awaitVmiRunning(vm));
        try (ConsoleViewer console = console(vm)) {
            console.awaitShell(BOOT); // booted: acpid listens, so the shutdown is the guest's own
        }
        long qemu = awaitQemu(vm);
        String podName = launcherPods(uid).getFirst().getMetadata().getName();

        Kubectl.Result deleted = kubectl(null, "delete", "vm", vm, "-n", NS, "--wait=false");
        assertThat(deleted.exitCode()).as("kubectl delete vm: %s", deleted).isZero();
        Kubectl.Result waitVm = kubectl(null, "wait", "--for=delete", "vm/" + vm, "-n", NS, "--timeout=180s");
        assertThat(waitVm.exitCode()).as("kubectl wait --for=delete vm/%s: %s", vm, waitVm).isZero();
        Kubectl.Result waitVmi = kubectl(null, "wait", "--for=delete", "vmi/" + vm, "-n", NS, "--timeout=180s");
        assertThat(waitVmi.exitCode()).as("kubectl wait --for=delete vmi/%s: %s", vm, waitVmi).isZero();
        Kubectl.Result waitPod = kubectl(null, "wait", "--for=delete", "pod/" + podName, "-n", NS,
                "--timeout=180s");
        assertThat(waitPod.exitCode()).as("kubectl wait --for=delete pod/%s: %s", podName, waitPod).isZero();
        awaitGuestGone(vm, uid, qemu);
        assertThat(vm(vm)).isNull();
    }

    /**
     * A containerDisk image that does not exist: the VM shows {@code ErrImagePull} and then, while the node waits
     * before the next try, {@code ImagePullBackOff} (KubeVirt's printableStatus for a pod's image pull failure), with
     * the reason in the VMI's conditions, not an endless Starting.
     */
    @Test
    void aMissingContainerDiskImageBacksOff() {
        String vm = "vm-missing-image";
        String image = "quay.io/nope/missing:1";
        apply(vmManifest(vm, "runStrategy: Always", 0, image, "#!/bin/sh\necho never\n"));
        awaitPrintableStatus(vm, "ImagePullBackOff", CHANGE);
        JsonNode vmi = vmi(vm);
        assertThat(vmi).isNotNull();
        JsonNode sync = condition(vmi, "Synchronized");
        assertThat(sync).as("Synchronized condition of the VMI: %s", vmi.path("status")).isNotNull();
        assertThat(sync.path("status").asText()).isEqualTo("False");
        assertThat(sync.path("reason").asText()).isIn("ImagePullBackOff", "ErrImagePull");
        assertThat(sync.path("message").asText()).as("the reason's message").contains(image);
        assertThat(phase(vmi)).isNotEqualTo("Running");
        await("kubectl get vm shows the pull failure").atMost(CHANGE).untilAsserted(() -> {
            Kubectl.Result r = kubectl(null, "get", "vm", vm, "-n", NS);
            assertThat(r.exitCode()).as("%s", r).isZero();
            assertThat(r.out()).containsAnyOf("ImagePullBackOff", "ErrImagePull");
        });
        assertThat(domains(true)).as("libvirt domains").doesNotContain(domain(vm));
    }
}
