package io.jvirt.apiserver.it;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** fabric8 kubernetes-client 7 against the real server: informers (also across a server restart) and CRUD. */
class Fabric8InformerIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static TestServer server;
    static KubernetesClient client;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir);
        client = newClient();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static KubernetesClient newClient() throws Exception {
        Config config = Config.fromKubeconfig(Files.readString(server.kubeconfig()));
        // reconnect quickly after the restart test stops the server
        config.setWatchReconnectInterval(200);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> vms() {
        return client.genericKubernetesResources("kubevirt.io/v1", "VirtualMachine");
    }

    static String namespace(String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
        return name;
    }

    static GenericKubernetesResource vm(String ns, String name) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("kubevirt.io/v1")
                .withKind("VirtualMachine")
                .withNewMetadata().withName(name).withNamespace(ns).addToLabels("app", "it").endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of(
                        "runStrategy", "Halted",
                        "template", Map.of("spec", Map.of(
                                "domain", Map.of(
                                        "resources", Map.of("requests", Map.of("memory", "128Mi")),
                                        "devices", Map.of("disks", List.of(Map.of("name", "rootdisk",
                                                "disk", Map.of("bus", "virtio"))))),
                                "volumes", List.of(Map.of("name", "rootdisk", "containerDisk",
                                        Map.of("image", "quay.io/kubevirt/cirros-container-disk-demo"))))))))
                .build();
    }

    @SuppressWarnings("unchecked")
    static Object spec(GenericKubernetesResource r, String field) {
        return ((Map<String, Object>) r.getAdditionalProperties().get("spec")).get(field);
    }

    /** Records every informer callback as "ADD name" / "UPDATE name" / "DELETE name". */
    static final class Recorder implements ResourceEventHandler<GenericKubernetesResource> {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onAdd(GenericKubernetesResource obj) {
            events.add("ADD " + obj.getMetadata().getName());
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
            // an update with an unchanged resourceVersion would be a resync, which we did not ask for
            events.add("UPDATE " + newObj.getMetadata().getName()
                    + (oldObj.getMetadata().getResourceVersion().equals(newObj.getMetadata().getResourceVersion())
                    ? " (resync)" : ""));
        }

        @Override
        public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
            events.add("DELETE " + obj.getMetadata().getName() + (deletedFinalStateUnknown ? " (unknown)" : ""));
        }

        List<String> snapshot() {
            synchronized (events) {
                return List.copyOf(events);
            }
        }
    }

    @Test
    void informerSeesChangesInOrderAndSurvivesAServerRestart() {
        String ns = namespace("informer");
        Recorder rec = new Recorder();
        try (SharedIndexInformer<GenericKubernetesResource> informer = vms().inNamespace(ns).inform(rec, 0)) {
            await().atMost(WAIT).until(informer::hasSynced);
            assertThat(rec.snapshot()).isEmpty();

            vms().inNamespace(ns).resource(vm(ns, "a")).create();
            vms().inNamespace(ns).withName("a").edit(v -> {
                v.getMetadata().getLabels().put("step", "updated");
                return v;
            });
            vms().inNamespace(ns).resource(vm(ns, "b")).create();
            vms().inNamespace(ns).withName("a").delete();

            List<String> expected = List.of("ADD a", "UPDATE a", "ADD b", "DELETE a");
            await().atMost(WAIT).until(() -> rec.snapshot().size() >= expected.size());
            assertThat(rec.snapshot()).containsExactlyElementsOf(expected);
            assertThat(informer.getStore().list()).extracting(r -> r.getMetadata().getName()).containsExactly("b");

            // stop the server with the informer's watch open, change nothing, start it again on the same port/dir
            server.stop();
            server.restart();

            vms().inNamespace(ns).resource(vm(ns, "c")).create();
            vms().inNamespace(ns).withName("c").edit(v -> {
                v.getMetadata().getLabels().put("step", "after-restart");
                return v;
            });
            vms().inNamespace(ns).withName("b").delete();

            List<String> afterRestart = new ArrayList<>(expected);
            afterRestart.addAll(List.of("ADD c", "UPDATE c", "DELETE b"));
            await().atMost(WAIT).until(() -> rec.snapshot().size() >= afterRestart.size());
            assertThat(rec.snapshot()).containsExactlyElementsOf(afterRestart);
            assertThat(informer.getStore().list()).extracting(r -> r.getMetadata().getName()).containsExactly("c");
            assertThat(informer.getStore().getByKey(ns + "/c").getMetadata().getLabels())
                    .containsEntry("step", "after-restart");
        }
    }

    @Test
    void configMapCrud() {
        String ns = namespace("crud-cm");
        ConfigMap created = client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("settings").addToLabels("tier", "web").endMetadata()
                .addToData("key", "value").build()).create();
        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(created.getMetadata().getResourceVersion()).isNotBlank();
        assertThat(created.getMetadata().getCreationTimestamp()).isNotBlank();

        ConfigMap got = client.configMaps().inNamespace(ns).withName("settings").get();
        assertThat(got.getData()).containsExactly(Map.entry("key", "value"));

        got.getData().put("other", "x");
        ConfigMap updated = client.configMaps().inNamespace(ns).resource(got).update();
        assertThat(updated.getData()).containsEntry("other", "x");
        assertThat(Long.parseLong(updated.getMetadata().getResourceVersion()))
                .isGreaterThan(Long.parseLong(created.getMetadata().getResourceVersion()));

        assertThat(client.configMaps().inNamespace(ns).withLabel("tier", "web").list().getItems())
                .extracting(c -> c.getMetadata().getName()).containsExactly("settings");
        assertThat(client.configMaps().inNamespace(ns).withLabel("tier", "db").list().getItems()).isEmpty();

        assertThat(client.configMaps().inNamespace(ns).withName("settings").delete()).hasSize(1);
        assertThat(client.configMaps().inNamespace(ns).withName("settings").get()).isNull();
    }

    @Test
    void podCrud() {
        String ns = namespace("crud-pod");
        Pod pod = new PodBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec()
                .addNewContainer().withName("main").withImage("nginx:1.27")
                .withNewResources().addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("100m"))
                .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("64Mi")).endResources()
                .endContainer()
                .addNewContainer().withName("sidecar").withImage("busybox:1.36").withCommand("sleep", "3600")
                .endContainer()
                .endSpec().build();
        Pod created = client.pods().inNamespace(ns).resource(pod).create();
        assertThat(created.getSpec().getContainers()).extracting(c -> c.getName()).containsExactly("main", "sidecar");
        assertThat(created.getStatus().getPhase()).isEqualTo("Pending");

        Pod patched = client.pods().inNamespace(ns).withName("web")
                .edit(p -> new PodBuilder(p).editMetadata().addToLabels("patched", "yes").endMetadata().build());
        assertThat(patched.getMetadata().getLabels()).containsEntry("patched", "yes");
        assertThat(patched.getSpec().getContainers()).hasSize(2);

        assertThat(client.pods().inNamespace(ns).list().getItems()).extracting(p -> p.getMetadata().getName())
                .containsExactly("web");
        client.pods().inNamespace(ns).withName("web").delete();
        await().atMost(WAIT).until(() -> client.pods().inNamespace(ns).withName("web").get() == null);
    }

    @Test
    void virtualMachineEditPatchAndStaleUpdate() {
        String ns = namespace("crud-vm");
        GenericKubernetesResource created = vms().inNamespace(ns).resource(vm(ns, "vm1")).create();
        assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);

        // edit: fabric8 computes a JSON patch from the change
        GenericKubernetesResource edited = vms().inNamespace(ns).withName("vm1").edit(v -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) v.getAdditionalProperties().get("spec");
            spec.put("runStrategy", "Always");
            return v;
        });
        assertThat(spec(edited, "runStrategy")).isEqualTo("Always");
        assertThat(edited.getMetadata().getGeneration()).isEqualTo(2L);

        // JSON merge patch
        GenericKubernetesResource merged = vms().inNamespace(ns).withName("vm1").patch(
                PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"merge\":\"yes\"}},"
                        + "\"spec\":{\"runStrategy\":\"Manual\"}}");
        assertThat(merged.getMetadata().getLabels()).containsEntry("merge", "yes").containsEntry("app", "it");
        assertThat(spec(merged, "runStrategy")).isEqualTo("Manual");

        // JSON patch
        GenericKubernetesResource jsonPatched = vms().inNamespace(ns).withName("vm1").patch(
                PatchContext.of(PatchType.JSON), "[{\"op\":\"test\",\"path\":\"/spec/runStrategy\",\"value\":\"Manual\"},"
                        + "{\"op\":\"replace\",\"path\":\"/spec/runStrategy\",\"value\":\"Halted\"},"
                        + "{\"op\":\"remove\",\"path\":\"/metadata/labels/merge\"}]");
        assertThat(spec(jsonPatched, "runStrategy")).isEqualTo("Halted");
        assertThat(jsonPatched.getMetadata().getLabels()).doesNotContainKey("merge");

        // a failing JSON patch test op is rejected and changes nothing
        assertThatThrownBy(() -> vms().inNamespace(ns).withName("vm1").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"test\",\"path\":\"/spec/runStrategy\",\"value\":\"Always\"}]"))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));

        // stale updates: the object's own resourceVersion and an explicit lock both conflict
        String staleRv = created.getMetadata().getResourceVersion();
        GenericKubernetesResource stale = vm(ns, "vm1");
        stale.getMetadata().setResourceVersion(staleRv);
        assertThatThrownBy(() -> vms().inNamespace(ns).resource(stale).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(409);
                    assertThat(e.getStatus().getReason()).isEqualTo("Conflict");
                });
        GenericKubernetesResource current = vms().inNamespace(ns).withName("vm1").get();
        // a delete locked to the stale resourceVersion (a precondition) conflicts too and deletes nothing
        assertThatThrownBy(() -> vms().inNamespace(ns).withName("vm1").lockResourceVersion(staleRv).delete())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
        assertThat(vms().inNamespace(ns).withName("vm1").get()).isNotNull();
        // with the current resourceVersion it goes through
        current.getMetadata().getLabels().put("fresh", "yes");
        GenericKubernetesResource replaced = vms().inNamespace(ns).resource(current).update();
        assertThat(replaced.getMetadata().getLabels()).containsEntry("fresh", "yes");

        // a watch from a resourceVersion sees only what came after it
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (var w = vms().inNamespace(ns).withResourceVersion(replaced.getMetadata().getResourceVersion())
                .watch(new io.fabric8.kubernetes.client.Watcher<>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource resource) {
                        seen.add(action + " " + resource.getMetadata().getName());
                    }

                    @Override
                    public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {
                    }
                })) {
            vms().inNamespace(ns).resource(vm(ns, "vm2")).create();
            await().atMost(WAIT).until(() -> !seen.isEmpty());
            assertThat(seen).containsExactly("ADDED vm2");
        }

        vms().inNamespace(ns).withName("vm1").delete();
        await().atMost(WAIT).until(() -> vms().inNamespace(ns).withName("vm1").get() == null);
    }
}
