package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.storage.ImagePullException.Failure;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls containerDisk images from the real Docker registry (distribution 2.8, Debian's {@code docker-registry};
 * {@code scripts/prereqs.sh test} installs it), pushed through its HTTP API: an OCI manifest with a qcow2 disk, a
 * Docker schema 2 manifest with a raw disk, an OCI index and a Docker manifest list; Basic authentication with an
 * htpasswd (bcrypt) registry; a missing image, a corrupted blob, a registry that is down.
 *
 * <p>Token authentication is not set up on the real registry (it needs a token service issuing signed JWTs); the
 * token protocol is covered by {@code ImagePullerTest} against an in-process registry.
 */
class RegistryPullIT {

    @TempDir
    static Path tmp;

    static DockerRegistry registry;
    static Path qcow2;
    static Path raw;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(DockerRegistry.available(), "docker-registry not installed (scripts/prereqs.sh test)");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "qemu-img not installed");
        registry = new DockerRegistry(Files.createDirectories(tmp.resolve("open")), null, null);
        // a small qcow2 with real content: 3 MiB of random data (and zeros) converted by qemu-img
        raw = Files.write(tmp.resolve("disk.raw"), ContainerDiskExtractorTest.diskBytes(42, 3 << 20));
        qcow2 = tmp.resolve("disk.qcow2");
        Process p = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(),
                qcow2.toString()).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("qemu-img convert").isTrue();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    /** Pushes a one-layer containerDisk image and returns its manifest. */
    static TestImages.Blob pushImage(DockerRegistry r, String repo, String tag, Path disk, String name, boolean oci)
            throws Exception {
        TestImages.Blob layer = new TestImages.Blob(oci ? TestImages.OCI_LAYER_GZIP : TestImages.DOCKER_LAYER,
                TestImages.diskLayer(name, disk, true));
        TestImages.Blob config = TestImages.config(oci);
        r.pushBlob(repo, layer);
        r.pushBlob(repo, config);
        TestImages.Blob manifest = TestImages.manifest(oci, config, List.of(layer));
        r.pushManifest(repo, tag == null ? manifest.digest() : tag, manifest);
        return manifest;
    }

    private static ImageStore store(String name) {
        return new ImageStore(tmp.resolve("stores").resolve(name));
    }

    @Test
    void ociManifestWithQcow2() throws Exception {
        TestImages.Blob m = pushImage(registry, "jvirt/test-guest", "v1", qcow2, "test-guest.qcow2", true);
        ImagePuller puller = new ImagePuller(store("oci"));
        String ref = registry.host() + "/jvirt/test-guest:v1";

        ImagePuller.Pulled p = puller.pull(ref, null, false);
        assertThat(p.downloaded()).isTrue();
        assertThat(p.image().format()).isEqualTo("qcow2");
        assertThat(p.image().digest()).isEqualTo(m.digest());
        assertThat(Files.mismatch(p.image().path(), qcow2)).as("stored disk is byte-identical").isEqualTo(-1);
        assertThat(p.image().virtualSize()).isEqualTo(3 << 20);

        ImagePuller.Pulled again = puller.pull(ref, null, false);
        assertThat(again.downloaded()).as("same digest: a no-op").isFalse();
        assertThat(again.image().path()).isEqualTo(p.image().path());
        assertThat(puller.ensure(ref, PullPolicy.ALWAYS, null).path()).isEqualTo(p.image().path());
    }

    @Test
    void dockerSchema2WithRawDisk() throws Exception {
        TestImages.Blob m = pushImage(registry, "jvirt/raw", "v1", raw, "disk.img", false);
        ImageStore store = store("docker");
        ImageStore.Image img = new ImagePuller(store).ensure(registry.host() + "/jvirt/raw:v1",
                PullPolicy.IF_NOT_PRESENT, null);
        assertThat(img.format()).isEqualTo("raw");
        assertThat(img.digest()).isEqualTo(m.digest());
        assertThat(Files.mismatch(img.path(), raw)).isEqualTo(-1);
        // by digest too
        ImageStore.Image byDigest = new ImagePuller(store).ensure(registry.host() + "/jvirt/raw@" + m.digest(),
                PullPolicy.IF_NOT_PRESENT, null);
        assertThat(Files.mismatch(byDigest.path(), raw)).isEqualTo(-1);
    }

    @Test
    void ociIndexAndDockerManifestList() throws Exception {
        for (boolean oci : new boolean[] {true, false}) {
            String repo = oci ? "jvirt/multi-oci" : "jvirt/multi-docker";
            TestImages.Blob amd64 = pushImage(registry, repo, null, qcow2, "disk.qcow2", oci);
            // an arm64 image (another config, a raw disk) listed first: the amd64 one must be chosen
            TestImages.Blob layer = new TestImages.Blob(oci ? TestImages.OCI_LAYER_GZIP : TestImages.DOCKER_LAYER,
                    TestImages.diskLayer("arm.img", raw, true));
            ObjectNode cfg = (ObjectNode) TestImages.JSON.readTree(TestImages.config(oci).data());
            cfg.put("architecture", "arm64");
            TestImages.Blob armConfig = new TestImages.Blob(TestImages.config(oci).mediaType(),
                    TestImages.JSON.writeValueAsBytes(cfg));
            registry.pushBlob(repo, layer);
            registry.pushBlob(repo, armConfig);
            TestImages.Blob arm64 = TestImages.manifest(oci, armConfig, List.of(layer));
            registry.pushManifest(repo, arm64.digest(), arm64);
            TestImages.Blob index = TestImages.index(oci, List.of(arm64, amd64), List.of("linux/arm64",
                    "linux/amd64"));
            registry.pushManifest(repo, "v1", index);

            ImageStore.Image img = new ImagePuller(store("index-" + oci)).ensure(registry.host() + "/" + repo + ":v1",
                    PullPolicy.ALWAYS, null);
            assertThat(img.digest()).as("the index's digest").isEqualTo(index.digest());
            assertThat(img.format()).isEqualTo("qcow2");
            assertThat(Files.mismatch(img.path(), qcow2)).isEqualTo(-1);
        }
    }

    @Test
    void basicAuthWithHtpasswd() throws Exception {
        Assumptions.assumeTrue(DockerRegistry.htpasswdAvailable(),
                "htpasswd (apache2-utils) not installed: no bcrypt htpasswd file can be made");
        Path dir = Files.createDirectories(tmp.resolve("auth"));
        Path htpasswd = DockerRegistry.htpasswd(dir.resolve("htpasswd"), "jvirt", "pa55word");
        try (DockerRegistry secured = new DockerRegistry(dir, htpasswd, "jvirt:pa55word")) {
            pushImage(secured, "jvirt/private", "v1", qcow2, "disk.qcow2", true);
            String ref = secured.host() + "/jvirt/private:v1";
            ImagePuller puller = new ImagePuller(store("auth"));

            assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, null))
                    .isInstanceOfSatisfying(ImagePullException.class,
                            e -> assertThat(e.failure()).isEqualTo(Failure.UNAUTHORIZED))
                    .hasMessageContaining("unauthorized: check imagePullSecret");
            assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.IF_NOT_PRESENT,
                    secret(secured.host(), "jvirt:wrong")))
                    .isInstanceOfSatisfying(ImagePullException.class,
                            e -> assertThat(e.failure()).isEqualTo(Failure.UNAUTHORIZED))
                    .hasMessageContaining("refused the credentials from imagePullSecret \"regcred\"");
            ImageStore.Image img = puller.ensure(ref, PullPolicy.IF_NOT_PRESENT,
                    secret(secured.host(), "jvirt:pa55word"));
            assertThat(Files.mismatch(img.path(), qcow2)).isEqualTo(-1);
        }
    }

    private static ImagePuller.PullSecret secret(String host, String userPassword) {
        String json = "{\"auths\":{\"" + host + "\":{\"auth\":\"" + Base64.getEncoder().encodeToString(
                userPassword.getBytes(StandardCharsets.UTF_8)) + "\"}}}";
        return new ImagePuller.PullSecret("imagePullSecret \"regcred\"", () -> Map.of(".dockerconfigjson", json));
    }

    @Test
    void missingImage() {
        ImagePuller puller = new ImagePuller(store("missing"));
        assertThatThrownBy(() -> puller.ensure(registry.host() + "/jvirt/nothing:v1", PullPolicy.IF_NOT_PRESENT,
                null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.NOT_FOUND))
                .hasMessageStartingWith("failed to pull image \"" + registry.host() + "/jvirt/nothing:v1\": manifest "
                        + "unknown: " + registry.host() + " has no jvirt/nothing:v1");
    }

    @Test
    void corruptedBlobIsADigestMismatch() throws Exception {
        TestImages.Blob m = pushImage(registry, "jvirt/corrupt", "v1", qcow2, "disk.qcow2", true);
        String layerDigest = TestImages.JSON.readTree(m.data()).path("layers").get(0).path("digest").asText();
        Path data = registry.blobData(layerDigest);
        assertThat(data).isRegularFile();
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(64);
            long at = ch.size() / 2;
            ch.read(b, at);
            b.flip();
            ByteBuffer flipped = ByteBuffer.allocate(b.remaining());
            while (b.hasRemaining()) {
                flipped.put((byte) ~b.get());
            }
            flipped.flip();
            ch.write(flipped, at); // same length, different bytes
        }
        ImageStore store = store("corrupt");
        assertThatThrownBy(() -> new ImagePuller(store).ensure(registry.host() + "/jvirt/corrupt:v1",
                PullPolicy.IF_NOT_PRESENT, null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.DIGEST_MISMATCH))
                .hasMessageContaining("layer " + layerDigest + " does not match its digest");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void registryDown() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("down"));
        ImagePuller puller = new ImagePuller(store("down"));
        String ref;
        ImageStore.Image img;
        try (DockerRegistry shortLived = new DockerRegistry(dir, null, null)) {
            pushImage(shortLived, "jvirt/gone", "latest", qcow2, "disk.qcow2", true);
            ref = shortLived.host() + "/jvirt/gone";
            img = puller.ensure(ref, PullPolicy.ALWAYS, null);
        }
        assertThat(puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, null).path()).isEqualTo(img.path());
        assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.ALWAYS, null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.UNREACHABLE))
                .hasMessageContaining("failed to pull image \"" + ref + ":latest\": registry ")
                .hasMessageContaining("unreachable: cannot connect to ");
        ImagePuller fresh = new ImagePuller(store("down-fresh"));
        assertThatThrownBy(() -> fresh.ensure(ref, PullPolicy.IF_NOT_PRESENT, null))
                .isInstanceOf(ImagePullException.class)
                .hasMessageContaining("unreachable")
                .hasMessageContaining("jvirt image import " + ref + ":latest FILE");
    }
}
