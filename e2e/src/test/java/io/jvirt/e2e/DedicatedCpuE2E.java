package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 4 §7 on this machine: dedicated CPUs, hugepages and NUMA passthrough with real (TCG) guests. The platform
 * runs with the kubelet's static CPU manager policy and CPU 0 reserved ({@code --cpu-manager-policy static
 * --reserved-cpus 0}), the CPUManager gate is switched on in the KubeVirt CR, and {@link HugepagesReserved}
 * reserves 256 2Mi hugepages with a hugetlbfs mounted before the platform (and its libvirtd) starts. What the guests
 * get is read where the kernel keeps it: vCPU thread affinity in {@code /proc/<qemu>/task/<tid>/status},
 * {@code HugePages_Free} in {@code /proc/meminfo}, the CPU manager's {@code cpu_manager_state}, and the domain XML
 * through virsh.
 */
@ExtendWith(HugepagesReserved.class)
class DedicatedCpuE2E extends PlatformE2E {
    private static final Pattern VCPU_THREAD = Pattern.compile("CPU \\d+/(TCG|KVM)");

    /** Online CPUs of this host, and those the CPU manager may hand out exclusively (all but CPU 0). */
    private TreeSet<Integer> online;
    private TreeSet<Integer> exclusive;

    @Override
    List<String> upArgs() {
        return List.of("--cpu-manager-policy", "static", "--reserved-cpus", "0");
    }

