package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.jvirt.cli.ApiClient;
import io.jvirt.cli.JvirtCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One {@code jvirt up} per test class (a child JVM with its own data dir, port, private libvirtd), the test guest
 * imported under the KubeVirt demo image reference, and the tools to drive it: kubectl (the one on PATH), the jvirt
 * verbs (in-process), fabric8 for reading state, the console websocket, virsh and /proc for what runs on the host.
 * After each test every VM is deleted and its guest awaited gone, so at most one or two TCG guests run at a time.
 * After the class: VMs stopped through the API, the platform stopped, its libvirtd (and any guest) stopped, and no
 * QEMU of the data dir may remain.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PlatformE2E {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String NS = "default";
    /** The image of examples/vm-cirros.yaml; `jvirt image import` makes it resolve to the test guest's disk. */
    static final String CIRROS = "quay.io/kubevirt/cirros-container-disk-demo";
    static final String USERDATA_LINE = "printed from cloud-init userdata";
    /** A TCG boot on a busy 2-core host: generous. */
    static final Duration BOOT = Duration.ofMinutes(3);
    static final Duration CHANGE = Duration.ofMinutes(2);

    Path work;
    JvirtPlatform platform;
    KubernetesClient client;
    ApiClient api;
    VmiHistory history;
    private final List<ConsoleViewer> viewers = new ArrayList<>();

    @RegisterExtension
    final TestWatcher printLogsOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            dumpDiagnostics(context.getDisplayName() + " failed");
        }
    };

    @BeforeAll
    void startPlatform() throws Exception {
        Path guest = TestGuest.dir();
        work = Files.createTempDirectory(Path.of("/tmp"), "jvirt-e2e-");
        Path dataDir = work.resolve("d");
        Path logs = Path.of("target", "e2e-logs", getClass().getSimpleName()).toAbsolutePath();
        deleteTree(logs);
        platform = new JvirtPlatform(dataDir, JvirtPlatform.freePort(), logs, upArgs());
        JvirtCommand.Result imported = JvirtCommand.run("image", "import", CIRROS,
                guest.resolve("disk.qcow2").toString(), "--data-dir", dataDir.toString());
        assertThat(imported.exitCode()).as("jvirt image import: %s", imported).isZero();
        step("starting jvirt up in " + dataDir);
        platform.start();
        step("jvirt up serving at port " + platform.port);
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(platform.kubeconfig()))).build();
        api = ApiClient.fromKubeconfig(platform.kubeconfig(), NS);
        history = new VmiHistory(client);
        await("the node registered and schedulable").atMost(CHANGE).ignoreExceptions().untilAsserted(() ->
                assertThat(client.nodes().list().getItems()).anySatisfy(n ->
                        assertThat(n.getMetadata().getLabels()).containsEntry("kubevirt.io/schedulable", "true")));
    }

    /** More {@code jvirt up} arguments for this class's platform (e.g. the CPU manager flags); none by default. */
    List<String> upArgs() {
        return List.of();
    }

    @AfterEach
    void deleteVms() {
        viewers.forEach(ConsoleViewer::close);
        viewers.clear();
        if (platform.alive()) {
            removeAllVms();
        }
    }

    @AfterAll
    void stopEverything() throws Throwable {
        Throwable failure = null;
        try {
            if (platform.alive()) {
                stopAllVmsThroughTheApi();
            }
        } catch (Throwable t) {
            failure = t;
            dumpDiagnostics("stopping the VMs at the end of " + getClass().getSimpleName() + " failed");
        }
        if (history != null) {
            history.close();
        }
        if (client != null) {
            client.close();
        }
        platform.stop();
        platform.stopLibvirt();
        if (platform.libvirt().pid().isPresent() || platform.libvirt().virtlogdPid().isPresent()) {
            AssertionError e = new AssertionError("libvirtd " + platform.libvirt().pid() + " / virtlogd "
                    + platform.libvirt().virtlogdPid() + " of " + platform.dataDir + " still running after stop");
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        List<Long> left = platform.qemuProcesses();
        if (!left.isEmpty()) {
            left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            AssertionError e = new AssertionError("QEMU processes of " + platform.dataDir
                    + " were still running after the platform and its libvirtd stopped: " + left);
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        deleteTree(work);
        if (failure != null) {
            throw failure;
        }
    }

    // ------------------------------------------------------------------------------------------ tear-down

    /** `jvirt stop` on every VM (errors such as "not running" are fine), then delete them and await the guests gone. */
    private void stopAllVmsThroughTheApi() {
        for (GenericKubernetesResource vm : vms().list().getItems()) {
            JvirtCommand.Result r = jvirt("stop", vm.getMetadata().getName());
            if (r.exitCode() != 0 && !r.err().contains("not running")) {
                System.err.println("jvirt stop " + vm.getMetadata().getName() + ": " + r);
            }
        }
        removeAllVms();
    }

    private void removeAllVms() {
        step("deleting every VM");
        Kubectl.Result r = kubectl(null, "delete", "vm", "--all", "-n", NS, "--wait=false");
        assertThat(r.exitCode()).as("kubectl delete vm --all: %s", r).isZero();
        await("every VM, VMI, launcher pod and domain gone").atMost(CHANGE).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    assertThat(names(vms().list().getItems())).as("VMs").isEmpty();
                    assertThat(names(vmis().list().getItems())).as("VMIs").isEmpty();
                    assertThat(client.pods().inNamespace(NS).withLabel("kubevirt.io", "virt-launcher").list()
                            .getItems()).as("launcher pods").isEmpty();
                    assertThat(domains(true)).as("libvirt domains").isEmpty();
                    assertThat(platform.qemuProcesses()).as("QEMU processes").isEmpty();
                });
        step("every VM gone");
    }

    void dumpDiagnostics(String why) {
        StringBuilder b = new StringBuilder("\n########## ").append(why).append(" (").append(Instant.now())
                .append(")\n");
        try {
            b.append("---- kubectl get vm,vmi,pods -o wide\n")
                    .append(kubectl(null, "get", "vm,vmi,pods", "-n", NS, "-o", "wide").out());
            b.append("---- VMIs\n").append(kubectl(null, "get", "vmi", "-n", NS, "-o", "yaml").out());
            b.append("---- VMI phase history\n").append(history == null ? "" : history.describe()).append('\n');
            b.append("---- virsh list --all\n").append(String.join("\n", domains(true))).append('\n');
        } catch (RuntimeException e) {
            b.append("(cannot read the state: ").append(e).append(")\n");
        }
        b.append(platform.logTail(400));
        Path qemuLogs = platform.libvirt().logDir().resolve("qemu");
        if (Files.isDirectory(qemuLogs)) {
            try (Stream<Path> s = Files.list(qemuLogs)) {
                for (Path p : s.toList()) {
                    String text = JvirtPlatform.read(p);
                    b.append("---- ").append(p).append('\n')
                            .append(text.length() > 4000 ? text.substring(text.length() - 4000) : text).append('\n');
                }
            } catch (IOException e) {
                b.append("(cannot list ").append(qemuLogs).append(")\n");
            }
        }
        System.err.println(b);
    }

    // ------------------------------------------------------------------------------------------ tools

    /** Progress on the test's stdout, with the time, to line up with the platform's log. */
    static void step(String what) {
        System.out.println("[e2e " + java.time.LocalTime.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                + "] " + what);
    }

    Kubectl.Result kubectl(String stdin, String... args) {
        return Kubectl.run(platform.kubeconfig(), stdin, args);
    }

    /** A jvirt virtctl-style verb against this platform, in-process. */
    JvirtCommand.Result jvirt(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--kubeconfig", platform.kubeconfig().toString(), "-n", NS));
        return JvirtCommand.run(all.toArray(String[]::new));
    }

    JvirtCommand.Result jvirtOk(String... args) {
        JvirtCommand.Result r = jvirt(args);
        assertThat(r.exitCode()).as("jvirt %s: %s", String.join(" ", args), r).isZero();
        return r;
    }

    Kubectl.Result apply(String manifest) {
        Kubectl.Result r = kubectl(manifest, "apply", "-f", "-");
        assertThat(r.exitCode()).as("kubectl apply: %s\n%s", r, manifest).isZero();
        return r;
    }

    ConsoleViewer console(String vmi) {
        ConsoleViewer v = ConsoleViewer.attach(api, vmi, BOOT);
        viewers.add(v);
        return v;
    }

    // ------------------------------------------------------------------------------------------ state

    NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> vms() {
        return client.genericKubernetesResources("kubevirt.io/v1", "VirtualMachine").inNamespace(NS);
    }

    NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> vmis() {
        return client.genericKubernetesResources("kubevirt.io/v1", "VirtualMachineInstance").inNamespace(NS);
    }

    static JsonNode tree(Object o) {
        return o == null ? null : JSON.valueToTree(o);
    }

    static List<String> names(List<? extends io.fabric8.kubernetes.api.model.HasMetadata> items) {
        return items.stream().map(i -> i.getMetadata().getName()).toList();
    }

    JsonNode vm(String name) {
        return tree(vms().withName(name).get());
    }

    JsonNode vmi(String name) {
        return tree(vmis().withName(name).get());
    }

    String printableStatus(String vm) {
        JsonNode v = vm(vm);
        return v == null ? null : v.path("status").path("printableStatus").asText(null);
    }

    static String phase(JsonNode vmi) {
        return vmi == null ? null : vmi.path("status").path("phase").asText("");
    }

    static String uid(JsonNode o) {
        return o.path("metadata").path("uid").asText();
    }

    static JsonNode condition(JsonNode o, String type) {
        for (JsonNode c : o.path("status").path("conditions")) {
            if (c.path("type").asText().equals(type)) {
                return c;
            }
        }
        return null;
    }

    /** Launcher pods of a VMI (by its uid). */
    List<Pod> launcherPods(String vmiUid) {
        return client.pods().inNamespace(NS).withLabel("kubevirt.io/created-by", vmiUid).list().getItems();
    }

    static String domain(String vmi) {
        return NS + "_" + vmi;
    }

    /** Domain names libvirt knows ({@code all}: defined ones too, else only the active ones), through virsh. */
    List<String> domains(boolean all) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-c", platform.libvirt().uri(), "list", "--name"));
        if (all) {
            cmd.add("--all");
        }
        Kubectl.Result r = Kubectl.exec(null, cmd);
        assertThat(r.exitCode()).as("%s: %s", cmd, r).isZero();
        return r.out().lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** The pid of a guest's QEMU as libvirt recorded it, if that process runs. */
    OptionalLong qemuPid(String vmi) {
        Path pidFile = platform.libvirt().qemuPidFile(domain(vmi));
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return JvirtPlatform.running(pid) && cmdline(pid).contains("qemu-system") ? OptionalLong.of(pid)
                    : OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------------------------------ waits

    /** Waits for VMI {@code name} Running with a uid not in {@code notUids}; returns it. */
    JsonNode awaitVmiRunning(String name, Set<String> notUids) {
        AtomicReference<JsonNode> out = new AtomicReference<>();
        await("VMI " + name + " Running" + (notUids.isEmpty() ? "" : " (a new one, not " + notUids + ")"))
                .atMost(BOOT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    JsonNode vmi = vmi(name);
                    assertThat(vmi).as("VMI %s", name).isNotNull();
                    assertThat(uid(vmi)).as("uid of VMI %s", name).isNotIn(notUids);
                    assertThat(phase(vmi)).as("phase of VMI %s (%s)", name, vmi.path("status")).isEqualTo("Running");
                    out.set(vmi);
                });
        step("VMI " + name + " Running, uid " + uid(out.get()));
        return out.get();
    }

    JsonNode awaitVmiRunning(String name) {
        return awaitVmiRunning(name, Set.of());
    }

    void awaitPrintableStatus(String vm, String status, Duration atMost) {
        await("VM " + vm + " printableStatus " + status).atMost(atMost).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(printableStatus(vm)).as("printableStatus of VM %s", vm)
                        .isEqualTo(status));
    }

    /** Waits until a guest's QEMU runs; returns its pid. */
    long awaitQemu(String vmi) {
        AtomicReference<Long> pid = new AtomicReference<>();
        await("QEMU of " + vmi + " running").atMost(CHANGE).untilAsserted(() -> {
            OptionalLong p = qemuPid(vmi);
            assertThat(p).as("QEMU pid of %s", vmi).isPresent();
            pid.set(p.getAsLong());
        });
        return pid.get();
    }

    /** Everything of VMI {@code name} (uid {@code vmiUid}) is gone: the VMI, its launcher pods, domain and QEMU. */
    void awaitGuestGone(String name, String vmiUid, long qemuPid) {
        await("VMI " + name + ", its launcher pod, domain and QEMU gone").atMost(CHANGE)
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    assertThat(vmi(name)).as("VMI %s", name).isNull();
                    assertThat(launcherPods(vmiUid)).as("launcher pods of VMI %s", name).isEmpty();
                    assertThat(domains(true)).as("libvirt domains").doesNotContain(domain(name));
                    assertThat(JvirtPlatform.running(qemuPid)).as("QEMU %s of %s running", qemuPid, name).isFalse();
                });
        step("VMI " + name + " " + vmiUid + " and its pod, domain and QEMU gone");
    }

    /** Boots to the shell and types {@code poweroff}: the guest powers itself off cleanly (ACPI S5). */
    void poweroffFromConsole(String vmi) {
        try (ConsoleViewer c = ConsoleViewer.attach(api, vmi, BOOT)) {
            c.awaitShell(BOOT);
            step("typing poweroff on the console of " + vmi);
            c.type("poweroff\r");
            c.awaitOutput("powering off", CHANGE);
            step("guest " + vmi + " powering off");
        }
    }

    // ------------------------------------------------------------------------------------------ manifests

    /**
     * A VirtualMachine like examples/vm-cirros.yaml: the test guest's disk as a containerDisk, cloud-init NoCloud
     * user data, 128Mi.
     *
     * @param runField e.g. {@code "runStrategy: Always"} or {@code "running: false"}
     * @param grace    terminationGracePeriodSeconds, or null for KubeVirt's default
     */
    static String vmManifest(String name, String runField, Integer grace, String image, String userData) {
        StringBuilder ud = new StringBuilder();
        userData.lines().forEach(l -> ud.append("              ").append(l).append('\n'));
        return """
                apiVersion: kubevirt.io/v1
                kind: VirtualMachine
                metadata:
                  name: %s
                  labels:
                    kubevirt.io/vm: %s
                spec:
                  %s
                  template:
                    metadata:
                      labels:
                        kubevirt.io/vm: %s
                    spec:
                %s      domain:
                        resources:
                          requests:
                            memory: 128Mi
                        devices:
                          disks:
                            - name: rootdisk
                              disk:
                                bus: virtio
                            - name: cloudinit
                              disk:
                                bus: virtio
                      volumes:
                        - name: rootdisk
                          containerDisk:
                            image: %s
                        - name: cloudinit
                          cloudInitNoCloud:
                            userData: |
                %s""".formatted(name, name, runField, name,
                grace == null ? "" : "      terminationGracePeriodSeconds: " + grace + "\n", image, ud);
    }

    static String vmManifest(String name, String runField, Integer grace) {
        return vmManifest(name, runField, grace, CIRROS, "#!/bin/sh\necho '" + USERDATA_LINE + "'\n");
    }

    // ------------------------------------------------------------------------------------------ files

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a socket or file still in use: leave it
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
