package io.jvirt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.cli.JvirtCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

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
    private static final Path REGISTRY = Path.of("/usr/bin/docker-registry");
    private static final Path HTPASSWD = Path.of("/usr/bin/htpasswd");
    private static final String USER = "jvirt";
    private static final String PASSWORD = "e2e-pa55";

    private Process registry;
    private int registryPort;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void startRegistryAndPush() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(REGISTRY) && Files.isExecutable(HTPASSWD),
                "docker-registry or htpasswd not installed (scripts/prereqs.sh test)");
        Path dir = Files.createDirectories(work.resolve("registry"));
        Path htpasswd = dir.resolve("htpasswd");
        Process h = new ProcessBuilder(HTPASSWD.toString(), "-Bbn", USER, PASSWORD)
                .redirectOutput(htpasswd.toFile()).start();
        assertThat(h.waitFor(30, TimeUnit.SECONDS) && h.exitValue() == 0).as("htpasswd -B").isTrue();
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            registryPort = s.getLocalPort();
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: 127.0.0.1:%d
                  secret: jvirt-e2e-not-secret
                auth:
                  htpasswd:
                    realm: jvirt-e2e
                    path: %s
                """.formatted(dir.resolve("storage"), registryPort, htpasswd));
        registry = new ProcessBuilder(REGISTRY.toString(), "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("registry.log").toFile()).start();
        await("docker-registry on 127.0.0.1:" + registryPort).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> registry.isAlive() && http.send(HttpRequest.newBuilder(uri("/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 401);
        pushTestGuest(dir);
        step("pushed the test guest to " + image("v1"));
    }

    @AfterAll
    void stopRegistry() throws InterruptedException {
        if (registry != null) {
            registry.destroy();
            if (!registry.waitFor(10, TimeUnit.SECONDS)) {
                registry.destroyForcibly();
                registry.waitFor(10, TimeUnit.SECONDS);
            }
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
        String dockerConfig = "{\"auths\":{\"127.0.0.1:" + registryPort + "\":{\"auth\":\"" + auth + "\"}}}";
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

    // ------------------------------------------------------------------------------------------ the registry

    private String image(String tag) {
        return "127.0.0.1:" + registryPort + "/jvirt/test-guest:" + tag;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + registryPort + path);
    }

    /** Layer = {@code disk/test-guest.qcow2} (GNU tar, gzip); OCI config and manifest; pushed as docker push does. */
    private void pushTestGuest(Path dir) throws Exception {
        Path stage = Files.createDirectories(dir.resolve("stage/disk"));
        Files.copy(TestGuest.dir().resolve("disk.qcow2"), stage.resolve("test-guest.qcow2"));
        Path layer = dir.resolve("layer.tar.gz");
        Process tar = new ProcessBuilder("tar", "--format=pax", "--numeric-owner", "-C",
                stage.getParent().toString(), "-czf", layer.toString(), "disk").inheritIO().start();
        assertThat(tar.waitFor(2, TimeUnit.MINUTES) && tar.exitValue() == 0).as("tar czf").isTrue();

        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", "amd64").put("os", "linux");
        config.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        byte[] configBytes = JSON.writeValueAsBytes(config);
        Path configFile = Files.write(dir.resolve("config.json"), configBytes);

        String layerDigest = pushBlob(layer);
        String configDigest = pushBlob(configFile);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2).put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", configDigest).put("size", configBytes.length);
        manifest.putArray("layers").addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
                .put("digest", layerDigest).put("size", Files.size(layer));
        URI manifestUri = uri("/v2/jvirt/test-guest/manifests/v1");
        HttpResponse<String> put = http.send(authorized(HttpRequest.newBuilder(manifestUri)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(manifest)))),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as("PUT manifest: %s", put.body()).isEqualTo(201);
    }

    private String pushBlob(Path file) throws Exception {
        String digest = "sha256:" + sha256(file);
        HttpResponse<String> start = http.send(authorized(HttpRequest.newBuilder(uri("/v2/jvirt/test-guest/blobs/"
                + "uploads/")).POST(HttpRequest.BodyPublishers.noBody())), HttpResponse.BodyHandlers.ofString());
        assertThat(start.statusCode()).as("start upload: %s", start.body()).isEqualTo(202);
        URI location = uri("/").resolve(start.headers().firstValue("Location").orElseThrow());
        URI put = URI.create(location + (location.getRawQuery() == null ? "?" : "&") + "digest=" + digest);
        HttpResponse<String> done = http.send(authorized(HttpRequest.newBuilder(put)
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofFile(file))),
                HttpResponse.BodyHandlers.ofString());
        assertThat(done.statusCode()).as("upload %s: %s", file, done.body()).isEqualTo(201);
        return digest;
    }

    private HttpRequest authorized(HttpRequest.Builder b) {
        return b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD)
                .getBytes(StandardCharsets.UTF_8))).build();
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
