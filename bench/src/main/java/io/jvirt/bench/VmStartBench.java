package io.jvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.jvirt.cli.ApiClient;
import io.jvirt.launcher.libvirt.LibvirtDaemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The VM start benchmark (not a test): start latency of a VM through jvirt next to {@code virsh create} of the very
 * same domain XML and a direct {@code qemu-system-x86_64} start of the same guest, then the host memory that 20
 * running guests cost besides their RAM. Runs the real platform ({@code jvirt up}, a snapshot of
 * {@code cli/target/jvirt.jar}) as a separate process with the product's JVM flags, drives it with fabric8 (create,
 * watch) and jvirt's console client (websocket console subresource, scrollback included); prints a Markdown report.
 * See {@code bench/run-vm.sh} and {@code docs/benchmarks.md}.
 *
 * <pre>
 * VmStartBench --repo DIR --guest-dir DIR [--runs 10] [--density 20] [--density-memory 128Mi] [--out FILE]
 *              [--work DIR] [--login-timeout 180] [--density-timeout 600] [--density-stall 120]
 *              [--qemu-tb-size MIB]   (TCG translation cache of the direct QEMU baseline; default: QEMU's)
 *              [--keep]
 * </pre>
 *
 * Every process it starts (platform JVM, the platform's libvirtd/virtlogd and their guests, baseline QEMUs) is
 * stopped by PID at the end, also on failure or Ctrl+C.
 */
public final class VmStartBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ResourceDefinitionContext VM = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachine").withPlural("virtualmachines")
            .withNamespaced(true).build();
    private static final ResourceDefinitionContext VMI = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachineInstance")
            .withPlural("virtualmachineinstances").withNamespaced(true).build();
    static final String NS = "default";
    static final String LOGIN = "jvirt-guest login:";
    static final String IMAGE = "quay.io/kubevirt/cirros-container-disk-demo";
    static final String LAT_VM = "bench-vm";
    static final String VIRSH_DOMAIN = "jvbench-virsh";

    private final Map<String, String> opts;
    private final Path repo;
    private final Path guestDir;
    private final Path work;
    private final Path data;
    private final int runs;
    private final int density;
    private final String densityMemory;
    private final Duration loginTimeout;
    private final Duration densityTimeout;
    private final boolean keep;
    private final String qemuTbSize;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    private Process platform;
    private KubernetesClient client;
    private ApiClient console;
    private Path javaBin;
    private List<String> jvmFlags;
    private final List<Process> baselineQemus = new ArrayList<>();
    private boolean cleanedUp;
    private volatile String accel = "?";

    // captured from the warm-up run: the domain XML jvirt generated and the files it references
    private String capturedXml;
    private Path capturedVmiDir;
    private Path capturedIso;
    private String baseImage;
    private String baseFormat;

    // latency samples (ns), one per measured iteration
    private final List<Long> jvRunning = new ArrayList<>();
    private final List<Long> jvLogin = new ArrayList<>();
    private final List<Long> virshRunning = new ArrayList<>();
    private final List<Long> virshLogin = new ArrayList<>();
    private final List<Long> qemuLogin = new ArrayList<>();
    private final List<Long> jvCreateAck = new ArrayList<>();
    private final List<Long> jvToScheduling = new ArrayList<>();
    private final List<Long> jvToScheduled = new ArrayList<>();
    private final List<Long> jvToRunningTs = new ArrayList<>();
    private final List<Long> jvRunningEvent = new ArrayList<>();
    private final List<Long> jvRunningToConsole = new ArrayList<>();
    private final List<Long> jvDelete = new ArrayList<>();
    private final List<Long> pairedRunning = new ArrayList<>();
    private final List<Long> pairedLogin = new ArrayList<>();
    // CPU ms used from the start to the login prompt, per path: {platform JVM, libvirtd, bench driver, the guest's QEMU}
    private final Map<String, List<long[]>> cpuToLogin = new LinkedHashMap<>();
    // QEMU memory at the login prompt, per path: {rss, guest RAM resident, TCG cache resident} KiB
    private final Map<String, List<long[]>> qemuAtLogin = new LinkedHashMap<>();
    // density
    private final List<String[]> densityRows = new ArrayList<>();
    private final Map<String, String> densityFacts = new LinkedHashMap<>();

    VmStartBench(Map<String, String> opts) {
        this.opts = opts;
        this.repo = Path.of(req(opts, "--repo")).toAbsolutePath().normalize();
        this.guestDir = Path.of(req(opts, "--guest-dir")).toAbsolutePath().normalize();
        String stamp = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        this.work = Path.of(opts.getOrDefault("--work", System.getProperty("java.io.tmpdir") + "/jvirt-vmbench-"
                + stamp)).toAbsolutePath().normalize();
        this.data = work.resolve("data");
        this.runs = Integer.parseInt(opts.getOrDefault("--runs", "10"));
        this.density = Integer.parseInt(opts.getOrDefault("--density", "20"));
        this.densityMemory = opts.getOrDefault("--density-memory", "128Mi");
        this.loginTimeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("--login-timeout", "180")));
        this.densityTimeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("--density-timeout", "600")));
        this.keep = opts.containsKey("--keep");
        this.qemuTbSize = opts.get("--qemu-tb-size");
        for (String p : List.of("jvirt", "virsh", "qemu")) {
            qemuAtLogin.put(p, new ArrayList<>());
            cpuToLogin.put(p, new ArrayList<>());
        }
    }

    private static String req(Map<String, String> o, String k) {
        String v = o.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing " + k);
        }
        return v;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--keep")) {
                o.put(a, "true");
            } else if (a.startsWith("--") && a.contains("=")) {
                o.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("--") && i + 1 < args.length) {
                o.put(a, args[++i]);
            } else {
                System.err.println("usage: VmStartBench --repo DIR --guest-dir DIR [--runs N] [--density N] "
                        + "[--density-memory Q] [--out FILE] [--work DIR] [--login-timeout S] [--density-timeout S] "
                        + "[--density-stall S] [--qemu-tb-size MIB] [--keep]");
                System.exit(2);
            }
        }
        VmStartBench b = new VmStartBench(o);
        Thread hook = new Thread(b::cleanup, "vmbench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        String report;
        try {
            report = b.run();
        } finally {
            b.cleanup();
        }
        System.out.print(report);
        if (o.containsKey("--out")) {
            Files.writeString(Path.of(o.get("--out")), report);
        }
        System.exit(0);
    }

    static void log(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[vmbench %s] %s%n",
                java.time.LocalTime.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                String.format(Locale.ROOT, fmt, args));
    }

    // ================================================================================================= run

    String run() throws Exception {
        Files.createDirectories(work);
        log("work directory %s", work);
        prepare();
        startPlatform();
        waitNodeReady();

        log("warm-up (not counted): one start of each kind");
        long[] warm = jvirtRun(LAT_VM, true);
        if (warm == null) {
            throw new IllegalStateException("the warm-up VM did not reach its login prompt; see " + work);
        }
        long[] warmVirsh = virshRun(false);
        long[] warmQemu = qemuRun(false);
        facts.put("first start after `jvirt up` (warm-up, not in the statistics)", "jvirt → Running "
                + ms(warm[0]) + " ms, → login " + ms(warm[1]) + " ms; virsh → running "
                + (warmVirsh == null ? "n/a" : ms(warmVirsh[0])) + " ms, → login "
                + (warmVirsh == null ? "n/a" : ms(warmVirsh[1])) + " ms; qemu → login "
                + (warmQemu == null ? "n/a" : ms(warmQemu[1])) + " ms");

        for (int i = 0; i < runs; i++) {
            // rotate the order so that drift in the host's load does not favour one path
            long[] jv = null;
            long[] vs = null;
            for (int k = 0; k < 3; k++) {
                switch ((i + k) % 3) {
                    case 0 -> jv = jvirtRun(LAT_VM, false);
                    case 1 -> vs = virshRun(true);
                    default -> qemuRun(true);
                }
            }
            if (jv != null && vs != null) {
                pairedRunning.add(jv[0] - vs[0]);
                pairedLogin.add(jv[1] - vs[1]);
            }
            log("iteration %d/%d: jvirt %s / %s ms, virsh %s / %s ms, qemu %s ms (→ running / → login)", i + 1, runs,
                    ms(last(jvRunning)), ms(last(jvLogin)), ms(last(virshRunning)), ms(last(virshLogin)),
                    ms(last(qemuLogin)));
        }
        if (density > 0) {
            density();
        }
        return report();
    }

    private static Long last(List<Long> l) {
        return l.isEmpty() ? null : l.getLast();
    }

    private static String ms(Long ns) {
        return ns == null ? "n/a" : Stats.ms(ns / 1e6);
    }

    // ================================================================================================= setup

    private void prepare() throws Exception {
        javaBin = ServerProcess.javaBinary();
        jvmFlags = ServerProcess.productJvmFlags(repo);
        // snapshot of the distribution: others may rebuild cli/target while the bench runs
        Path dist = work.resolve("dist");
        Files.createDirectories(dist.resolve("lib"));
        Path jar = repo.resolve("cli/target/jvirt.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the distribution first (./jvirt version)");
        }
        Files.copy(jar, dist.resolve("jvirt.jar"), StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> libs = Files.list(repo.resolve("cli/target/lib"))) {
            for (Path l : libs.toList()) {
                Files.copy(l, dist.resolve("lib").resolve(l.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (String f : List.of("disk.qcow2", "vmlinuz", "initrd.img")) {
            if (!Files.isRegularFile(guestDir.resolve(f))) {
                throw new IllegalStateException("test guest incomplete: " + guestDir.resolve(f) + " is missing "
                        + "(scripts/build-test-guest.sh)");
            }
        }
        Files.createDirectories(data);
        List<String> cmd = javaCmd();
        cmd.addAll(List.of("image", "import", IMAGE, guestDir.resolve("disk.qcow2").toString(), "--data-dir",
                data.toString()));
        String out = runCmd(cmd, Duration.ofSeconds(120));
        log("image: %s", out.trim());

        facts.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", ""));
        facts.put("cpus", Runtime.getRuntime().availableProcessors() + " (" + cpuModel() + ")");
        facts.put("memory", memTotalMiB() + " MiB");
        facts.put("kernel", firstLine(runCmdQuiet(List.of("uname", "-r"))));
        facts.put("QEMU", firstLine(runCmdQuiet(List.of("qemu-system-x86_64", "--version"))));
        facts.put("libvirt", "libvirtd " + firstLine(runCmdQuiet(List.of("/usr/sbin/libvirtd", "--version")))
                .replaceAll(".*\\s", ""));
        facts.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        facts.put("platform JVM flags", String.join(" ", jvmFlags));
        facts.put("guest", "jvirt test guest (" + guestDir + "/disk.qcow2 imported as " + IMAGE
                + "), examples/vm-cirros.yaml with runStrategy Always");
        if (qemuTbSize != null) {
            facts.put("direct QEMU baseline", "-accel tcg,tb-size=" + qemuTbSize + " (translation cache capped)");
        }
        facts.put("load before start", firstLine(Files.readString(Path.of("/proc/loadavg"))));
    }

    private List<String> javaCmd() {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin.toString());
        cmd.addAll(jvmFlags);
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        cmd.add("-jar");
        cmd.add(work.resolve("dist/jvirt.jar").toString());
        return cmd;
    }

    private void startPlatform() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = javaCmd();
        cmd.addAll(List.of("up", "--data-dir", data.toString(), "--port", Integer.toString(port)));
        Path logFile = work.resolve("platform.log");
        log("starting the platform: jvirt up --data-dir %s --port %d (log %s)", data, port, logFile);
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        platform = pb.start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("platform-out").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(platform.getInputStream(),
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
        facts.put("accelerator", accel);
        facts.put("platform start (jvirt up → serving)", Stats.ms((System.nanoTime() - t0) / 1e6) + " ms");
        Config cfg = Config.fromKubeconfig(Files.readString(data.resolve("kubeconfig")));
        cfg.setRequestTimeout(60_000);
        client = new KubernetesClientBuilder().withConfig(cfg).build();
        console = ApiClient.fromKubeconfig(data.resolve("kubeconfig"), NS);
    }

    private void waitNodeReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            for (var n : client.nodes().list().getItems()) {
                if (n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
                        .stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"))) {
                    log("node %s is Ready", n.getMetadata().getName());
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no Ready node within 120 s; see " + work.resolve("platform.log"));
    }

    private GenericKubernetesResource vmObject(String name, String memory) throws IOException {
        ObjectNode vm = (ObjectNode) new YAMLMapper().readTree(repo.resolve("examples/vm-cirros.yaml").toFile());
        ObjectNode meta = (ObjectNode) vm.get("metadata");
        meta.put("name", name);
        ((ObjectNode) meta.with("labels")).put("kubevirt.io/vm", name).put("jvirt.io/bench", "vm-start");
        ObjectNode spec = (ObjectNode) vm.get("spec");
        spec.put("runStrategy", "Always");
        ObjectNode tpl = (ObjectNode) spec.get("template");
        ((ObjectNode) tpl.with("metadata").with("labels")).put("kubevirt.io/vm", name);
        if (memory != null) {
            ((ObjectNode) tpl.with("spec").with("domain").with("resources").with("requests")).put("memory", memory);
        }
        return client.getKubernetesSerialization().unmarshal(JSON.writeValueAsString(vm),
                GenericKubernetesResource.class);
    }

    // ================================================================================================= jvirt

    /**
     * One start through jvirt: create the VM, watch its VMI to Running, open the console (websocket subresource,
     * scrollback replayed) until the login prompt, then delete the VM and wait until VM and VMI are gone.
     *
     * @return {create → Running, create → login} in ns, or null when the guest did not get there
     */
    private long[] jvirtRun(String name, boolean capture) throws Exception {
        CompletableFuture<JsonNode> running = new CompletableFuture<>();
        AtomicLong runningAt = new AtomicLong();
        Watch watch = client.genericKubernetesResources(VMI).inNamespace(NS).withName(name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, GenericKubernetesResource r) {
                long now = System.nanoTime();
                JsonNode n = JSON.valueToTree(r);
                String phase = n.path("status").path("phase").asText("");
                if (phase.equals("Running") && !running.isDone()) {
                    runningAt.set(now);
                    running.complete(n);
                } else if ((phase.equals("Failed") || phase.equals("Succeeded")) && !running.isDone()) {
                    running.completeExceptionally(new IllegalStateException("VMI " + name + " " + phase + ": "
                            + n.path("status")));
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                running.completeExceptionally(new IllegalStateException("watch closed", cause));
            }
        });
        long[] result = null;
        try {
            Instant wall0 = Instant.now();
            long[] cpu0 = cpuNow();
            long t0 = System.nanoTime();
            client.genericKubernetesResources(VM).inNamespace(NS).resource(vmObject(name, null)).create();
            long tAck = System.nanoTime();
            JsonNode vmi = running.get(loginTimeout.toSeconds(), TimeUnit.SECONDS);
            long tRun = runningAt.get();
            if (capture) {
                captureDomain(name);
            }
            ConsoleLogin cl = consoleLogin(name, System.nanoTime() + loginTimeout.toNanos());
            long tLogin = cl.foundAt;
            long[] cpu = cpuDelta(cpu0, cpuNow(), cpuMs(pidOf(domainName(name))));
            long[] mem = qemuMem(pidOf(domainName(name)));
            result = new long[] {tRun - t0, tLogin - t0};
            if (!capture) {
                jvRunning.add(tRun - t0);
                jvLogin.add(tLogin - t0);
                jvCreateAck.add(tAck - t0);
                Map<String, Instant> ts = new LinkedHashMap<>();
                for (JsonNode t : vmi.path("status").path("phaseTransitionTimestamps")) {
                    ts.putIfAbsent(t.path("phase").asText(), Instant.parse(t.path("phaseTransitionTimestamp").asText()));
                }
                jvToScheduling.add(nanosSince(wall0, ts.get("Scheduling")));
                jvToScheduled.add(nanosSince(wall0, ts.get("Scheduled")));
                jvToRunningTs.add(nanosSince(wall0, ts.get("Running")));
                Long runTs = nanosSince(wall0, ts.get("Running"));
                jvRunningEvent.add(runTs == null ? null : (tRun - t0) - runTs);
                jvRunningToConsole.add(cl.connectedAt - tRun);
                if (mem != null) {
                    qemuAtLogin.get("jvirt").add(mem);
                }
                cpuToLogin.get("jvirt").add(cpu);
            }
        } catch (TimeoutException e) {
            log("jvirt run: %s did not reach Running/login within %s", name, loginTimeout);
            notes.add("a jvirt start of " + name + " timed out (" + loginTimeout.toSeconds() + " s)");
        } finally {
            watch.close();
            long d0 = System.nanoTime();
            deleteVmsAndWait(List.of(name), Duration.ofSeconds(120));
            if (!capture && result != null) {
                jvDelete.add(System.nanoTime() - d0);
            }
        }
        return result;
    }

    private static Long nanosSince(Instant wall0, Instant t) {
        return t == null ? null : Duration.between(wall0, t).toNanos();
    }

    private static String domainName(String vm) {
        return NS + "_" + vm;
    }

    private long pidOf(String domain) {
        OptionalLong pid = pidFile(data.resolve("libvirt/run/qemu").resolve(domain + ".pid"));
        return pid.orElse(-1);
    }

    private static OptionalLong pidFile(Path f) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(f).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Keeps the domain XML of the running VMI and the seed ISO it uses, for the virsh and QEMU baselines. */
    private void captureDomain(String name) throws IOException {
        Path vmiDir = data.resolve("vmis").resolve(NS).resolve(name);
        capturedVmiDir = vmiDir;
        capturedXml = Files.readString(vmiDir.resolve("domain.xml"));
        Path keepDir = work.resolve("captured");
        Files.createDirectories(keepDir);
        Files.writeString(keepDir.resolve("domain.xml"), capturedXml);
        Files.copy(vmiDir.resolve("vmi.json"), keepDir.resolve("vmi.json"), StandardCopyOption.REPLACE_EXISTING);
        Matcher iso = Pattern.compile("<source file='([^']*\\.iso)'/>").matcher(capturedXml);
        if (!iso.find()) {
            throw new IllegalStateException("no seed ISO in the domain XML " + keepDir.resolve("domain.xml"));
        }
        capturedIso = keepDir.resolve("seed.iso");
        Files.copy(Path.of(iso.group(1)), capturedIso, StandardCopyOption.REPLACE_EXISTING);
        Matcher base = Pattern.compile("<backingStore type='file'>\\s*<format type='([^']+)'/>\\s*<source file='([^']+)'/>")
                .matcher(capturedXml);
        if (!base.find()) {
            throw new IllegalStateException("no backing image in the domain XML " + keepDir.resolve("domain.xml"));
        }
        baseFormat = base.group(1);
        baseImage = base.group(2);
        log("captured the domain XML of %s (%d bytes), seed ISO and base image %s", name, capturedXml.length(),
                baseImage);
    }

    private void deleteVmsAndWait(List<String> names, Duration timeout) throws InterruptedException {
        for (String n : names) {
            try {
                client.genericKubernetesResources(VM).inNamespace(NS).withName(n).delete();
            } catch (RuntimeException e) {
                log("deleting VM %s: %s", n, e.getMessage());
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

    /** Opens the VMI's console through the API server (retrying until it is served) and waits for the prompt. */
    private ConsoleLogin consoleLogin(String name, long deadline) throws Exception {
        ConsoleLogin l = new ConsoleLogin();
        String path = console.subresourcePath("virtualmachineinstances", name, "console");
        WebSocket ws = null;
        String lastError = null;
        while (ws == null) {
            try {
                ws = console.websocket(path, l);
                l.connectedAt = System.nanoTime();
            } catch (RuntimeException e) {
                lastError = e.getMessage();
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("console of " + name + " not available: " + lastError);
                }
                Thread.sleep(20);
            }
        }
        try {
            l.found.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return l;
        } catch (TimeoutException e) {
            throw new TimeoutException("no login prompt on the console of " + name + "; last output: "
                    + l.matcher.tail());
        } finally {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bench done").get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // closing anyway
            }
            ws.abort();
        }
    }

    /** A console viewer that notes when the login prompt arrives. */
    static final class ConsoleLogin implements WebSocket.Listener {
        final NeedleMatcher matcher = new NeedleMatcher(LOGIN);
        final CompletableFuture<Void> found = new CompletableFuture<>();
        volatile long connectedAt;
        volatile long foundAt;

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            feed(b);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            feed(data.toString().getBytes(StandardCharsets.UTF_8));
            ws.request(1);
            return null;
        }

        private void feed(byte[] b) {
            long now = System.nanoTime();
            if (!found.isDone() && matcher.feed(b, b.length)) {
                foundAt = now;
                found.complete(null);
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            found.completeExceptionally(new IllegalStateException("console closed: " + code + " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            found.completeExceptionally(error);
        }
    }

    /** Finds a text in a byte stream fed in arbitrary chunks; keeps the last 2 KiB for error messages. */
    static final class NeedleMatcher {
        private final byte[] needle;
        private final StringBuilder recent = new StringBuilder();
        private int matched;

        NeedleMatcher(String needle) {
            this.needle = needle.getBytes(StandardCharsets.US_ASCII);
        }

        synchronized boolean feed(byte[] b, int len) {
            boolean hit = false;
            for (int i = 0; i < len; i++) {
                byte c = b[i];
                recent.append((char) (c & 0xff));
                if (c == needle[matched]) {
                    matched++;
                } else {
                    matched = c == needle[0] ? 1 : 0;
                }
                if (matched == needle.length) {
                    hit = true;
                    matched = 0;
                }
            }
            if (recent.length() > 4096) {
                recent.delete(0, recent.length() - 2048);
            }
            return hit;
        }

        synchronized String tail() {
            String t = recent.toString().replaceAll("[^\\x20-\\x7e\\n]", "").replaceAll("\\s+", " ");
            return t.substring(Math.max(0, t.length() - 400));
        }
    }

    // ================================================================================================= virsh

    private String virshUri() {
        return "qemu+unix:///system?socket=" + data.resolve("libvirt/run/libvirt-sock");
    }

    /**
     * {@code virsh create} of the domain XML jvirt generated, changed only where it must be to live next to the
     * platform: another name, no uuid, no jvirt metadata (so the node agent ignores the domain), and its files
     * (overlay, seed ISO, sockets) in a directory of its own. Timed to the end of {@code virsh create} (the domain
     * runs) and to the login prompt on the serial socket.
     */
    private long[] virshRun(boolean record) throws Exception {
        Path dir = work.resolve("virsh");
        resetDir(dir);
        Files.createDirectories(dir.resolve("disks"));
        String xml = capturedXml.replace(capturedVmiDir.toString(), dir.toString())
                .replaceFirst("<name>[^<]*</name>", "<name>" + VIRSH_DOMAIN + "</name>")
                .replaceFirst("\\s*<uuid>[^<]*</uuid>", "")
                .replaceFirst("(?s)\\s*<metadata>.*</metadata>", "");
        Matcher iso = Pattern.compile("<source file='([^']*\\.iso)'/>").matcher(xml);
        iso.find();
        Path isoPath = Path.of(iso.group(1));
        Files.createDirectories(isoPath.getParent());
        Files.copy(capturedIso, isoPath, StandardCopyOption.REPLACE_EXISTING);
        Matcher overlay = Pattern.compile("<source file='([^']*)'/>\\s*<backingStore type='file'>").matcher(xml);
        overlay.find();
        runCmd(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", baseImage,
                overlay.group(1)), Duration.ofSeconds(60));
        Path xmlFile = dir.resolve("domain.xml");
        Files.writeString(xmlFile, xml);
        Matcher serial = Pattern.compile("<serial type='unix'>\\s*<source mode='bind' path='([^']+)'/>").matcher(xml);
        serial.find();
        Path serialSock = Path.of(serial.group(1));

        long[] cpu0 = cpuNow();
        long t0 = System.nanoTime();
        runCmd(List.of("virsh", "-c", virshUri(), "create", xmlFile.toString()), Duration.ofSeconds(120));
        long tRun = System.nanoTime();
        long[] result = null;
        try {
            long tLogin = serialLogin(serialSock, System.nanoTime() + loginTimeout.toNanos());
            long[] cpu = cpuDelta(cpu0, cpuNow(), cpuMs(pidOf(VIRSH_DOMAIN)));
            long[] mem = qemuMem(pidOf(VIRSH_DOMAIN));
            result = new long[] {tRun - t0, tLogin - t0};
            if (record) {
                virshRunning.add(tRun - t0);
                virshLogin.add(tLogin - t0);
                if (mem != null) {
                    qemuAtLogin.get("virsh").add(mem);
                }
                cpuToLogin.get("virsh").add(cpu);
            }
        } catch (TimeoutException e) {
            log("virsh run: %s", e.getMessage());
            notes.add("a virsh start timed out: " + e.getMessage());
        } finally {
            runCmdQuiet(List.of("virsh", "-c", virshUri(), "destroy", VIRSH_DOMAIN));
            waitGone(pidOf(VIRSH_DOMAIN));
            resetDir(dir);
        }
        return result;
    }

    /** Connects to a unix socket as soon as it accepts and reads until the login prompt; returns that time. */
    private static long serialLogin(Path socket, long deadline) throws Exception {
        SocketChannel ch = null;
        while (ch == null) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
                ch = c;
            } catch (IOException e) {
                c.close();
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("serial socket " + socket + " never accepted: " + e.getMessage());
                }
                Thread.sleep(2);
            }
        }
        SocketChannel channel = ch;
        return readUntil(socket.toString(), in -> {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            int n = channel.read(buf);
            return n < 0 ? null : java.util.Arrays.copyOf(buf.array(), n);
        }, channel::close, deadline);
    }

    interface Chunks {
        byte[] next(Object unused) throws IOException;
    }

    interface Closer {
        void close() throws IOException;
    }

    /** Reads chunks on a virtual thread until the login prompt shows; closes the source at the end or on timeout. */
    private static long readUntil(String what, Chunks chunks, Closer closer, long deadline) throws Exception {
        NeedleMatcher m = new NeedleMatcher(LOGIN);
        CompletableFuture<Long> found = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                byte[] b;
                while ((b = chunks.next(null)) != null) {
                    long now = System.nanoTime();
                    if (m.feed(b, b.length)) {
                        found.complete(now);
                        return;
                    }
                }
                found.completeExceptionally(new IOException(what + " ended before the login prompt: " + m.tail()));
            } catch (IOException e) {
                found.completeExceptionally(e);
            }
        });
        try {
            return found.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException("no login prompt on " + what + "; last output: " + m.tail());
        } finally {
            closer.close();
            t.interrupt();
        }
    }

    // ================================================================================================= qemu

    /**
     * A direct {@code qemu-system-x86_64} start of the same guest: same accelerator, machine, CPU model, memory,
     * vCPUs, disk (a fresh overlay on the same base image, same cache mode) and seed ISO, user networking with
     * virtio-net, a VGA adapter without display, the serial port on stdio. Timed to the login prompt on stdout.
     */
    private long[] qemuRun(boolean record) throws Exception {
        Path dir = work.resolve("qemu");
        resetDir(dir);
        Path overlay = dir.resolve("rootdisk.qcow2");
        runCmd(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", baseImage,
                overlay.toString()), Duration.ofSeconds(60));
        Path iso = dir.resolve("seed.iso");
        Files.copy(capturedIso, iso);
        List<String> cmd = qemuCommand(overlay, iso);
        Files.writeString(dir.resolve("command"), String.join(" ", cmd) + "\n");
        long[] cpu0 = cpuNow();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        synchronized (baselineQemus) {
            baselineQemus.add(p);
        }
        long[] result = null;
        try {
            InputStream in = p.getInputStream();
            long tLogin = readUntil("qemu stdio", u -> {
                byte[] b = new byte[8192];
                int n = in.read(b);
                return n < 0 ? null : java.util.Arrays.copyOf(b, n);
            }, () -> { }, System.nanoTime() + loginTimeout.toNanos());
            long[] cpu = cpuDelta(cpu0, cpuNow(), cpuMs(p.pid()));
            long[] mem = qemuMem(p.pid());
            result = new long[] {-1, tLogin - t0};
            if (record) {
                qemuLogin.add(tLogin - t0);
                if (mem != null) {
                    qemuAtLogin.get("qemu").add(mem);
                }
                cpuToLogin.get("qemu").add(cpu);
            }
        } catch (TimeoutException e) {
            log("qemu run: %s", e.getMessage());
            notes.add("a direct QEMU start timed out: " + e.getMessage());
        } finally {
            stopProcess(p);
            synchronized (baselineQemus) {
                baselineQemus.remove(p);
            }
            resetDir(dir);
        }
        return result;
    }

    private List<String> qemuCommand(Path overlay, Path iso) {
        String xml = capturedXml;
        long memBytes = Long.parseLong(group(xml, "<memory unit='b'>(\\d+)</memory>", "134217728"));
        String vcpus = group(xml, "<vcpu[^>]*>(\\d+)</vcpu>", "1");
        String machine = group(xml, "machine='([^']+)'", "q35");
        String type = group(xml, "<domain type='([^']+)'", "qemu");
        String cpuMode = group(xml, "<cpu mode='([^']+)'", "maximum");
        String cache = group(xml, "<driver name='qemu' type='qcow2' cache='([^']+)'", "none");
        String isoCache = group(xml, "<driver name='qemu' type='raw' cache='([^']+)'", "none");
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-name", "jvbench-qemu", "-no-user-config",
                "-nodefaults", "-accel", type.equals("kvm") ? "kvm"
                        : qemuTbSize == null ? "tcg" : "tcg,tb-size=" + qemuTbSize, "-machine", machine,
                "-cpu", cpuMode.equals("host-passthrough") ? "host" : "max",
                "-m", (memBytes / (1024 * 1024)) + "M", "-smp", vcpus,
                "-display", "none", "-vga", "std", "-serial", "stdio", "-monitor", "none",
                "-drive", "file=" + overlay + ",if=virtio,format=qcow2,cache=" + cache,
                "-drive", "file=" + iso + ",if=virtio,format=raw,readonly=on,cache=" + isoCache,
                "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,romfile=",
                "-device", "virtio-balloon-pci"));
        return cmd;
    }

    private static String group(String s, String regex, String def) {
        Matcher m = Pattern.compile(regex).matcher(s);
        return m.find() ? m.group(1) : def;
    }

    // ================================================================================================= density

    private void density() throws Exception {
        log("density: starting %d guests of %s", density, densityMemory);
        LibvirtDaemon daemon = new LibvirtDaemon(data);
        long jvmPid = platform.pid();
        // a full GC first, so that the JVM's growth below is what the guests cost, not garbage of the latency runs
        jcmd(jvmPid, "GC.run");
        sleepQuietly(2000);
        long[] jvmIdle = mem(jvmPid);
        long[] heapIdle = heapKiB(jvmPid);
        densityFacts.put("platform JVM threads: idle", Long.toString(threads(jvmPid)));
        long[] libvirtdIdle = mem(daemon.pid().orElse(-1));
        long[] virtlogdIdle = mem(daemon.virtlogdPid().orElse(-1));

        List<String> names = new ArrayList<>();
        for (int i = 1; i <= density; i++) {
            names.add(String.format(Locale.ROOT, "dense-%02d", i));
        }
        Map<String, Long> runningAt = new ConcurrentHashMap<>();
        Map<String, Long> loginAt = new ConcurrentHashMap<>();
        Map<String, String> failures = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        long deadline = t0 + densityTimeout.toNanos();
        Watch watch = client.genericKubernetesResources(VMI).inNamespace(NS).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, GenericKubernetesResource r) {
                String n = r.getMetadata().getName();
                if (!names.contains(n)) {
                    return;
                }
                JsonNode o = JSON.valueToTree(r);
                String phase = o.path("status").path("phase").asText("");
                if (phase.equals("Running") && runningAt.putIfAbsent(n, System.nanoTime()) == null) {
                    Thread.ofVirtual().start(() -> {
                        try {
                            loginAt.put(n, consoleLogin(n, deadline).foundAt);
                        } catch (Exception e) {
                            failures.put(n, e.getMessage());
                        }
                    });
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
        try {
            for (String n : names) {
                client.genericKubernetesResources(VM).inNamespace(NS).resource(vmObject(n, densityMemory)).create();
            }
            long tCreated = System.nanoTime();
            log("density: %d VMs created in %s ms", density, Stats.ms((tCreated - t0) / 1e6));
            // stop waiting when no guest has reached its prompt for a while (a guest can hang in early boot
            // under heavy CPU contention, e.g. the kernel's IO-APIC timer check panics)
            long stall = TimeUnit.SECONDS.toNanos(Long.parseLong(opts.getOrDefault("--density-stall", "120")));
            int lastCount = -1;
            long lastChange = System.nanoTime();
            long lastReport = 0;
            while (System.nanoTime() < deadline && loginAt.size() + failures.size() < density) {
                int count = loginAt.size() + runningAt.size();
                long now = System.nanoTime();
                if (count != lastCount) {
                    lastCount = count;
                    lastChange = now;
                }
                if (now - lastReport > TimeUnit.SECONDS.toNanos(15)) {
                    lastReport = now;
                    log("density: %d running, %d at the login prompt", runningAt.size(), loginAt.size());
                }
                if (runningAt.size() == density && !loginAt.isEmpty() && now - lastChange > stall) {
                    for (String n : names) {
                        if (!loginAt.containsKey(n) && !failures.containsKey(n)) {
                            failures.put(n, "no login prompt " + stall / 1_000_000_000L + " s after the last other "
                                    + "guest reached its prompt; console tail: " + consoleTail(n));
                        }
                    }
                    break;
                }
                Thread.sleep(500);
            }
            log("density: %d running, %d at the login prompt, %d failed", runningAt.size(), loginAt.size(),
                    failures.size());
            failures.forEach((n, f) -> notes.add("density guest " + n + ": " + f));
            densityFacts.put("guests created", Integer.toString(density));
            densityFacts.put("guests Running", Integer.toString(runningAt.size()));
            densityFacts.put("guests at the login prompt", Integer.toString(loginAt.size()));
            if (!runningAt.isEmpty()) {
                densityFacts.put("create → all Running", Stats.ms((runningAt.values().stream().max(Long::compare)
                        .orElseThrow() - t0) / 1e9 * 1000) + " ms");
            }
            if (!loginAt.isEmpty()) {
                densityFacts.put("create → all at the login prompt", String.format(Locale.ROOT, "%.1f s",
                        (loginAt.values().stream().max(Long::compare).orElseThrow() - t0) / 1e9));
            }
            // let the guests settle (idle after boot), then sample CPU over 20 s and memory
            sleepQuietly(10_000);
            measureCpu(daemon, jvmPid);
            measureDensity(daemon, jvmPid, jvmIdle, libvirtdIdle, virtlogdIdle);
            long[] heapBusy = heapKiB(jvmPid);
            jcmd(jvmPid, "GC.run");
            long[] heapBusyGc = heapKiB(jvmPid);
            densityFacts.put("platform JVM threads: with the guests", Long.toString(threads(jvmPid)));
            densityFacts.put("platform JVM heap used / committed: idle after GC → with the guests → after GC",
                    mib(heapIdle[0]) + " / " + mib(heapIdle[1]) + " → " + mib(heapBusy[0]) + " / " + mib(heapBusy[1])
                            + " → " + mib(heapBusyGc[0]) + " / " + mib(heapBusyGc[1]) + " MiB (live heap per guest "
                            + mibSigned((heapBusyGc[0] - heapIdle[0]) / Math.max(1, runningAt.size())) + " MiB)");
        } finally {
            watch.close();
            log("density: deleting %d VMs", density);
            long d0 = System.nanoTime();
            deleteVmsAndWait(names, Duration.ofSeconds(300));
            densityFacts.put("delete all → gone", String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - d0) / 1e9));
        }
    }

    /** CPU used over 20 s with the guests idle at their prompt: platform JVM, libvirtd, QEMU (per guest). */
    private void measureCpu(LibvirtDaemon daemon, long jvmPid) {
        List<Long> qemus = daemon.qemuPids();
        long lv = daemon.pid().orElse(-1);
        long w0 = System.nanoTime();
        long j0 = cpuMs(jvmPid);
        long l0 = cpuMs(lv);
        long q0 = qemus.stream().mapToLong(VmStartBench::cpuMs).sum();
        sleepQuietly(20_000);
        double wall = (System.nanoTime() - w0) / 1e6;
        long j1 = cpuMs(jvmPid);
        long l1 = cpuMs(lv);
        long q1 = qemus.stream().mapToLong(VmStartBench::cpuMs).sum();
        densityFacts.put("CPU with the guests idle at their prompt (20 s window, % of one core)", String.format(
                Locale.ROOT, "platform JVM %.1f %%, libvirtd %.1f %%, QEMU %.1f %% per guest (%d guests)",
                100.0 * (j1 - j0) / wall, 100.0 * (l1 - l0) / wall,
                qemus.isEmpty() ? 0.0 : 100.0 * (q1 - q0) / wall / qemus.size(), qemus.size()));
    }

    /** The last bytes of a guest's console (scrollback), for error messages. */
    private String consoleTail(String name) {
        ConsoleLogin l = new ConsoleLogin();
        try {
            WebSocket ws = console.websocket(console.subresourcePath("virtualmachineinstances", name, "console"), l);
            Thread.sleep(1000);
            ws.abort();
            return l.matcher.tail();
        } catch (Exception e) {
            return "(" + e.getMessage() + ")";
        }
    }

    /** Runs {@code jcmd PID command} with this JDK; output or null. */
    private String jcmd(long pid, String command) {
        Path jcmd = javaBin.getParent().resolve("jcmd");
        if (!Files.isExecutable(jcmd)) {
            return null;
        }
        try {
            return runCmd(List.of(jcmd.toString(), Long.toString(pid), command), Duration.ofSeconds(60));
        } catch (Exception e) {
            return null;
        }
    }

    /** Heap {used, committed} KiB from {@code GC.heap_info} (Serial: DefNew + Tenured), or {0, 0}. */
    private long[] heapKiB(long pid) {
        String out = jcmd(pid, "GC.heap_info");
        if (out == null) {
            return new long[] {0, 0};
        }
        Matcher m = Pattern.compile("(?m)^\\s*(DefNew|Tenured|def new generation|tenured generation|garbage-first heap"
                + "|PSYoungGen|ParOldGen)\\s+total (\\d+)K, used (\\d+)K").matcher(out);
        long used = 0;
        long total = 0;
        while (m.find()) {
            total += Long.parseLong(m.group(2));
            used += Long.parseLong(m.group(3));
        }
        return new long[] {used, total};
    }

    private static long threads(long pid) {
        for (String l : readQuietly(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
            if (l.startsWith("Threads:")) {
                return kib(l);
            }
        }
        return -1;
    }

    /** CPU ms so far of {platform JVM, libvirtd, this driver}. */
    private long[] cpuNow() {
        return new long[] {platform == null ? 0 : cpuMs(platform.pid()),
                cpuMs(new LibvirtDaemon(data).pid().orElse(-1)), cpuMs(ProcessHandle.current().pid())};
    }

    private static long[] cpuDelta(long[] before, long[] after, long qemuMs) {
        return new long[] {after[0] - before[0], after[1] - before[1], after[2] - before[2], qemuMs};
    }

    private static long cpuMs(long pid) {
        return pid <= 0 ? 0 : ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration())
                .map(Duration::toMillis).orElse(0L);
    }

    private void measureDensity(LibvirtDaemon daemon, long jvmPid, long[] jvmIdle, long[] libvirtdIdle,
                                long[] virtlogdIdle) throws IOException {
        long guestKiB = parseQuantityKiB(densityMemory);
        List<Long> qemus = daemon.qemuPids();
        int n = qemus.size();
        long[] jvm = mem(jvmPid);
        long[] libvirtd = mem(daemon.pid().orElse(-1));
        long[] virtlogd = mem(daemon.virtlogdPid().orElse(-1));
        long qRss = 0;
        long qPss = 0;
        long qRam = 0;
        long qTcg = 0;
        for (long pid : qemus) {
            long[] m = qemuMem(pid, guestKiB);
            if (m == null) {
                continue;
            }
            qRss += m[0];
            qRam += m[1];
            qTcg += m[2];
            qPss += m[3];
        }
        densityFacts.put("QEMU processes measured", Integer.toString(n));
        densityFacts.put("load (1/5/15 min)", firstLine(Files.readString(Path.of("/proc/loadavg"))));
        if (n == 0) {
            return;
        }
        // rows: component, RSS, PSS, per guest (PSS / n)
        densityRows.add(row("platform JVM (API server, controllers, node agent)", jvm[0], jvm[1], n));
        densityRows.add(row("libvirtd", libvirtd[0], libvirtd[1], n));
        densityRows.add(row("virtlogd", virtlogd[0], virtlogd[1], n));
        densityRows.add(row("QEMU × " + n + " (total)", qRss, qPss, n));
        densityRows.add(row("  of which guest RAM resident (" + densityMemory + " each)", qRam, qRam, n));
        densityRows.add(row("  of which TCG translation cache resident", qTcg, qTcg, n));
        long qOverheadPss = qPss - qRam;
        long qOverheadRss = qRss - qRam;
        densityRows.add(row("  QEMU overhead = QEMU − guest RAM", qOverheadRss, qOverheadPss, n));
        densityRows.add(row("  QEMU overhead without the TCG cache", qOverheadRss - qTcg, qOverheadPss - qTcg, n));
        long fixedPss = jvm[1] + libvirtd[1] + virtlogd[1];
        long fixedRss = jvm[0] + libvirtd[0] + virtlogd[0];
        densityRows.add(row("**everything but guest RAM**", fixedRss + qOverheadRss, fixedPss + qOverheadPss, n));
        densityRows.add(row("**everything but guest RAM and the TCG cache**", fixedRss + qOverheadRss - qTcg,
                fixedPss + qOverheadPss - qTcg, n));
        densityFacts.put("per guest: everything but guest RAM (PSS)", mib((fixedPss + qOverheadPss) / n) + " MiB");
        densityFacts.put("per guest: same without the TCG cache (PSS)",
                mib((fixedPss + qOverheadPss - qTcg) / n) + " MiB");
        densityFacts.put("per guest: RSS upper bound (RSS sums, shared pages counted in each process)",
                mib((fixedRss + qOverheadRss) / n) + " MiB");
        densityFacts.put("platform JVM RSS: idle (0 guests) → " + n + " guests",
                mib(jvmIdle[0]) + " → " + mib(jvm[0]) + " MiB (" + mibSigned((jvm[0] - jvmIdle[0]) / n)
                        + " MiB per guest)");
        densityFacts.put("libvirtd RSS: idle → " + n + " guests", mib(libvirtdIdle[0]) + " → " + mib(libvirtd[0])
                + " MiB; virtlogd " + mib(virtlogdIdle[0]) + " → " + mib(virtlogd[0]) + " MiB");
        densityFacts.put("guest RAM resident per guest", mib(qRam / n) + " MiB of " + densityMemory);
    }

    private static String[] row(String what, long rssKiB, long pssKiB, int n) {
        return new String[] {what, mib(rssKiB), mib(pssKiB), mib(pssKiB / n)};
    }

    private static String mib(long kib) {
        return String.format(Locale.ROOT, "%.1f", kib / 1024.0);
    }

    private static String mibSigned(long kib) {
        return String.format(Locale.ROOT, "%+.1f", kib / 1024.0);
    }

    static long parseQuantityKiB(String q) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(q);
        if (!m.matches()) {
            throw new IllegalArgumentException("memory quantity " + q);
        }
        long v = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> v;
            case "Mi" -> v * 1024;
            case "Gi" -> v * 1024 * 1024;
            default -> v / 1024;
        };
    }

    // ================================================================================================= memory

    /** {VmRSS, Pss} KiB of a process, or zeros when it does not exist. */
    static long[] mem(long pid) {
        long rss = 0;
        long pss = 0;
        if (pid <= 0) {
            return new long[] {0, 0};
        }
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (l.startsWith("Rss:")) {
                    rss = kib(l);
                } else if (l.startsWith("Pss:")) {
                    pss = kib(l);
                }
            }
        } catch (IOException e) {
            return new long[] {0, 0};
        }
        return new long[] {rss, pss};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
    }

    private long[] qemuMem(long pid) {
        long[] m = qemuMem(pid, Long.parseLong(group(capturedXml == null ? "" : capturedXml,
                "<memory unit='b'>(\\d+)</memory>", "134217728")) / 1024);
        return m == null ? null : new long[] {m[0], m[1], m[2]};
    }

    /**
     * A QEMU process's memory from {@code /proc/PID/smaps}: {RSS, guest RAM resident, TCG translation cache
     * resident, PSS} KiB. Guest RAM is the anonymous private mapping of exactly the guest's memory size; the TCG
     * translation cache is QEMU's anonymous read-write-execute mapping (code_gen_buffer).
     */
    static long[] qemuMem(long pid, long guestKiB) {
        if (pid <= 0) {
            return null;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"));
        } catch (IOException e) {
            return null;
        }
        Pattern header = Pattern.compile("^[0-9a-f]+-[0-9a-f]+ (\\S+) \\S+ \\S+ (\\d+)\\s*(.*)$");
        long rss = 0;
        long pss = 0;
        long ram = 0;
        long tcg = 0;
        boolean ramFound = false;
        String perms = "";
        boolean anon = false;
        long size = 0;
        for (String l : lines) {
            Matcher h = header.matcher(l);
            if (h.matches()) {
                perms = h.group(1);
                anon = h.group(2).equals("0") && h.group(3).isEmpty();
                size = -1;
                continue;
            }
            if (l.startsWith("Size:")) {
                size = kib(l);
            } else if (l.startsWith("Rss:")) {
                long r = kib(l);
                rss += r;
                if (anon && perms.equals("rw-p") && size == guestKiB && !ramFound) {
                    ram = r;
                    ramFound = true;
                } else if (anon && perms.equals("rwxp") && size >= 4 * 1024) {
                    tcg += r;
                }
            } else if (l.startsWith("Pss:")) {
                pss += kib(l);
            }
        }
        return new long[] {rss, ram, tcg, pss};
    }

    // ================================================================================================= report

    private String report() {
        StringBuilder sb = new StringBuilder();
        sb.append("## VM start latency and density (bench/run-vm.sh)\n\n");
        facts.put("load after the latency runs", firstLine(readQuietly(Path.of("/proc/loadavg"))));
        for (var e : facts.entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        sb.append("- runs: ").append(runs).append(" per path after one warm-up start each, interleaved (jvirt, virsh, "
                + "qemu in rotating order)\n\n");
        sb.append("### Start latency\n\n");
        sb.append("| path | measure | n | p50 ms | p95 ms | min ms | max ms |\n|---|---|---|---|---|---|---|\n");
        latRow(sb, "jvirt", "VM create → VMI Running (watch event)", jvRunning);
        latRow(sb, "jvirt", "VM create → login prompt (console subresource)", jvLogin);
        latRow(sb, "virsh", "`virsh create` → domain running (virsh returns)", virshRunning);
        latRow(sb, "virsh", "`virsh create` → login prompt (serial socket)", virshLogin);
        latRow(sb, "qemu", "`qemu-system-x86_64` spawn → login prompt (stdio)", qemuLogin);
        sb.append('\n');
        sb.append("| overhead of jvirt's control plane | p50 ms | p95 ms |\n|---|---|---|\n");
        sb.append("| → running: p50(jvirt) − p50(virsh) | ").append(diff(jvRunning, virshRunning)).append(" | |\n");
        sb.append("| → running: paired per iteration, jvirt − virsh | ").append(p(pairedRunning, 50)).append(" | ")
                .append(p(pairedRunning, 95)).append(" |\n");
        sb.append("| → login: p50(jvirt) − p50(virsh) | ").append(diff(jvLogin, virshLogin)).append(" | |\n");
        sb.append("| → login: paired per iteration, jvirt − virsh | ").append(p(pairedLogin, 50)).append(" | ")
                .append(p(pairedLogin, 95)).append(" |\n");
        sb.append("| → login: p50(virsh) − p50(qemu) (libvirt's own cost) | ").append(diff(virshLogin, qemuLogin))
                .append(" | |\n\n");
        sb.append("Where jvirt's time to Running goes (VMI `status.phaseTransitionTimestamps`, ms since the create "
                + "call; same host clock):\n\n");
        sb.append("| step | p50 ms | p95 ms |\n|---|---|---|\n");
        sb.append("| create call returns (API server ack) | ").append(p(jvCreateAck, 50)).append(" | ")
                .append(p(jvCreateAck, 95)).append(" |\n");
        sb.append("| → VMI Scheduling (VM controller made the VMI, VMI controller the launcher pod) | ")
                .append(p(jvToScheduling, 50)).append(" | ").append(p(jvToScheduling, 95)).append(" |\n");
        sb.append("| → VMI Scheduled (pod runner marked the pod Running, VMI controller bound the VMI) | ")
                .append(p(jvToScheduled, 50)).append(" | ").append(p(jvToScheduled, 95)).append(" |\n");
        sb.append("| → VMI Running written by the node agent (disks, seed ISO, define, start, status) | ")
                .append(p(jvToRunningTs, 50)).append(" | ").append(p(jvToRunningTs, 95)).append(" |\n");
        sb.append("| Running written → watch event at the client | ").append(p(jvRunningEvent, 50)).append(" | ")
                .append(p(jvRunningEvent, 95)).append(" |\n");
        sb.append("| Running event → console websocket open | ").append(p(jvRunningToConsole, 50)).append(" | ")
                .append(p(jvRunningToConsole, 95)).append(" |\n");
        sb.append("| VM delete → VM and VMI gone (guest destroyed, grace period 0) | ").append(p(jvDelete, 50))
                .append(" | ").append(p(jvDelete, 95)).append(" |\n\n");
        sb.append("CPU used from the start until the login prompt (p50 over the runs, ms of CPU; the platform JVM and "
                + "libvirtd idle along during the baselines):\n\n");
        sb.append("| path | the guest's QEMU | platform JVM | libvirtd | bench driver |\n|---|---|---|---|---|\n");
        for (var e : cpuToLogin.entrySet()) {
            List<long[]> l = e.getValue();
            if (l.isEmpty()) {
                continue;
            }
            sb.append("| ").append(e.getKey()).append(" | ").append(med(l, m -> m[3])).append(" | ")
                    .append(med(l, m -> m[0])).append(" | ").append(med(l, m -> m[1])).append(" | ")
                    .append(med(l, m -> m[2])).append(" |\n");
        }
        sb.append('\n');
        sb.append("QEMU process memory at the login prompt (p50 over the runs, MiB):\n\n");
        sb.append("| path | RSS | guest RAM resident | TCG cache resident | RSS − guest RAM | "
                + "RSS − guest RAM − TCG cache |\n|---|---|---|---|---|---|\n");
        for (var e : qemuAtLogin.entrySet()) {
            List<long[]> l = e.getValue();
            if (l.isEmpty()) {
                continue;
            }
            sb.append("| ").append(e.getKey()).append(" | ").append(mib(med(l, m -> m[0]))).append(" | ")
                    .append(mib(med(l, m -> m[1]))).append(" | ").append(mib(med(l, m -> m[2]))).append(" | ")
                    .append(mib(med(l, m -> m[0] - m[1]))).append(" | ").append(mib(med(l, m -> m[0] - m[1] - m[2])))
                    .append(" |\n");
        }
        sb.append('\n');
        if (density > 0) {
            sb.append("### Density: ").append(density).append(" guests of ").append(densityMemory).append("\n\n");
            for (var e : densityFacts.entrySet()) {
                sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
            if (!densityRows.isEmpty()) {
                sb.append("\n| component | RSS MiB | PSS MiB | PSS per guest MiB |\n|---|---|---|---|\n");
                for (String[] r : densityRows) {
                    sb.append("| ").append(String.join(" | ", r)).append(" |\n");
                }
            }
            sb.append('\n');
        }
        if (!notes.isEmpty()) {
            sb.append("Notes:\n\n");
            notes.forEach(n -> sb.append("- ").append(n).append('\n'));
            sb.append('\n');
        }
        sb.append("Logs and the captured domain XML: ").append(work).append('\n');
        return sb.toString();
    }

    private static long med(List<long[]> l, java.util.function.ToLongFunction<long[]> f) {
        long[] v = l.stream().mapToLong(f).sorted().toArray();
        return v[(v.length - 1) / 2];
    }

    private static void latRow(StringBuilder sb, String path, String what, List<Long> v) {
        Stats s = stats(v);
        sb.append("| ").append(path).append(" | ").append(what).append(" | ").append(s.count()).append(" | ")
                .append(Stats.ms(s.p50())).append(" | ").append(Stats.ms(s.pMs(95))).append(" | ")
                .append(Stats.ms(s.pMs(0.001))).append(" | ").append(Stats.ms(s.maxMs())).append(" |\n");
    }

    private static Stats stats(List<Long> v) {
        return new Stats(v.stream().filter(x -> x != null).mapToLong(Long::longValue).toArray());
    }

    private static String p(List<Long> v, double pct) {
        return Stats.ms(stats(v).pMs(pct));
    }

    private static String diff(List<Long> a, List<Long> b) {
        return Stats.ms(stats(a).p50() - stats(b).p50());
    }

    // ================================================================================================= helpers

    private static String runCmd(List<String> cmd, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stopProcess(p);
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish within " + timeout);
        }
        String s = out.join();
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + s.trim());
        }
        return s;
    }

    private static String runCmdQuiet(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            return s;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String firstLine(String s) {
        String t = s == null ? "" : s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static String cpuModel() {
        for (String l : readQuietly(Path.of("/proc/cpuinfo")).split("\n")) {
            if (l.startsWith("model name")) {
                return l.substring(l.indexOf(':') + 1).trim();
            }
        }
        return "?";
    }

    private static long memTotalMiB() {
        for (String l : readQuietly(Path.of("/proc/meminfo")).split("\n")) {
            if (l.startsWith("MemTotal:")) {
                return kib(l) / 1024;
            }
        }
        return -1;
    }

    private static void resetDir(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        Files.createDirectories(dir);
    }

    private static void waitGone(long pid) {
        if (pid <= 0) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline
                && Files.exists(Path.of("/proc", Long.toString(pid), "smaps"))) {
            sleepQuietly(20);
        }
    }

    /** SIGTERM, then SIGKILL after 10 s; only this process. */
    private static void stopProcess(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops everything this bench started, each by its PID: baseline QEMUs, the platform JVM (SIGTERM: it closes
     * cleanly, guests stay with libvirt), then the platform's libvirtd with its guests and virtlogd. Idempotent.
     */
    synchronized void cleanup() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        List<Process> qs;
        synchronized (baselineQemus) {
            qs = new ArrayList<>(baselineQemus);
        }
        qs.forEach(VmStartBench::stopProcess);
        if (client != null) {
            try {
                client.close();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
        if (platform != null) {
            stopProcess(platform);
        }
        if (Files.isDirectory(data.resolve("libvirt"))) {
            try {
                new LibvirtDaemon(data).stop(Duration.ofSeconds(10), true);
            } catch (RuntimeException e) {
                log("stopping libvirtd: %s", e);
            }
        }
        try {
            Path daemonLog = data.resolve("libvirt/log/libvirtd.log");
            if (Files.exists(daemonLog)) {
                Files.copy(daemonLog, work.resolve("libvirtd.log"), StandardCopyOption.REPLACE_EXISTING);
            }
            if (!keep && Files.isDirectory(data)) {
                resetDir(data);
                Files.delete(data);
                resetDir(work.resolve("dist"));
                Files.delete(work.resolve("dist"));
            }
        } catch (IOException e) {
            log("cleaning up %s: %s", data, e);
        }
    }
}
