package io.jvirt.apiserver.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Every installed kubectl (1.27 … 1.33) against one real server: the examples, every output format, describe,
 * label/annotate/patch/edit, delete and wait, watch, explain, client-side apply of VMs and of core kinds (strategic
 * merge), field validation, server dry run and the refusal of server-side apply. Each version works in its own
 * namespace (created and finally deleted with that kubectl); object names inside it are per test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubectlCompatIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern APPLY_LINE = Pattern.compile("^(\\S+) (created|unchanged|configured)$");
    private static final List<String> EXAMPLE_VMS = List.of("vm-cirros", "vm-harvester-numa-hugepages",
            "vm-high-density", "vm-high-performance");
    private static final List<String> EXAMPLE_VMIS = List.of("vmi-dedicated-cpus", "vmi-dedicated-cpus-resources-only");

    @TempDir
    static Path dir;
    static TestServer server;
    static final Map<String, String> NAMESPACES = new ConcurrentHashMap<>();

    static Stream<String> versions() {
        return Kubectl.versions().stream();
    }

    @BeforeAll
    static void start() {
        assumeFalse(Kubectl.versions().isEmpty(), "no versioned kubectl (kubectl.1.27 … kubectl.1.33) beside "
                + Kubectl.installDir().resolve("kubectl") + "; run scripts/prereqs.sh test");
        server = TestServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ tests

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    @Order(1)
    void applyEveryExample(String v) throws IOException {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        List<Path> files;
        try (Stream<Path> s = Files.list(examplesDir())) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(6);
        for (Path f : files) {
            Kubectl.Result r = run(k, "apply", "-n", ns, "-f", f.toString()).ok();
            List<String> lines = r.out().strip().lines().toList();
            assertThat(lines).as("apply -f %s: %s", f.getFileName(), r.out()).isNotEmpty()
                    .allSatisfy(l -> assertThat(l).matches(APPLY_LINE));
        }
        assertThat(names(run(k, "get", "vm", "-n", ns, "-o", "name").ok().out()))
                .containsExactlyInAnyOrderElementsOf(EXAMPLE_VMS.stream()
                        .map(n -> "virtualmachine.kubevirt.io/" + n).toList());
        assertThat(names(run(k, "get", "vmi", "-n", ns, "-o", "name").ok().out()))
                .containsExactlyInAnyOrderElementsOf(EXAMPLE_VMIS.stream()
                        .map(n -> "virtualmachineinstance.kubevirt.io/" + n).toList());
        // the cluster-scoped instancetypes and preferences (shared by all versions)
        assertThat(run(k, "get", "vmcf", "high-density", "high-performance", "-o", "name").ok().out())
                .contains("virtualmachineclusterinstancetype.instancetype.kubevirt.io/high-density")
                .contains("virtualmachineclusterinstancetype.instancetype.kubevirt.io/high-performance");
        assertThat(run(k, "get", "vmcp", "-o", "name").ok().out())
                .contains("virtualmachineclusterpreference.instancetype.kubevirt.io/high-density")
                .contains("virtualmachineclusterpreference.instancetype.kubevirt.io/high-performance");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    @Order(2)
    void getInEveryOutputFormat(String v) throws IOException {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        run(k, "apply", "-n", ns, "-f", examplesDir().resolve("vm-cirros.yaml").toString()).ok();
        if (run(k, "get", "vmi", "vmi-dedicated-cpus", "-n", ns).exit() != 0) {
            // (only once: a VMI's spec is immutable, and admission defaults make a re-apply a spec change)
            run(k, "apply", "-n", ns, "-f", examplesDir().resolve("vmi-dedicated-cpus.yaml").toString()).ok();
        }

        List<String> vmTable = run(k, "get", "vm", "-n", ns).ok().out().lines().toList();
        assertThat(columns(vmTable.get(0))).containsExactly("NAME", "AGE", "STATUS", "READY");
        assertThat(vmTable).anySatisfy(l -> assertThat(l).startsWith("vm-cirros "));
        List<String> vmiTable = run(k, "get", "vmi", "-n", ns).ok().out().lines().toList();
        assertThat(columns(vmiTable.get(0))).containsExactly("NAME", "AGE", "PHASE", "IP", "NODENAME", "READY");
        assertThat(vmiTable).anySatisfy(l -> assertThat(l).startsWith("vmi-dedicated-cpus "));
        List<String> one = run(k, "get", "virtualmachine", "vm-cirros", "-n", ns).ok().out().lines().toList();
        assertThat(one).hasSize(2);
        assertThat(columns(one.get(1)).get(0)).isEqualTo("vm-cirros");

        JsonNode yaml = YAML.readTree(run(k, "get", "vm", "vm-cirros", "-n", ns, "-o", "yaml").ok().out());
        assertThat(yaml.path("apiVersion").asText()).isEqualTo("kubevirt.io/v1");
        assertThat(yaml.path("kind").asText()).isEqualTo("VirtualMachine");
        assertThat(yaml.path("metadata").path("name").asText()).isEqualTo("vm-cirros");
        assertThat(yaml.path("metadata").path("namespace").asText()).isEqualTo(ns);
        assertThat(yaml.path("spec").path("template").path("spec").path("domain").path("resources")
                .path("requests").path("memory").asText()).isEqualTo("128Mi");

        JsonNode json = JSON.readTree(run(k, "get", "vm", "vm-cirros", "-n", ns, "-o", "json").ok().out());
        assertThat(json.path("spec").path("runStrategy").asText()).isEqualTo("Halted");
        assertThat(json.path("metadata").path("uid").asText()).isNotEmpty();
        assertThat(json.path("metadata").path("resourceVersion").asText()).isNotEmpty();
        assertThat(json.path("metadata").path("generation").asLong()).isPositive();
        assertThat(json.path("metadata").path("labels").path("kubevirt.io/vm").asText()).isEqualTo("vm-cirros");

        JsonNode list = JSON.readTree(run(k, "get", "vm", "-n", ns, "-o", "json").ok().out());
        assertThat(list.path("kind").asText()).isEqualTo("List");
        List<String> listed = new ArrayList<>();
        list.path("items").forEach(i -> listed.add(i.path("metadata").path("name").asText()));
        assertThat(listed).contains("vm-cirros");

        assertThat(run(k, "get", "vm", "vm-cirros", "-n", ns, "-o", "jsonpath={.spec.runStrategy}").ok().out())
                .isEqualTo("Halted");
        assertThat(run(k, "get", "vmi", "vmi-dedicated-cpus", "-n", ns, "-o",
                "jsonpath={.spec.domain.cpu.dedicatedCpuPlacement}").ok().out()).isEqualTo("true");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void describeVm(String v) {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        runIn(k, vmManifest("vm-describe"), "apply", "-n", ns, "-f", "-").ok();
        String out = run(k, "describe", "vm", "vm-describe", "-n", ns).ok().out();
        assertThat(out).containsPattern("(?m)^Name:\\s+vm-describe$")
                .containsPattern("(?m)^Namespace:\\s+" + ns + "$")
                .containsPattern("(?m)^API Version:\\s+kubevirt.io/v1$")
                .containsPattern("(?m)^Kind:\\s+VirtualMachine$")
                .containsPattern("(?m)^\\s+Run Strategy:\\s+Halted$")
                .containsPattern("(?m)^Events:");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void labelAnnotateAndPatch(String v) throws IOException {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        runIn(k, vmManifest("vm-patch"), "apply", "-n", ns, "-f", "-").ok();

        assertThat(run(k, "label", "vm", "vm-patch", "-n", ns, "tier=gold").ok().out())
                .contains("virtualmachine.kubevirt.io/vm-patch labeled");
        // (kubectl 1.27 prints "annotate" instead of "annotated")
        assertThat(run(k, "annotate", "vm", "vm-patch", "-n", ns, "owner=team-a").ok().out())
                .containsPattern("virtualmachine.kubevirt.io/vm-patch annotated?\n");
        JsonNode vm = getJson(k, ns, "vm", "vm-patch");
        assertThat(vm.path("metadata").path("labels").path("tier").asText()).isEqualTo("gold");
        assertThat(vm.path("metadata").path("annotations").path("owner").asText()).isEqualTo("team-a");
        long generation = vm.path("metadata").path("generation").asLong();

        // overwriting needs --overwrite; removing with a trailing dash
        assertThat(run(k, "label", "vm", "vm-patch", "-n", ns, "tier=silver").exit()).isNotZero();
        run(k, "label", "vm", "vm-patch", "-n", ns, "tier=silver", "--overwrite").ok();
        run(k, "annotate", "vm", "vm-patch", "-n", ns, "owner-").ok();
        vm = getJson(k, ns, "vm", "vm-patch");
        assertThat(vm.path("metadata").path("labels").path("tier").asText()).isEqualTo("silver");
        assertThat(vm.path("metadata").path("annotations").has("owner")).isFalse();
        assertThat(vm.path("metadata").path("generation").asLong()).as("metadata changes keep the generation")
                .isEqualTo(generation);

        assertThat(run(k, "patch", "vm", "vm-patch", "-n", ns, "--type", "merge", "-p",
                "{\"spec\":{\"runStrategy\":\"Manual\"}}").ok().out())
                .contains("virtualmachine.kubevirt.io/vm-patch patched");
        vm = getJson(k, ns, "vm", "vm-patch");
        assertThat(vm.path("spec").path("runStrategy").asText()).isEqualTo("Manual");
        assertThat(vm.path("metadata").path("generation").asLong()).isEqualTo(generation + 1);

        assertThat(run(k, "patch", "vm", "vm-patch", "-n", ns, "--type", "json", "-p",
                "[{\"op\":\"test\",\"path\":\"/spec/runStrategy\",\"value\":\"Manual\"},"
                        + "{\"op\":\"replace\",\"path\":\"/spec/runStrategy\",\"value\":\"RerunOnFailure\"},"
                        + "{\"op\":\"add\",\"path\":\"/metadata/labels/patched\",\"value\":\"json\"}]").ok().out())
                .contains("virtualmachine.kubevirt.io/vm-patch patched");
        vm = getJson(k, ns, "vm", "vm-patch");
        assertThat(vm.path("spec").path("runStrategy").asText()).isEqualTo("RerunOnFailure");
        assertThat(vm.path("metadata").path("labels").path("patched").asText()).isEqualTo("json");

        // a failing test operation changes nothing
        Kubectl.Result failed = run(k, "patch", "vm", "vm-patch", "-n", ns, "--type", "json", "-p",
                "[{\"op\":\"test\",\"path\":\"/spec/runStrategy\",\"value\":\"Halted\"},"
                        + "{\"op\":\"replace\",\"path\":\"/spec/runStrategy\",\"value\":\"Always\"}]");
        assertThat(failed.exit()).isNotZero();
        assertThat(getJson(k, ns, "vm", "vm-patch").path("spec").path("runStrategy").asText())
                .isEqualTo("RerunOnFailure");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void editWithAnEditorScript(String v) throws IOException {
        String ns = ns(v);
        runIn(kubectl(v), vmManifest("vm-edit"), "apply", "-n", ns, "-f", "-").ok();
        long generation = getJson(kubectl(v), ns, "vm", "vm-edit").path("metadata").path("generation").asLong();

        Path editor = Files.createTempFile(dir, "editor", ".sh");
        Files.writeString(editor, """
                #!/bin/sh
                # kubectl edit calls: $KUBE_EDITOR <file>
                sed -i -e 's/^  runStrategy: Halted$/  runStrategy: Manual/' "$1"
                """);
        Files.setPosixFilePermissions(editor, PosixFilePermissions.fromString("rwx------"));
        Kubectl k = kubectl(v).withEnv(Map.of("KUBE_EDITOR", editor.toString(), "EDITOR", editor.toString()));
        Kubectl.Result r = run(k, "edit", "vm", "vm-edit", "-n", ns).ok();
        assertThat(r.out()).contains("virtualmachine.kubevirt.io/vm-edit edited");

        JsonNode vm = getJson(k, ns, "vm", "vm-edit");
        assertThat(vm.path("spec").path("runStrategy").asText()).isEqualTo("Manual");
        assertThat(vm.path("metadata").path("generation").asLong()).isEqualTo(generation + 1);
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void deleteWhileWaitingForDeletion(String v) throws Exception {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        runIn(k, vmManifest("vm-delete"), "apply", "-n", ns, "-f", "-").ok();
        Path out = Files.createTempFile(dir, "wait", ".out");
        // -v=6 logs the requests: the deletion is made only once the wait watches
        Process wait = k.start(out, "wait", "--for=delete", "vm/vm-delete", "-n", ns, "--timeout=120s", "-v=6");
        try {
            await().atMost(WAIT).until(() -> Files.readString(out).contains("watch=true"));
            assertThat(wait.isAlive()).as("wait exited early:\n%s", Files.readString(out)).isTrue();
            assertThat(run(k, "delete", "vm", "vm-delete", "-n", ns).ok().out())
                    .contains("virtualmachine.kubevirt.io \"vm-delete\" deleted");
            assertThat(wait.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("kubectl wait finished").isTrue();
            assertThat(wait.exitValue()).as("kubectl wait:\n%s", Files.readString(out)).isZero();
            assertThat(Files.readString(out)).contains("virtualmachine.kubevirt.io/vm-delete condition met");
        } finally {
            destroy(wait);
        }
        Kubectl.Result gone = run(k, "get", "vm", "vm-delete", "-n", ns);
        assertThat(gone.exit()).isNotZero();
        assertThat(gone.err()).contains("NotFound").contains("vm-delete");
        Kubectl.Result again = run(k, "delete", "vm", "vm-delete", "-n", ns);
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("NotFound");
        run(k, "delete", "vm", "vm-delete", "-n", ns, "--ignore-not-found").ok();
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void watchSeesAChange(String v) throws Exception {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        runIn(k, vmManifest("vm-watch"), "apply", "-n", ns, "-f", "-").ok();
        Path out = Files.createTempFile(dir, "watch", ".out");
        Process watch = k.start(out, "get", "vm", "vm-watch", "-n", ns, "-w");
        try {
            await().atMost(WAIT).until(() -> rowsOf(out, "vm-watch") >= 1);
            assertThat(Files.readString(out).lines().findFirst().map(KubectlCompatIT::columns).orElseThrow())
                    .containsExactly("NAME", "AGE", "STATUS", "READY");
            run(k, "label", "vm", "vm-watch", "-n", ns, "watched=yes").ok();
            await().atMost(WAIT).until(() -> rowsOf(out, "vm-watch") >= 2);
            run(k, "patch", "vm", "vm-watch", "-n", ns, "--type", "merge", "-p",
                    "{\"spec\":{\"runStrategy\":\"Manual\"}}").ok();
            await().atMost(WAIT).until(() -> rowsOf(out, "vm-watch") >= 3);
            assertThat(watch.isAlive()).as("get -w still watching:\n%s", Files.readString(out)).isTrue();
        } finally {
            destroy(watch);
        }
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void explainShowsSchemas(String v) {
        Kubectl k = kubectl(v);
        String runStrategy = run(k, "explain", "vm.spec.runStrategy").ok().out();
        assertThat(runStrategy).contains("VirtualMachine").contains("runStrategy").contains("<string>")
                .contains("Always").contains("Halted").contains("Manual").contains("RerunOnFailure");
        String dedicated = run(k, "explain", "vmi.spec.domain.cpu.dedicatedCpuPlacement").ok().out();
        assertThat(dedicated).contains("VirtualMachineInstance").contains("dedicatedCpuPlacement")
                .contains("<boolean>");
        String spec = run(k, "explain", "virtualmachines.spec").ok().out();
        assertThat(spec).contains("runStrategy").contains("template");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void applyTheSameFileTwice(String v) throws IOException {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        String manifest = vmManifest("vm-twice");
        assertThat(runIn(k, manifest, "apply", "-n", ns, "-f", "-").ok().out().strip())
                .isEqualTo("virtualmachine.kubevirt.io/vm-twice created");
        long generation = getJson(k, ns, "vm", "vm-twice").path("metadata").path("generation").asLong();
        String changed = manifest.replace("memory: 128Mi", "memory: 256Mi")
                .replaceFirst("(?m)^  labels:$", "  labels:\n    tier: gold");
        assertThat(changed).contains("memory: 256Mi").contains("tier: gold");
        assertThat(runIn(k, changed, "apply", "-n", ns, "-f", "-").ok().out().strip())
                .isEqualTo("virtualmachine.kubevirt.io/vm-twice configured");
        JsonNode vm = getJson(k, ns, "vm", "vm-twice");
        assertThat(vm.at("/spec/template/spec/domain/resources/requests/memory").asText()).isEqualTo("256Mi");
        assertThat(vm.path("metadata").path("labels").path("tier").asText()).isEqualTo("gold");
        assertThat(vm.path("metadata").path("generation").asLong()).isEqualTo(generation + 1);
        assertThat(vm.path("metadata").path("annotations").path("kubectl.kubernetes.io/last-applied-configuration")
                .asText()).contains("256Mi");
        assertThat(runIn(k, changed, "apply", "-n", ns, "-f", "-").ok().out().strip())
                .isEqualTo("virtualmachine.kubevirt.io/vm-twice unchanged");
        // dropping the label from the file removes it (three-way merge with last-applied)
        assertThat(runIn(k, manifest.replace("memory: 128Mi", "memory: 256Mi"), "apply", "-n", ns, "-f", "-").ok()
                .out().strip()).isEqualTo("virtualmachine.kubevirt.io/vm-twice configured");
        assertThat(getJson(k, ns, "vm", "vm-twice").path("metadata").path("labels").has("tier")).isFalse();
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void configMapCreateAndLabel(String v) throws IOException {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        assertThat(run(k, "create", "configmap", "cm-settings", "-n", ns, "--from-literal=color=blue",
                "--from-literal=size=10").ok().out()).contains("configmap/cm-settings created");
        assertThat(run(k, "label", "configmap", "cm-settings", "-n", ns, "app=demo").ok().out())
                .contains("configmap/cm-settings labeled");
        assertThat(run(k, "annotate", "cm", "cm-settings", "-n", ns, "note=hello").ok().out())
                .containsPattern("configmap/cm-settings annotated?\n");
        JsonNode cm = getJson(k, ns, "configmap", "cm-settings");
        assertThat(cm.path("data").path("color").asText()).isEqualTo("blue");
        assertThat(cm.path("data").path("size").asText()).isEqualTo("10");
        assertThat(cm.path("metadata").path("labels").path("app").asText()).isEqualTo("demo");
        assertThat(cm.path("metadata").path("annotations").path("note").asText()).isEqualTo("hello");
        List<String> table = run(k, "get", "cm", "cm-settings", "-n", ns).ok().out().lines().toList();
        assertThat(columns(table.get(0))).containsExactly("NAME", "DATA", "AGE");
        assertThat(columns(table.get(1)).subList(0, 2)).containsExactly("cm-settings", "2");
        run(k, "patch", "configmap", "cm-settings", "-n", ns, "-p", "{\"data\":{\"size\":\"20\"}}").ok();
        assertThat(getJson(k, ns, "configmap", "cm-settings").path("data").path("size").asText()).isEqualTo("20");
        assertThat(run(k, "delete", "configmap", "cm-settings", "-n", ns).ok().out())
                .contains("configmap \"cm-settings\" deleted");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void applyAPodTwiceWithAStrategicMergePatch(String v) throws IOException {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        String pod = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  labels:
                    app: web
                spec:
                  containers:
                  - name: main
                    image: nginx:1.25
                    ports:
                    - containerPort: 80
                  - name: sidecar
                    image: busybox:1.36
                    command: ["sleep", "infinity"]
                """;
        assertThat(runIn(k, pod, "apply", "-n", ns, "-f", "-").ok().out().strip()).isEqualTo("pod/web created");
        String changed = pod.replace("busybox:1.36", "busybox:1.37");
        // -v=8 logs the request body: the patch must be a strategic merge patch keyed by container name
        Kubectl.Result r = runIn(k, changed, "apply", "-n", ns, "-f", "-", "-v=8").ok();
        assertThat(r.out().strip()).isEqualTo("pod/web configured");
        assertThat(r.err()).contains("strategic-merge-patch+json").contains("$setElementOrder/containers");

        JsonNode p = getJson(k, ns, "pod", "web");
        List<String> names = new ArrayList<>();
        List<String> images = new ArrayList<>();
        p.path("spec").path("containers").forEach(c -> {
            names.add(c.path("name").asText());
            images.add(c.path("image").asText());
        });
        assertThat(names).containsExactly("main", "sidecar");
        assertThat(images).containsExactly("nginx:1.25", "busybox:1.37");
        assertThat(p.at("/spec/containers/0/ports/0/containerPort").asInt()).isEqualTo(80);
        assertThat(runIn(k, changed, "apply", "-n", ns, "-f", "-").ok().out().strip()).isEqualTo("pod/web unchanged");

        List<String> table = run(k, "get", "pods", "-n", ns).ok().out().lines().toList();
        assertThat(columns(table.get(0))).containsExactly("NAME", "READY", "STATUS", "RESTARTS", "AGE");
        assertThat(table).anySatisfy(l -> assertThat(l).startsWith("web "));
        assertThat(run(k, "get", "po", "web", "-n", ns, "-o", "jsonpath={.spec.containers[1].image}").ok().out())
                .isEqualTo("busybox:1.37");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void fieldValidationAndServerDryRun(String v) {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        // a misspelled copy of a field next to the real one (the VM stays valid apart from the unknown field)
        String typo = vmManifest("vm-typo").replace("  runStrategy: Halted\n",
                "  runStrategy: Halted\n  runStrategyy: Halted\n");
        assertThat(typo).contains("runStrategyy");

        Kubectl.Result strict = runIn(k, typo, "apply", "--validate=strict", "-n", ns, "-f", "-");
        assertThat(strict.exit()).as("strict validation rejects: %s", strict).isNotZero();
        assertThat(strict.err()).contains("unknown field").contains("runStrategyy");
        assertNotFound(k, ns, "vm", "vm-typo");

        Kubectl.Result warn = runIn(k, typo, "apply", "--validate=warn", "--dry-run=server", "-n", ns, "-f", "-").ok();
        assertThat(warn.out()).contains("virtualmachine.kubevirt.io/vm-typo created (server dry run)");
        assertThat(warn.err().lines().toList()).as(warn.err())
                .anySatisfy(l -> assertThat(l).startsWith("Warning: unknown field").contains("runStrategyy"));
        assertNotFound(k, ns, "vm", "vm-typo");

        Kubectl.Result dry = runIn(k, vmManifest("vm-dry"), "apply", "--dry-run=server", "-n", ns, "-f", "-").ok();
        assertThat(dry.out()).contains("virtualmachine.kubevirt.io/vm-dry created (server dry run)");
        assertNotFound(k, ns, "vm", "vm-dry");
        Kubectl.Result dryCm = run(k, "create", "configmap", "cm-dry", "-n", ns, "--from-literal=a=b",
                "--dry-run=server").ok();
        assertThat(dryCm.out()).contains("configmap/cm-dry created (server dry run)");
        assertNotFound(k, ns, "configmap", "cm-dry");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    void serverSideApplyIsRefusedClearly(String v) {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        Kubectl.Result r = runIn(k, vmManifest("vm-ssa"), "apply", "--server-side", "-n", ns, "-f", "-");
        assertThat(r.exit()).as("apply --server-side: %s", r).isNotZero();
        assertThat(r.err().toLowerCase()).contains("server-side apply");
        assertNotFound(k, ns, "vm", "vm-ssa");
    }

    @ParameterizedTest(name = "kubectl {0}")
    @MethodSource("versions")
    @Order(Integer.MAX_VALUE)
    void deleteTheNamespace(String v) {
        String ns = ns(v);
        Kubectl k = kubectl(v);
        assertThat(run(k, "delete", "namespace", ns, "--wait=false").ok().out())
                .contains("namespace \"" + ns + "\" deleted");
        // Only the API server runs here: the VMIs the namespace deletion marks keep the
        // kubevirt.io/foregroundDeleteVirtualMachine finalizer until the VMI controller releases it (as in
        // KubeVirt). Release it like the controller would once they are marked; then the namespace goes.
        await().atMost(WAIT).untilAsserted(() -> assertThat(run(k, "get", "vmi", "-n", ns, "-o",
                "jsonpath={range .items[*]}{.metadata.name}={.metadata.deletionTimestamp}{\"\\n\"}{end}").ok().out()
                .lines()).as("VMIs marked for deletion").allSatisfy(l -> assertThat(l).doesNotEndWith("=")));
        for (String vmi : run(k, "get", "vmi", "-n", ns, "-o", "name").ok().out().strip().lines().toList()) {
            Kubectl.Result r = run(k, "patch", vmi, "-n", ns, "--type", "merge", "-p",
                    "{\"metadata\":{\"finalizers\":null}}");
            assertThat(r.exit() == 0 || r.err().contains("NotFound")).as("release %s: %s", vmi, r).isTrue();
        }
        await().atMost(WAIT).untilAsserted(() -> assertNotFound(k, null, "namespace", ns));
        NAMESPACES.remove(v);
        assertThat(run(k, "get", "vm", "-n", ns, "-o", "name").out()).isBlank();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Kubectl kubectl(String version) {
        return Kubectl.version(version, server.kubeconfig());
    }

    /** The version's namespace, created with that kubectl on first use. */
    private static String ns(String version) {
        return NAMESPACES.computeIfAbsent(version, v -> {
            String name = "kubectl-" + v.replace('.', '-');
            Kubectl.Result r = run(kubectl(v), "create", "namespace", name).ok();
            assertThat(r.out()).contains("namespace/" + name + " created");
            return name;
        });
    }

    static Path examplesDir() {
        Path d = Path.of("").toAbsolutePath();
        while (d != null) {
            if (Files.isDirectory(d.resolve("examples")) && Files.isRegularFile(d.resolve("mvnw"))) {
                return d.resolve("examples");
            }
            d = d.getParent();
        }
        throw new IllegalStateException("examples/ not found above " + Path.of("").toAbsolutePath());
    }

    /** examples/vm-cirros.yaml renamed. */
    static String vmManifest(String name) {
        try {
            String m = Files.readString(examplesDir().resolve("vm-cirros.yaml"));
            String renamed = m.replaceFirst("(?m)^  name: vm-cirros$", "  name: " + Matcher.quoteReplacement(name));
            assertThat(renamed).contains("  name: " + name + "\n");
            return renamed;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Kubectl.Result run(Kubectl k, String... args) {
        return k.run((String) null, args);
    }

    private static Kubectl.Result runIn(Kubectl k, String stdin, String... args) {
        return k.run(stdin, args);
    }

    private static JsonNode getJson(Kubectl k, String ns, String resource, String name) throws IOException {
        return JSON.readTree(run(k, "get", resource, name, "-n", ns, "-o", "json").ok().out());
    }

    private static void assertNotFound(Kubectl k, String ns, String resource, String name) {
        Kubectl.Result r = ns == null ? run(k, "get", resource, name) : run(k, "get", resource, name, "-n", ns);
        assertThat(r.exit()).as("%s %s should not exist: %s", resource, name, r.out()).isNotZero();
        assertThat(r.err()).contains("NotFound");
    }

    private static List<String> columns(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }

    private static Set<String> names(String out) {
        return Set.copyOf(out.strip().lines().toList());
    }

    private static long rowsOf(Path out, String name) throws IOException {
        return Files.readString(out).lines().filter(l -> l.startsWith(name + " ")).count();
    }

    private static void destroy(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