    @BeforeAll
    void enableCpuManagerGate() throws IOException {
        online = cpuList(Files.readString(Path.of("/sys/devices/system/cpu/online")).strip());
        exclusive = new TreeSet<>(online);
        exclusive.remove(0);
        assertThat(exclusive).as("CPUs besides the reserved CPU 0").isNotEmpty();
        Kubectl.Result r = kubectl(null, "patch", "kubevirt", "kubevirt", "-n", "kubevirt", "--type", "merge", "-p",
                "{\"spec\":{\"configuration\":{\"developerConfiguration\":{\"featureGates\":[\"CPUManager\"]}}}}");
        assertThat(r.exitCode()).as("enabling the CPUManager gate: %s", r).isZero();
        // the node agent re-labels at its next heartbeat (30 s)
        await("node labelled kubevirt.io/cpumanager=true").atMost(CHANGE).pollInterval(java.time.Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Node node = client.nodes().list().getItems().getFirst();
                    assertThat(node.getMetadata().getLabels()).containsEntry("kubevirt.io/cpumanager", "true")
                            .containsEntry("cpumanager", "true");
                });
    }

    // ------------------------------------------------------------------------------------------ tests

    /**
     * §7: a 1-vCPU dedicated guest's vCPU thread may run exactly on the CPU the CPU manager gave it (not the reserved
     * CPU 0), the state file lists it for the launcher pod's compute container and takes it out of the shared pool,
     * and stopping the VM gives it back.
     */
    @Test
    void dedicatedVcpuIsPinnedToItsExclusiveCpuAndReleasedAfterStop() {
        String vm = "dedicated-one";
        apply(vm(vm, 1, false, "128Mi"));
        String uid = uid(awaitVmiRunning(vm));
        long qemu = awaitQemu(vm);
        String podUid = launcherPod(uid).getMetadata().getUid();

        int cpu = awaitPinnedVcpus(qemu, 1).getFirst();
        assertThat(exclusive).as("CPUs that may be exclusive").contains(cpu);
        JsonNode state = cpuManagerState();
        assertThat(state.path("policyName").asText()).isEqualTo("static");
        assertThat(state.path("entries").path(podUid).path("compute").asText())
                .as("cpu_manager_state entry of launcher pod %s: %s", podUid, state).isEqualTo(Integer.toString(cpu));
        assertThat(cpuList(state.path("defaultCpuSet").asText())).as("shared pool in %s", state)
                .contains(0).doesNotContain(cpu);

        assertThat(jvirtOk("stop", vm).out()).contains("VM " + vm + " was scheduled to stop");
        awaitGuestGone(vm, uid, qemu);
        await("CPU " + cpu + " released in cpu_manager_state").atMost(CHANGE).untilAsserted(() -> {
            JsonNode s = cpuManagerState();
            assertThat(s.path("entries").has(podUid)).as("entry of pod %s in %s", podUid, s).isFalse();
            assertThat(cpuList(s.path("defaultCpuSet").asText())).as("shared pool in %s", s).isEqualTo(online);
        });
    }

    /**
     * §7: a 128Mi guest backed by 2Mi hugepages takes exactly 64 pages from the host's free pool while it runs
     * (libvirt preallocates them) and they are free again once it stopped.
     */
    @Test
    void hugepageGuestTakesExactlyItsMemoryFromTheHostPoolAndGivesItBack() {
        String vm = "hugepages";
        long freeBefore = HugepagesReserved.meminfo("HugePages_Free");
        assertThat(freeBefore).as("free 2Mi hugepages before the guest").isGreaterThanOrEqualTo(64);
        apply(vm(vm, 0, true, "128Mi"));
        String uid = uid(awaitVmiRunning(vm));
        long qemu = awaitQemu(vm);
        await("HugePages_Free lowered by 64").atMost(CHANGE).untilAsserted(() ->
                assertThat(HugepagesReserved.meminfo("HugePages_Free")).isEqualTo(freeBefore - 64));
        String podUid = launcherPod(uid).getMetadata().getUid();
        JsonNode accounted = readJson(platform.dataDir.resolve("hugepages_state"));
        assertThat(accounted.path("entries").path(podUid).path("pageSize").asText()).as("%s", accounted)
                .isEqualTo("2Mi");
        assertThat(accounted.path("entries").path(podUid).path("pagesByNode").path("0").asLong())
                .as("%s", accounted).isEqualTo(64);
        Document xml = domainXml(vm);
        assertThat(xpath(xml, "/domain/memoryBacking/hugepages/page[@size='2048' and @unit='KiB']")).hasSize(1);

        assertThat(jvirtOk("stop", vm).out()).contains("VM " + vm + " was scheduled to stop");
        awaitGuestGone(vm, uid, qemu);
        await("the 64 hugepages free again").atMost(CHANGE).untilAsserted(() ->
                assertThat(HugepagesReserved.meminfo("HugePages_Free")).isEqualTo(freeBefore));
    }

    /**
     * §7: seed 000's VM (examples/vm-harvester-numa-hugepages.yaml: dedicated CPUs, guest NUMA mirroring the host,
     * 2Mi hugepages, UEFI secure boot) scaled to this host — 1 dedicated vCPU, 384Mi (UEFI needs more than 320Mi),
     * the test guest under the KubeVirt demo reference — runs pinned, NUMA-bound and hugepage-backed.
     */
    @Test
    void seed000VmRunsWithNumaPassthroughAndHugepages() throws IOException {
        String vm = "vm-harvester-numa-hugepages";
        long freeBefore = HugepagesReserved.meminfo("HugePages_Free");
        apply(seed000Scaled());
        String uid = uid(awaitVmiRunning(vm));
        long qemu = awaitQemu(vm);
        int cpu = awaitPinnedVcpus(qemu, 1).getFirst();
        assertThat(exclusive).contains(cpu);
        await("HugePages_Free lowered by 192 (384Mi)").atMost(CHANGE).untilAsserted(() ->
                assertThat(HugepagesReserved.meminfo("HugePages_Free")).isEqualTo(freeBefore - 192));

        Document xml = domainXml(vm);
        List<Element> pins = xpath(xml, "/domain/cputune/vcpupin");
        assertThat(pins).as("vcpupin").hasSize(1);
        assertThat(pins.getFirst().getAttribute("vcpu")).isEqualTo("0");
        assertThat(pins.getFirst().getAttribute("cpuset")).isEqualTo(Integer.toString(cpu));
        assertThat(xpath(xml, "/domain/cputune/emulatorpin")).as("emulatorpin").hasSize(1);
        assertThat(cpuList(xpath(xml, "/domain/cputune/emulatorpin").getFirst().getAttribute("cpuset")))
                .as("emulator thread on the shared pool, not on the guest's CPU").doesNotContain(cpu);
        assertThat(xpath(xml, "/domain/numatune/memory[@mode='strict' and @nodeset='0']")).as("numatune memory")
                .hasSize(1);
        assertThat(xpath(xml, "/domain/numatune/memnode[@cellid='0' and @mode='strict' and @nodeset='0']"))
                .as("numatune memnode").hasSize(1);
        assertThat(xpath(xml, "/domain/cpu/numa/cell[@id='0' and @cpus='0']")).as("guest NUMA cell").hasSize(1);
        assertThat(xpath(xml, "/domain/memoryBacking/hugepages/page[@size='2048' and @unit='KiB' and @nodeset='0']"))
                .as("hugepages of guest cell 0").hasSize(1);
        assertThat(xpath(xml, "/domain/os/loader[@secure='yes']")).as("secure boot loader").hasSize(1);

        assertThat(jvirtOk("stop", vm).out()).contains("VM " + vm + " was scheduled to stop");
        awaitGuestGone(vm, uid, qemu);
        await("the 192 hugepages free again").atMost(CHANGE).untilAsserted(() ->
                assertThat(HugepagesReserved.meminfo("HugePages_Free")).isEqualTo(freeBefore));
    }

    /**
     * §7: with every exclusive CPU taken, a second dedicated VM's VMI stays Pending, {@code PodScheduled=False}
     * with reason {@code Unschedulable} and the scheduler's message, and the VM shows {@code ErrorUnschedulable};
     * once the first VM stopped it starts, on the CPU the first one had.
     */
    @Test
    void dedicatedVmThatCannotFitIsUnschedulableUntilTheFirstStops() {
        int cores = exclusive.size();
        apply(vm("dedicated-first", cores, false, "128Mi"));
        String firstUid = uid(awaitVmiRunning("dedicated-first"));
        long firstQemu = awaitQemu("dedicated-first");
        List<Integer> firstCpus = awaitPinnedVcpus(firstQemu, cores);

        apply(vm("dedicated-second", cores, false, "128Mi"));
        await("VMI dedicated-second unschedulable").atMost(CHANGE).untilAsserted(() -> {
            JsonNode vmi = vmi("dedicated-second");
            assertThat(vmi).isNotNull();
            assertThat(phase(vmi)).isEqualTo("Pending");
            JsonNode sched = condition(vmi, "PodScheduled");
            assertThat(sched).as("PodScheduled condition in %s", vmi.path("status")).isNotNull();
            assertThat(sched.path("status").asText()).isEqualTo("False");
            assertThat(sched.path("reason").asText()).isEqualTo("Unschedulable");
            assertThat(sched.path("message").asText()).as("the scheduler's reason")
                    .startsWith("0/1 nodes are available: ").containsIgnoringCase("cpu");
        });
        awaitPrintableStatus("dedicated-second", "ErrorUnschedulable", CHANGE);
        assertThat(launcherPods(uid(vmi("dedicated-second")))).as("launcher pods of the unschedulable VMI").isEmpty();
        assertThat(phase(vmi("dedicated-first"))).isEqualTo("Running");

        jvirtOk("stop", "dedicated-first");
        awaitGuestGone("dedicated-first", firstUid, firstQemu);
        awaitVmiRunning("dedicated-second");
        awaitPrintableStatus("dedicated-second", "Running", CHANGE);
        List<Integer> secondCpus = awaitPinnedVcpus(awaitQemu("dedicated-second"), cores);
        assertThat(new TreeSet<>(secondCpus)).as("CPUs of the second VM").isEqualTo(new TreeSet<>(firstCpus));
    }

    // ------------------------------------------------------------------------------------------ manifests

    /**
     * A VM of the test guest (containerDisk under the demo reference), started at once, grace period 0.
     *
     * @param dedicatedCores vCPUs on dedicated CPUs (cores), 0 for a shared single vCPU
     */
    static String vm(String name, int dedicatedCores, boolean hugepages, String memory) {
        String cpu = dedicatedCores == 0 ? "" : """
                        cpu:
                          cores: %d
                          dedicatedCpuPlacement: true
                """.formatted(dedicatedCores);
        String huge = !hugepages ? "" : """
                        memory:
                          hugepages:
                            pageSize: 2Mi
                """;
        return """
                apiVersion: kubevirt.io/v1
                kind: VirtualMachine
                metadata:
                  name: %s
                spec:
                  runStrategy: Always
                  template:
                    metadata:
                      labels:
                        kubevirt.io/vm: %s
                    spec:
                      terminationGracePeriodSeconds: 0
                      domain:
                %s%s        resources:
                          requests:
                            memory: %s
                          limits:
                            memory: %s
                        devices:
                          disks:
                            - name: rootdisk
                              disk:
                                bus: virtio
                      volumes:
                        - name: rootdisk
                          containerDisk:
                            image: %s
                """.formatted(name, name, cpu, huge, memory, memory, CIRROS);
    }

    /** examples/vm-harvester-numa-hugepages.yaml, scaled to this 2-CPU host and the test guest, as JSON. */
    static String seed000Scaled() throws IOException {
        ObjectNode vm = (ObjectNode) new YAMLMapper().readTree(
                TestGuest.repo().resolve("examples/vm-harvester-numa-hugepages.yaml").toFile());
        ObjectNode spec = (ObjectNode) vm.path("spec");
        spec.put("runStrategy", "Always");
        ObjectNode tspec = (ObjectNode) spec.path("template").path("spec");
        tspec.put("terminationGracePeriodSeconds", 0);
        ObjectNode domain = (ObjectNode) tspec.path("domain");
        assertThat(domain.path("cpu").path("dedicatedCpuPlacement").asBoolean()).isTrue();
        assertThat(domain.path("cpu").path("numa").has("guestMappingPassthrough")).isTrue();
        assertThat(domain.path("memory").path("hugepages").path("pageSize").asText()).isEqualTo("2Mi");
        ((ObjectNode) domain.path("cpu")).put("cores", 1);
        ((ObjectNode) domain.path("resources").path("requests")).put("memory", "384Mi");
        ((ObjectNode) domain.path("resources").path("limits")).put("memory", "384Mi");
        boolean replaced = false;
        for (JsonNode v : tspec.path("volumes")) {
            if (v.has("containerDisk")) {
                ((ObjectNode) v.path("containerDisk")).put("image", CIRROS);
                replaced = true;
            }
            if (v.has("cloudInitNoCloud")) {
                ((ObjectNode) v.path("cloudInitNoCloud")).put("userData", "#!/bin/sh\necho '" + USERDATA_LINE + "'\n");
            }
        }
        assertThat(replaced).as("the seed's containerDisk volume").isTrue();
        return JSON.writeValueAsString(vm);
    }

    // ------------------------------------------------------------------------------------------ host state

    Pod launcherPod(String vmiUid) {
        List<Pod> pods = launcherPods(vmiUid);
        assertThat(pods).as("launcher pods of VMI %s", vmiUid).hasSize(1);
        return pods.getFirst();
    }

    /**
     * Waits until a QEMU has {@code vcpus} vCPU threads ({@code CPU n/TCG} or {@code CPU n/KVM}), each allowed on
     * exactly one CPU, all different; returns those CPUs in vCPU order.
     */
    List<Integer> awaitPinnedVcpus(long qemuPid, int vcpus) {
        List<Integer> out = new ArrayList<>();
        await("vCPU threads of QEMU " + qemuPid + " each pinned to one CPU").atMost(CHANGE).untilAsserted(() -> {
            Map<String, String> affinity = vcpuAffinity(qemuPid);
            assertThat(affinity).as("vCPU threads → Cpus_allowed_list").hasSize(vcpus);
            List<Integer> cpus = new ArrayList<>();
            for (String allowed : affinity.values()) {
                TreeSet<Integer> set = cpuList(allowed);
                assertThat(set).as("Cpus_allowed_list of a vCPU thread: %s", affinity).hasSize(1);
                cpus.add(set.first());
            }
            assertThat(new TreeSet<>(cpus)).as("distinct CPUs: %s", affinity).hasSize(vcpus);
            out.clear();
            out.addAll(cpus);
        });
        return out;
    }

    /** vCPU thread name ("CPU 0/TCG") → its {@code Cpus_allowed_list}, in vCPU order. */
    static Map<String, String> vcpuAffinity(long pid) {
        Map<String, String> out = new TreeMap<>((a, b) -> Integer.compare(vcpuIndex(a), vcpuIndex(b)));
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    if (!VCPU_THREAD.matcher(comm).matches()) {
                        continue;
                    }
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("Cpus_allowed_list:")) {
                            out.put(comm, line.substring("Cpus_allowed_list:".length()).strip());
                        }
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the threads of QEMU " + pid, e);
        }
        return out;
    }

    private static int vcpuIndex(String comm) {
        return Integer.parseInt(comm.substring(4, comm.indexOf('/')));
    }

    JsonNode cpuManagerState() {
        return readJson(platform.dataDir.resolve("cpu_manager_state"));
    }

    static JsonNode readJson(Path p) {
        try {
            return JSON.readTree(Files.readString(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "0-2,5" → {0, 1, 2, 5}. */
    static TreeSet<Integer> cpuList(String s) {
        TreeSet<Integer> out = new TreeSet<>();
        for (String part : s.strip().split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int dash = part.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? part.strip() : part.substring(0, dash).strip());
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).strip());
            for (int c = from; c <= to; c++) {
                out.add(c);
            }
        }
        return out;
    }

    /** The running domain's XML, as libvirt reports it ({@code virsh dumpxml}). */
    Document domainXml(String vmi) {
        List<String> cmd = List.of("virsh", "-c", platform.libvirt().uri(), "dumpxml", domain(vmi));
        Kubectl.Result r = Kubectl.exec(null, cmd);
        assertThat(r.exitCode()).as("%s: %s", cmd, r).isZero();
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(r.out().getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError("unparsable domain XML:\n" + r.out(), e);
        }
    }

    static List<Element> xpath(Document doc, String expr) {
        try {
            NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(expr, doc,
                    XPathConstants.NODESET);
            List<Element> out = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                out.add((Element) nodes.item(i));
            }
            return out;
        } catch (Exception e) {
            throw new AssertionError("bad XPath " + expr, e);
        }
    }
}
