package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.cli.JvirtCommand;
import io.jvirt.launcher.storage.DockerRegistry;
import io.jvirt.launcher.storage.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * containerDisks pulled from an OCI registry by the node: the test guest's disk pushed as a containerDisk image
 * ({@code disk/test-guest.qcow2} in one tar+gzip layer, OCI manifest) to a real Docker registry
 * ({@code docker-registry}, distribution 2.8) on a loopback port that wants Basic authentication (htpasswd). Without an
 * {@code imagePullSecret} the VM shows {@code ImagePullBackOff} (after a first {@code ErrImagePull}, as a pod does)
 * saying why; with a {@code kubernetes.io/dockerconfigjson} Secret it boots to its login prompt. A tag the registry
 * does not have backs off the same way.
 */
class RegistryContainerDiskE2E extends PlatformE2E {
    private static final String USER = "jvirt";
    private static final String PASSWORD = "e2e-pa55";
    private static final String REPO = "jvirt/test-guest";

    /** The registry and pushing through its HTTP API: the launcher's test helpers (its test-jar). */
    private DockerRegistry registry;

    @BeforeAll
    void startRegistryAndPush() throws Exception {
        Assumptions.assumeTrue(DockerRegistry.available() && DockerRegistry.htpasswdAvailable(),
                "docker-registry or htpasswd not installed (scripts/prereqs.sh test)");
        Path dir = Files.createDirectories(work.resolve("registry"));
        registry = new DockerRegistry(dir, DockerRegistry.htpasswd(dir.resolve("htpasswd"), USER, PASSWORD),
                USER + ":" + PASSWORD);
        // layer = disk/test-guest.qcow2 (tar+gzip), OCI config and manifest, as `docker push` sends them
        TestImages.Blob layer = new TestImages.Blob(TestImages.OCI_LAYER_GZIP,
                TestImages.diskLayer("test-guest.qcow2", TestGuest.dir().resolve("disk.qcow2"), true));
        TestImages.Blob config = TestImages.config(true);
        registry.pushBlob(REPO, layer);
        registry.pushBlob(REPO, config);
        registry.pushManifest(REPO, "v1", TestImages.manifest(true, config, List.of(layer)));
        step("pushed the test guest to " + image("v1"));
    }

    @AfterAll
    void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void aVmBootsFromAContainerDiskPulledWithItsImagePullSecret() throws Exception {
        String vm = "vm-registry";
        String image = image("v1");

        // no credentials: the registry says 401 and the VM says why
        apply(vmManifest(vm, "runStrategy: Always", 0, image, "#!/bin/sh\necho '" + USERDATA_LINE + "'\n"));
        awaitPrintableStatus(vm, "ImagePullBackOff", CHANGE);
        JsonNode sync = condition(vmi(vm), "Synchronized");
        assertThat(sync).as("Synchronized condition").isNotNull();
        assertThat(sync.path("reason").asText()).isIn("ImagePullBackOff", "ErrImagePull");
        assertThat(sync.path("message").asText()).contains(image).contains("unauthorized: check imagePullSecret");


        // a kubernetes.io/dockerconfigjson Secret, named by the containerDisk
        String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        String dockerConfig = "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}";
        apply("""
                apiVersion: v1
                kind: Secret
                metadata:
                  name: regcred
                type: kubernetes.io/dockerconfigjson
                data:
                  .dockerconfigjson: %s
                """.formatted(Base64.getEncoder().encodeToString(dockerConfig.getBytes(StandardCharsets.UTF_8))));
        String vm2 = "vm-registry-auth";
        String withSecret = vmManifest(vm2, "runStrategy: Always", 0, image, "#!/bin/sh\necho '" + USERDATA_LINE
                + "'\n").replace("            image: " + image + "\n", "            image: " + image + "\n"
                + "            imagePullSecret: regcred\n");
        assertThat(withSecret).contains("imagePullSecret: regcred");
        apply(withSecret);
        awaitVmiRunning(vm2);
        try (ConsoleViewer console = console(vm2)) {
            console.awaitOutput(USERDATA_LINE, BOOT);
            console.awaitOutput(ConsoleViewer.LOGIN_LINE, BOOT);
        }
        JvirtCommand.Result list = JvirtCommand.run("image", "list", "--data-dir", platform.dataDir.toString());
        assertThat(list.out()).as("jvirt image list").contains(image).contains("digest=sha256:");
    }

    @Test
    void aTagTheRegistryDoesNotHaveBacksOff() {
        String vm = "vm-registry-missing";
        String image = image("no-such-tag");
        String manifest = vmManifest(vm, "runStrategy: Always", 0, image, "#!/bin/sh\necho never\n");
        apply(manifest.replace("            image: " + image + "\n", "            image: " + image + "\n"
                + "            imagePullSecret: regcred\n"));
        awaitPrintableStatus(vm, "ImagePullBackOff", CHANGE);
        await("the reason's message").atMost(CHANGE).untilAsserted(() -> {
            JsonNode sync = condition(vmi(vm), "Synchronized");
            assertThat(sync).isNotNull();
            // without the Secret (this test may run first) the registry answers 401; with it, 404
            assertThat(sync.path("message").asText()).contains(image)
                    .containsAnyOf("manifest unknown", "unauthorized: check imagePullSecret");
        });
        assertThat(domains(true)).as("libvirt domains").doesNotContain(domain(vm));
    }

    private String image(String tag) {
        return registry.host() + "/" + REPO + ":" + tag;
    }
}
