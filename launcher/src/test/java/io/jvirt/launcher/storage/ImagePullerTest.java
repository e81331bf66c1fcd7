package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvirt.launcher.storage.ImagePullException.Failure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImagePuller} and {@link RegistryClient} against {@link FakeRegistry}: token authentication, redirected
 * blob downloads, indexes, pull policies and the failures users see. The real registry is in
 * {@code RegistryPullIT}.
 */
class ImagePullerTest {

    @TempDir
    Path tmp;

    FakeRegistry registry;
    ImageStore store;
    ImagePuller puller;

    @BeforeAll
    static void tools() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "qemu-img not installed");
    }

    @BeforeEach
    void setUp() throws Exception {
        registry = new FakeRegistry();
        store = new ImageStore(tmp.resolve("images"));
        puller = new ImagePuller(store);
    }

    @AfterEach
    void tearDown() {
        registry.close();
    }

    /** Pushes a one-layer containerDisk image holding {@code disk} and returns the manifest pushed. */
    private TestImages.Blob push(String repo, String tag, byte[] disk, boolean oci, boolean index) throws Exception {
        Path f = Files.write(tmp.resolve("disk-" + System.nanoTime()), disk);
        TestImages.Blob layer = new TestImages.Blob(oci ? TestImages.OCI_LAYER_GZIP : TestImages.DOCKER_LAYER,
                TestImages.diskLayer("disk.img", f, true));
        TestImages.Blob config = TestImages.config(oci);
        TestImages.Blob manifest = TestImages.manifest(oci, config, List.of(layer));
        registry.blob(layer);
        registry.blob(config);
        if (!index) {
            registry.manifest(repo, tag, manifest);
            return manifest;
        }
        // an arm64 image first: the puller must pick amd64
        TestImages.Blob other = TestImages.manifest(oci, config, List.of(layer));
        TestImages.Blob ix = TestImages.index(oci, List.of(other, manifest), List.of("linux/arm64", "linux/amd64"));
        registry.manifest(repo, null, manifest);
        registry.manifest(repo, tag, ix);
        return ix;
    }

    private static ImagePuller.PullSecret secret(String registryHost, String user, String password) {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        String json = "{\"auths\":{\"" + registryHost + "\":{\"auth\":\"" + auth + "\"}}}";
        return new ImagePuller.PullSecret("imagePullSecret \"regcred\"", () -> Map.of(".dockerconfigjson", json));
    }

    @Test
    void pullsAnIndexWithTokenAuthAndARedirectedBlobDownload() throws Exception {
        registry.user = "alice";
        registry.password = "s3cret";
        byte[] disk = ContainerDiskExtractorTest.diskBytes(7, 1 << 20);
        TestImages.Blob top = push("jvirt/disk", "v1", disk, true, true);
        String ref = registry.host() + "/jvirt/disk:v1";

        ImageStore.Image img = puller.ensure(ref, PullPolicy.IF_NOT_PRESENT,
                secret(registry.host(), "alice", "s3cret"));
        assertThat(Files.readAllBytes(img.path())).isEqualTo(disk);
        assertThat(img.pulled()).isTrue();
        assertThat(img.digest()).as("the index's digest is the image's").isEqualTo(top.digest());
        assertThat(img.format()).isEqualTo("raw");
        assertThat(img.source()).isEqualTo(ref);
        assertThat(registry.cdnAuthorizations).as("credentials never go to the blob's other origin").isEmpty();
        assertThat(registry.count("GET /token")).isEqualTo(1);
        assertThat(store.find(ref)).hasValueSatisfying(i -> assertThat(i.digest()).isEqualTo(top.digest()));
        assertThat(tmp.resolve("images/tmp").toFile().list()).as("no work files left").isEmpty();

        // IfNotPresent: present, nothing asked
        int before = registry.requests.size();
        assertThat(puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, null).path()).isEqualTo(img.path());
        assertThat(registry.requests).hasSize(before);

        // Always: one HEAD tells the digest is unchanged
        assertThat(puller.ensure(ref, PullPolicy.ALWAYS, secret(registry.host(), "alice", "s3cret")).path())
                .isEqualTo(img.path());
        assertThat(registry.requests.subList(before, registry.requests.size()))
                .filteredOn(r -> r.contains("/v2/")).allMatch(r -> r.startsWith("HEAD "));

        // a new image under the same tag: Always downloads it into a new blob; the old one stays for its overlays
        byte[] disk2 = ContainerDiskExtractorTest.diskBytes(8, 1 << 20);
        push("jvirt/disk", "v1", disk2, true, true);
        ImageStore.Image img2 = puller.ensure(ref, PullPolicy.ALWAYS, secret(registry.host(), "alice", "s3cret"));
        assertThat(img2.path()).isNotEqualTo(img.path());
        assertThat(Files.readAllBytes(img2.path())).isEqualTo(disk2);
        assertThat(Files.readAllBytes(img.path())).isEqualTo(disk);
        assertThat(store.prune(List.of())).containsExactly(img.path());
    }

    @Test
    void dockerSchema2ByDigestNeedsNoRegistryOnceStored() throws Exception {
        byte[] disk = ContainerDiskExtractorTest.diskBytes(9, 300_000);
        TestImages.Blob m = push("jvirt/docker", "v2", disk, false, false);
        String ref = registry.host() + "/jvirt/docker@" + m.digest();
        ImagePuller.Pulled p = puller.pull(ref, null, false);
        assertThat(p.downloaded()).isTrue();
        assertThat(Files.readAllBytes(p.image().path())).isEqualTo(disk);
        registry.close(); // content-addressed: no need to ask again
        assertThat(puller.ensure(ref, PullPolicy.ALWAYS, null).path()).isEqualTo(p.image().path());
        assertThat(puller.pull(ref, null, false).downloaded()).isFalse();
        assertThat(puller.ensure(ref, PullPolicy.NEVER, null).path()).isEqualTo(p.image().path());
    }

    @Test
    void failuresSayWhatAndWhy() throws Exception {
        registry.user = "alice";
        registry.password = "s3cret";
        push("jvirt/disk", "v1", new byte[4096], true, false);
        String ref = registry.host() + "/jvirt/disk:v1";

        assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, null))
                .isInstanceOfSatisfying(ImagePullException.class, e -> {
                    assertThat(e.failure()).isEqualTo(Failure.UNAUTHORIZED);
                    assertThat(e.reference()).isEqualTo(ref);
                })
                .hasMessageStartingWith("failed to pull image \"" + ref + "\": unauthorized: check imagePullSecret")
                .hasMessageContaining("anonymous access");
        assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.IF_NOT_PRESENT,
                secret(registry.host(), "alice", "wrong")))
                .isInstanceOf(ImagePullException.class)
                .hasMessageContaining("unauthorized: check imagePullSecret")
                .hasMessageContaining("refused the credentials from imagePullSecret \"regcred\"");
        ImagePuller.PullSecret missing = new ImagePuller.PullSecret("imagePullSecret \"gone\"", () -> null);
        assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, missing))
                .isInstanceOf(ImagePullException.class)
                .hasMessageContaining("unauthorized: check imagePullSecret")
                .hasMessageEndingWith("; imagePullSecret \"gone\" does not exist");
        ImagePuller.PullSecret otherRegistry = secret("quay.io", "alice", "s3cret");
        assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, otherRegistry))
                .hasMessageEndingWith("; imagePullSecret \"regcred\" has no entry for " + registry.host());

        ImagePuller.PullSecret good = secret(registry.host(), "alice", "s3cret");
        assertThatThrownBy(() -> puller.ensure(registry.host() + "/jvirt/disk:v9", PullPolicy.IF_NOT_PRESENT, good))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.NOT_FOUND))
                .hasMessageContaining("manifest unknown: " + registry.host() + " has no jvirt/disk:v9 (registry says "
                        + "MANIFEST_UNKNOWN: manifest unknown)")
                .hasMessageContaining("jvirt image import " + registry.host() + "/jvirt/disk:v9 FILE");

        // an index without linux/amd64
        TestImages.Blob m = push("jvirt/arm", "v1", new byte[512], true, false);
        registry.manifest("jvirt/arm", "v1", TestImages.index(true, List.of(m), List.of("linux/arm64")));
        assertThatThrownBy(() -> puller.ensure(registry.host() + "/jvirt/arm:v1", PullPolicy.ALWAYS, good))
                .hasMessageContaining("no linux/amd64 image in its index (it has [linux/arm64])");

        // not a containerDisk: a layer without /disk
        TestImages.Blob layer = new TestImages.Blob(TestImages.OCI_LAYER,
                TestImages.tar(t -> t.file("etc/hostname", "x".getBytes()), false));
        registry.blob(layer);
        TestImages.Blob app = TestImages.manifest(true, TestImages.config(true), List.of(layer));
        registry.blob(TestImages.config(true));
        registry.manifest("jvirt/app", "v1", app);
        assertThatThrownBy(() -> puller.ensure(registry.host() + "/jvirt/app:v1", PullPolicy.ALWAYS, good))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.NOT_A_CONTAINER_DISK))
                .hasMessageContaining("is not a containerDisk: its layers have no file under /disk/");

        // a disk that is an overlay of a host file: refused by the store's checks
        Path base = ImageStoreTest.image(tmp, "base.qcow2", "qcow2", 1L << 20);
        Path overlay = tmp.resolve("overlay.qcow2");
        new QemuImg().createOverlay(base, "qcow2", overlay);
        TestImages.Blob evil = new TestImages.Blob(TestImages.OCI_LAYER_GZIP,
                TestImages.diskLayer("disk.qcow2", overlay, true));
        registry.blob(evil);
        registry.manifest("jvirt/evil", "v1", TestImages.manifest(true, TestImages.config(true), List.of(evil)));
        assertThatThrownBy(() -> puller.ensure(registry.host() + "/jvirt/evil:v1", PullPolicy.ALWAYS, good))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.NOT_A_CONTAINER_DISK))
                .hasMessageContaining("has a backing file");
        assertThat(store.list()).isEmpty();
        assertThat(tmp.resolve("images/tmp").toFile().list()).as("no work files left").isEmpty();

        assertThatThrownBy(() -> puller.ensure("Invalid/Name:v1", PullPolicy.ALWAYS, null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.INVALID_REFERENCE));
    }

    @Test
    void aRegistryThatStallsMidBlobIsUnreachableNotAHang() throws Exception {
        push("jvirt/slow", "v1", ContainerDiskExtractorTest.diskBytes(3, 1 << 20), true, false);
        registry.stallBlobs = true;
        RegistryClient impatient = new RegistryClient(java.net.http.HttpClient.newBuilder()
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build(), java.time.Duration.ofSeconds(1));
        ImagePuller p = new ImagePuller(store, impatient, List::of);
        long start = System.nanoTime();
        assertThatThrownBy(() -> p.ensure(registry.host() + "/jvirt/slow:v1", PullPolicy.IF_NOT_PRESENT, null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.UNREACHABLE))
                .hasMessageContaining("lost the connection while downloading layer")
                .hasMessageContaining("no data from the registry for 1 s");
        assertThat((System.nanoTime() - start) / 1_000_000_000).as("seconds until the pull gave up").isLessThan(30);
    }

    @Test
    void insecureRegistriesAndPulledCopiesUnderNeverAndAlways() throws Exception {
        ImagePuller p = new ImagePuller(store, () -> List.of("registry.internal:5000", "http://plain.example/"));
        assertThat(p.insecure(ImageReference.parse("registry.internal:5000/a"))).isTrue();
        assertThat(p.insecure(ImageReference.parse("registry.internal/a"))).isFalse();
        assertThat(p.insecure(ImageReference.parse("plain.example:8080/a"))).as("a host entry covers its ports")
                .isTrue();
        assertThat(p.insecure(ImageReference.parse("quay.io/a"))).isFalse();
        assertThat(p.insecure(ImageReference.parse("localhost:5000/a"))).isTrue();

        byte[] disk = new byte[8192];
        disk[100] = 1;
        push("jvirt/x", "latest", disk, true, false);
        String ref = registry.host() + "/jvirt/x";
        ImageStore.Image img = puller.ensure(ref, PullPolicy.ALWAYS, null);
        registry.close();
        assertThat(puller.ensure(ref, PullPolicy.NEVER, null).path()).isEqualTo(img.path());
        assertThat(puller.ensure(ref, PullPolicy.IF_NOT_PRESENT, null).path()).isEqualTo(img.path());
        // a pulled image under Always with its registry gone: ErrImagePull, as kubelet (imported ones are pinned)
        assertThatThrownBy(() -> puller.ensure(ref, PullPolicy.ALWAYS, null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(Failure.UNREACHABLE))
                .hasMessageContaining("registry " + registry.host() + " unreachable")
                .hasMessageNotContaining("jvirt image import");
    }
}
