package io.jvirt.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.jvirt.cli.ApiClient;
import io.jvirt.launcher.libvirt.LibvirtDaemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.jvirt.bench.VmResources.VM;
import static io.jvirt.bench.VmResources.VMI;

/**
 * The platform under test: {@code jvirt up} from a snapshot of the distribution, in its own JVM with the product's
 * flags and a fresh data directory, and the clients that drive it (fabric8 for objects, jvirt's {@link ApiClient}
 * for the console). {@link #stop()} stops, each by its PID, the JVM and the platform's libvirtd with its guests.
 */
final class VmPlatform {
    static final String NS = "default";
    static final String IMAGE = "quay.io/kubevirt/cirros-container-disk-demo";
    private static final Log LOG = Log.VM;

    private final VmBenchOptions o;
    private final Path data;
    private Path javaBin;
    private List<String> jvmFlags;
    private Process process;
    private KubernetesClient client;
    private ApiClient console;
    private volatile String accel = "?";

    VmPlatform(VmBenchOptions o) {
        this.o = o;
        this.data = o.data();
    }

    /** Snapshots the distribution (others may rebuild cli/target while the bench runs), imports the test guest. */
    void prepare() throws Exception {
        javaBin = ServerProcess.javaBinary();
        jvmFlags = ServerProcess.productJvmFlags(o.repo());
        Path dist = o.work().resolve("dist");
        Files.createDirectories(dist.resolve("lib"));
        Path jar = o.repo().resolve("cli/target/jvirt.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the distribution first (./jvirt version)");
        }
        Files.copy(jar, dist.resolve("jvirt.jar"), StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> libs = Files.list(o.repo().resolve("cli/target/lib"))) {
            for (Path l : libs.toList()) {
                Files.copy(l, dist.resolve("lib").resolve(l.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (String f : List.of("disk.qcow2", "vmlinuz", "initrd.img")) {
            if (!Files.isRegularFile(o.guestDir().resolve(f))) {
                throw new IllegalStateException("test guest incomplete: " + o.guestDir().resolve(f) + " is missing "
                        + "(scripts/build-test-guest.sh)");
            }
        }
        Files.createDirectories(data);
        List<String> cmd = javaCmd();
        cmd.addAll(List.of("image", "import", IMAGE, o.guestDir().resolve("disk.qcow2").toString(), "--data-dir",
                data.toString()));
        String out = Processes.run(cmd, Duration.ofSeconds(120));
        LOG.info("image: %s", out.trim());
    }

    private List<String> javaCmd() {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin.toString());
        cmd.addAll(jvmFlags);
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        cmd.add("-jar");
        cmd.add(o.work().resolve("dist/jvirt.jar").toString());
        return cmd;
    }

    /** Starts {@code jvirt up} and connects the clients; returns the ns from the spawn until it serves. */
    long start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = javaCmd();
        cmd.addAll(List.of("up", "--data-dir", data.toString(), "--port", Integer.toString(port)));
        Path logFile = o.work().resolve("platform.log");
        LOG.info("starting the platform: jvirt up --data-dir %s --port %d (log %s)", data, port, logFile);
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        process = pb.start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("platform-out").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); PrintStream logOut = new PrintStream(Files.newOutputStream(logFile),
                    true, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    logOut.println(line);
                    if (line.startsWith("jvirt is running at")) {
                        ready.complete(line);
                    }
                    if (line.contains("platform ready")) {
                        accel = line.contains("software emulation") ? "TCG (software emulation)" : "KVM";
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            ready.completeExceptionally(new IllegalStateException("the platform exited before serving; see "
                    + logFile));
        });
        ready.get(180, TimeUnit.SECONDS);
        long started = System.nanoTime() - t0;
        Config cfg = Config.fromKubeconfig(Files.readString(data.resolve("kubeconfig")));
        cfg.setRequestTimeout(60_000);
        client = new KubernetesClientBuilder().withConfig(cfg).build();
        console = ApiClient.fromKubeconfig(data.resolve("kubeconfig"), NS);
        return started;
    }

    /** What the platform said it runs guests with: "KVM", "TCG (software emulation)", or "?". */
    String accelerator() {
        return accel;
    }

