package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.launcher.libvirt.LibvirtDaemon;
import io.jvirt.launcher.libvirt.LibvirtHypervisor;
import io.jvirt.placement.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The converter's pinning output on a real, private libvirtd under software emulation (TCG): a 1-vCPU dedicated guest
 * with its vCPU pinned to host CPU 1, the emulator thread on the shared pool (CPU 0), one IOThread (on the vCPU's CPU)
 * and a multi-queue virtio disk is defined and started, and the QEMU threads' affinities are read back from {@code /proc}. Every golden
 * case (emulated variant) must also be accepted by {@code virDomainDefineXML}. Needs libvirtd and two CPUs.
 */
class PinnedDomainIT {

    private static final String UID = "2c9e0f5b-6d1a-4b3c-9d4e-8f9a0b1c2d3e";

    @TempDir
    static Path tmp;

    static LibvirtDaemon daemon;
    static LibvirtHypervisor hv;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(LibvirtDaemon.binariesAvailable(), "libvirtd/virtlogd or unshare/setsid not installed");
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs CPUs 0 and 1");
        daemon = new LibvirtDaemon(tmp.resolve("data"));
        daemon.ensureStarted();
        hv = LibvirtHypervisor.connect(daemon);
    }

    @AfterAll
    static void tearDown() {
        if (hv != null) {
            hv.close();
        }
        if (daemon != null) {
            daemon.stop(Duration.ofSeconds(10), true);   // guests and daemons are stopped by pid
        }
    }

    @Test
    void pinnedGuestStartsUnderTcgWithTheRequestedAffinities() throws Exception {
        Path disk = tmp.resolve("root.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        JsonNode vmi = Fixtures.MAPPER.readTree("""
                {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
                 "metadata": {"name": "pinned", "namespace": "it", "uid": "%s"},
                 "spec": {"domain": {
                   "machine": {"type": "q35"},
                   "cpu": {"sockets": 1, "cores": 1, "threads": 1, "dedicatedCpuPlacement": true},
                   "ioThreadsPolicy": "shared",
                   "memory": {"guest": "64Mi"},
                   "devices": {"autoattachSerialConsole": false, "autoattachGraphicsDevice": false,
                               "blockMultiQueue": true,
                               "disks": [{"name": "root", "disk": {"bus": "virtio"}}]}},
                  "volumes": [{"name": "root", "emptyDisk": {"capacity": "1Mi"}}]}}
                """.formatted(UID));
        Outcome.Allocation placement = new Outcome.Allocation(List.of(1), List.of(), List.of(), Map.of(), 0,
                "vCPU 0 on CPU 1");
        ConverterContext ctx = new ConverterContext(false, "/usr/bin/qemu-system-x86_64",
                Map.of("root", new PreparedDisk(disk, "raw", null, null, false, false)), null, null, null, null,
                null, null, null, null, null, placement, List.of(0, 1), Map.of(0, List.of(10)));
        String xml = DomainConverter.toXml(vmi, ctx);
        assertThat(xml).contains("<vcpupin vcpu='0' cpuset='1'/>", "<emulatorpin cpuset='0'/>",
                "<iothreadpin iothread='1' cpuset='1'/>", "iothread='1' queues='1'");

        String name = hv.define(xml);
        hv.start(name);
        try {
            assertThat(hv.xml(name)).contains("<vcpupin vcpu='0' cpuset='1'/>", "<emulatorpin cpuset='0'/>");
            long pid = Long.parseLong(Files.readString(daemon.qemuPidFile(name)).trim());
            Map<String, String> affinity = threadAffinities(pid);
            // the vCPU thread and the IOThread (as in KubeVirt, on the vCPUs' CPUs) on the exclusive CPU;
            // everything else (main loop, RCU, worker threads) on the shared pool
            assertThat(affinity).containsEntry("CPU 0/TCG", "1").containsEntry("IO iothread1", "1");
            affinity.forEach((thread, cpus) -> {
                if (!thread.equals("CPU 0/TCG") && !thread.equals("IO iothread1")) {
                    assertThat(cpus).as("affinity of QEMU thread %s", thread).isEqualTo("0");
                }
            });
        } finally {
            hv.destroy(name);
            hv.undefine(name);
        }
    }

    @Test
    void libvirtAcceptsEveryGoldenCase() {
        for (String name : Fixtures.cases()) {
            String xml = DomainConverter.toXml(Fixtures.vmi(name), Fixtures.context(name).withKvm(false));
            String domain = hv.define(xml);
            hv.undefine(domain);
        }
    }

    /** Thread name → {@code Cpus_allowed_list} of every thread of a process. */
    private static Map<String, String> threadAffinities(long pid) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String comm = Files.readString(task.resolve("comm")).trim();
                for (String line : Files.readAllLines(task.resolve("status"))) {
                    if (line.startsWith("Cpus_allowed_list:")) {
                        out.putIfAbsent(comm, line.substring(line.indexOf(':') + 1).trim());
                    }
                }
            }
        }
        return out;
    }
}
