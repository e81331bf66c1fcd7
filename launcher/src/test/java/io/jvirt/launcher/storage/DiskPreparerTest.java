package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.launcher.domain.PreparedDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskPreparerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "qemu-img not installed");
        Assumptions.assumeTrue(IsoReader.available(), "xorriso not installed");
    }

    static JsonNode vmi(String volumes) throws Exception {
        return JSON.readTree("""
                {"metadata":{"name":"v","namespace":"ns","uid":"u"},"spec":{"domain":{},"volumes":%s}}"""
                .formatted(volumes));
    }

    @Test
    void preparesContainerDiskEmptyDiskAndCloudInit() throws Exception {
        ImageStore store = new ImageStore(tmp.resolve("images"));
        ImageStore.Image img = store.importImage("quay.io/kubevirt/cirros-container-disk-demo",
                ImageStoreTest.image(tmp, "c.qcow2", "qcow2", 128L << 20));
        DiskPreparer preparer = new DiskPreparer(store);
        Path dir = tmp.resolve("vmis/ns/v");

        Map<String, PreparedDisk> disks = preparer.prepare(vmi("""
                [{"name":"root","containerDisk":{"image":"quay.io/kubevirt/cirros-container-disk-demo:latest"}},
                 {"name":"scratch","emptyDisk":{"capacity":"2Gi"}},
                 {"name":"ci","cloudInitNoCloud":{"userData":"#cloud-config\\n"}}]"""), dir, n -> null);

        assertThat(disks.keySet()).containsExactly("root", "scratch", "ci");

        PreparedDisk root = disks.get("root");
        assertThat(root.path()).isEqualTo(dir.resolve("disks/root.qcow2")).isRegularFile();
        assertThat(root.format()).isEqualTo("qcow2");
        assertThat(root.backingPath()).isEqualTo(img.path());
        assertThat(root.backingFormat()).isEqualTo("qcow2");
        assertThat(root.readOnlyMedia()).isFalse();
        QemuImg.Info overlay = new QemuImg().info(root.path(), false);
        assertThat(overlay.backingFile()).isEqualTo(img.path().toString());
        assertThat(overlay.virtualSize()).isEqualTo(128L << 20);

        PreparedDisk scratch = disks.get("scratch");
        assertThat(scratch.format()).isEqualTo("qcow2");
        assertThat(scratch.backingPath()).isNull();
        assertThat(new QemuImg().info(scratch.path(), false).virtualSize()).isEqualTo(2L << 30);

        PreparedDisk ci = disks.get("ci");
        assertThat(ci.path()).isEqualTo(dir.resolve("cloud-init/ci/noCloud.iso"));
        assertThat(ci.format()).isEqualTo("raw");
        assertThat(ci.readOnlyMedia()).isTrue();
        assertThat(IsoReader.volumeId(ci.path())).isEqualTo("cidata");

        // O_DIRECT: the probe answers the same for every file of this file system
        boolean direct = DiskPreparer.directIoSupported(dir.resolve("disks/root.qcow2"));
        assertThat(scratch.directIoSupported()).isEqualTo(direct);
        assertThat(DiskPreparer.directIoSupported(dir.resolve("does-not-exist"))).isEqualTo(direct);

        // preparing again recreates the ephemeral disks
        Files.writeString(dir.resolve("marker"), "x");
        Map<String, PreparedDisk> again = preparer.prepare(vmi("""
                [{"name":"root","containerDisk":{"image":"quay.io/kubevirt/cirros-container-disk-demo"}}]"""),
                dir, n -> null);
        assertThat(again.get("root").path()).isRegularFile();

        preparer.cleanup(dir);
        assertThat(dir).doesNotExist();
        assertThat(img.path()).exists(); // the image store is not touched
    }

    /** An imported reference is used under every pull policy, and no registry is asked (here: none listens). */
    @Test
    void importedImagesArePinned() throws Exception {
        ImageStore store = new ImageStore(tmp.resolve("images"));
        ImageStore.Image img = store.importImage("127.0.0.1:1/jvirt/pinned",
                ImageStoreTest.image(tmp, "p.qcow2", "qcow2", 1L << 20));
        assertThat(img.pulled()).isFalse();
        DiskPreparer preparer = new DiskPreparer(store);
        for (String policy : new String[] {"Always", "IfNotPresent", "Never", ""}) {
            Map<String, PreparedDisk> disks = preparer.prepare(vmi("""
                    [{"name":"root","containerDisk":{"image":"127.0.0.1:1/jvirt/pinned",
                      "imagePullPolicy":"%s","imagePullSecret":"absent"}}]""".formatted(policy)),
                    tmp.resolve("vmis/ns/" + (policy.isEmpty() ? "default" : policy.toLowerCase())), n -> {
                        throw new AssertionError("no secret is read for an imported image");
                    });
            assertThat(disks.get("root").backingPath()).as(policy).isEqualTo(img.path());
        }
    }

    @Test
    void unsupportedAndMissing() throws Exception {
        DiskPreparer preparer = new DiskPreparer(new ImageStore(tmp.resolve("images")));
        Path dir = tmp.resolve("vmi");
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"data","persistentVolumeClaim":{"claimName":"pvc1"}}]"""), dir, n -> null))
                .isInstanceOfSatisfying(UnsupportedVolumeException.class, e -> {
                    assertThat(e.volume()).isEqualTo("data");
                    assertThat(e.sourceType()).isEqualTo("persistentVolumeClaim");
                })
                .hasMessage("volume 'data': volume source 'persistentVolumeClaim' is not supported on this node");
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"eph","ephemeral":{"persistentVolumeClaim":{"claimName":"golden"}}}]"""), dir, n -> null))
                .isInstanceOf(UnsupportedVolumeException.class)
                .hasMessageContaining("volume 'eph'").hasMessageContaining("'golden'")
                .hasMessageContaining("does not provide PVC storage yet");
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"root","containerDisk":{"image":"quay.io/nope/disk","imagePullPolicy":"Never"}}]"""),
                dir, n -> null))
                .isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("not present with pull policy of Never")
                .hasMessageContaining("jvirt image import quay.io/nope/disk:latest FILE");
        // not in the store: pulled (here from a loopback port nobody listens on: connection refused)
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"root","containerDisk":{"image":"127.0.0.1:1/nope/disk:v1"}}]"""), dir, n -> null))
                .isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(ImagePullException.Failure.UNREACHABLE))
                .hasMessageStartingWith("failed to pull image \"127.0.0.1:1/nope/disk:v1\": registry 127.0.0.1:1 "
                        + "unreachable: cannot connect to 127.0.0.1:1")
                .hasMessageContaining("jvirt image import 127.0.0.1:1/nope/disk:v1 FILE");
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"root","containerDisk":{"image":"x","imagePullPolicy":"Sometimes"}}]"""), dir, n -> null))
                .isInstanceOf(ImagePullException.class)
                .hasMessage("volume 'root': invalid imagePullPolicy 'Sometimes' (expected Always, IfNotPresent or "
                        + "Never)");
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"e","emptyDisk":{}}]"""), dir, n -> null))
                .isInstanceOf(StorageException.class).hasMessageContaining("emptyDisk.capacity");
        assertThatThrownBy(() -> preparer.prepare(vmi("""
                [{"name":"../x","emptyDisk":{"capacity":"1Mi"}}]"""), dir, n -> null))
                .isInstanceOf(StorageException.class).hasMessageContaining("invalid volume name");
    }
}