    void waitNodeReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            for (var n : client.nodes().list().getItems()) {
                if (n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
                        .stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"))) {
                    LOG.info("node %s is Ready", n.getMetadata().getName());
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no Ready node within 120 s; see " + o.work().resolve("platform.log"));
    }

    KubernetesClient client() {
        return client;
    }

    ApiClient console() {
        return console;
    }

    Path data() {
        return data;
    }

    Path javaBin() {
        return javaBin;
    }

    List<String> jvmFlags() {
        return jvmFlags;
    }

    /** The platform JVM's PID. */
    long pid() {
        return process.pid();
    }

    /** The platform's libvirtd. */
    LibvirtDaemon libvirt() {
        return new LibvirtDaemon(data);
    }

    /** The URI for {@code virsh -c} to reach the platform's libvirtd. */
    String virshUri() {
        return "qemu+unix:///system?socket=" + data.resolve("libvirt/run/libvirt-sock");
    }

    /** The libvirt domain name of a VM's guest. */
    static String domainName(String vm) {
        return NS + "_" + vm;
    }

    /** The PID of a domain's QEMU from libvirt's pid file, or -1. */
    long qemuPid(String domain) {
        Path f = data.resolve("libvirt/run/qemu").resolve(domain + ".pid");
        try {
            return Long.parseLong(Files.readString(f).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** CPU ms so far of {platform JVM, libvirtd, this driver}. */
    long[] cpuNow() {
        return new long[] {process == null ? 0 : cpuMs(process.pid()), cpuMs(libvirt().pid().orElse(-1)),
                cpuMs(ProcessHandle.current().pid())};
    }

    /** CPU ms so far of a process, 0 when it is unknown. */
    static long cpuMs(long pid) {
        return Processes.cpuMs(pid).orElse(0);
    }

    /** A bench VM for {@link VmResources#VM}: examples/vm-cirros.yaml named {@code name}, runStrategy Always. */
    GenericKubernetesResource vmObject(String name, String memory) throws IOException {
        return VmResources.toResource(client.getKubernetesSerialization(),
                VmResources.startVm(VmResources.manifest(o.repo()), name, memory));
    }

    void createVm(String name, String memory) throws IOException {
        client.genericKubernetesResources(VM).inNamespace(NS).resource(vmObject(name, memory)).create();
    }

    /** Deletes the VMs and waits until they and their VMIs are gone. */
    void deleteVmsAndWait(List<String> names, Duration timeout) throws InterruptedException {
        for (String n : names) {
            try {
                client.genericKubernetesResources(VM).inNamespace(NS).withName(n).delete();
            } catch (RuntimeException e) {
                LOG.info("deleting VM %s: %s", n, e.getMessage());
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var vms = client.genericKubernetesResources(VM).inNamespace(NS).list().getItems().stream()
                    .filter(r -> names.contains(r.getMetadata().getName())).count();
            var vmis = client.genericKubernetesResources(VMI).inNamespace(NS).list().getItems().stream()
                    .filter(r -> names.contains(r.getMetadata().getName())).count();
            if (vms == 0 && vmis == 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("VMs " + names + " not gone within " + timeout);
    }

    /**
     * Stops, each by its PID: the platform JVM (SIGTERM: it closes cleanly, guests stay with libvirt), then the
     * platform's libvirtd with its guests and virtlogd; keeps libvirtd's log in the work directory and deletes the
     * data directory and the distribution snapshot unless --keep.
     */
    void stop() {
        if (client != null) {
            try {
                client.close();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
        if (process != null) {
            Processes.stop(process);
        }
        if (Files.isDirectory(data.resolve("libvirt"))) {
            try {
                libvirt().stop(Duration.ofSeconds(10), true);
            } catch (RuntimeException e) {
                LOG.info("stopping libvirtd: %s", e);
            }
        }
        try {
            Path daemonLog = data.resolve("libvirt/log/libvirtd.log");
            if (Files.exists(daemonLog)) {
                Files.copy(daemonLog, o.work().resolve("libvirtd.log"), StandardCopyOption.REPLACE_EXISTING);
            }
            if (!o.keep() && Files.isDirectory(data)) {
                Dirs.delete(data);
                Dirs.delete(o.work().resolve("dist"));
            }
        } catch (IOException e) {
            LOG.info("cleaning up %s: %s", data, e);
        }
    }
}
