package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "qemu-img not installed");
    }

    static Path image(Path dir, String name, String format, long size) {
        Path p = dir.resolve(name);
        new QemuImg().create(p, format, size);
        return p;
    }

    @Test
    void normalize() {
        assertThat(ImageStore.normalize("quay.io/kubevirt/cirros-container-disk-demo"))
                .isEqualTo("quay.io/kubevirt/cirros-container-disk-demo:latest");
        assertThat(ImageStore.normalize(" quay.io/kubevirt/cirros-container-disk-demo:v1.2 "))
                .isEqualTo("quay.io/kubevirt/cirros-container-disk-demo:v1.2");
        assertThat(ImageStore.normalize("localhost:5000/disk")).isEqualTo("localhost:5000/disk:latest");
        assertThat(ImageStore.normalize("localhost:5000/disk:7")).isEqualTo("localhost:5000/disk:7");
        assertThat(ImageStore.normalize("cirros")).isEqualTo("cirros:latest");
        assertThat(ImageStore.normalize("reg/x@sha256:abcd")).isEqualTo("reg/x@sha256:abcd");
        assertThatThrownBy(() -> ImageStore.normalize(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ImageStore.normalize("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ImageStore.normalize("reg/")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void importResolveList() throws Exception {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        Path q = image(tmp, "a.qcow2", "qcow2", 64L << 20);
        Path r = image(tmp, "b.img", "raw", 32L << 20);

        ImageStore.Image a = store.importImage("quay.io/kubevirt/cirros-container-disk-demo", q);
        ImageStore.Image b = store.importImage("example.com/b:1", r);

        assertThat(a.reference()).isEqualTo("quay.io/kubevirt/cirros-container-disk-demo:latest");
        assertThat(a.format()).isEqualTo("qcow2");
        assertThat(a.virtualSize()).isEqualTo(64L << 20);
        assertThat(b.format()).isEqualTo("raw");
        assertThat(a.path()).startsWith(tmp.resolve("store")).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a.path()))).isEqualTo("r--r--r--");
        // the source is untouched, the store has its own copy
        assertThat(q).isRegularFile();
        assertThat(a.path()).isNotEqualTo(q);

        assertThat(store.resolve("quay.io/kubevirt/cirros-container-disk-demo:latest")).contains(a.path());
        assertThat(store.resolve("quay.io/kubevirt/cirros-container-disk-demo")).contains(a.path());
        assertThat(store.resolve("example.com/b:1")).contains(b.path());
        assertThat(store.resolve("example.com/b")).isEmpty();
        assertThat(store.list()).extracting(ImageStore.Image::reference)
                .containsExactly("example.com/b:1", "quay.io/kubevirt/cirros-container-disk-demo:latest");

        // a second store object on the same root sees the same images
        assertThat(new ImageStore(tmp.resolve("store")).list()).hasSize(2);
    }

    @Test
    void reimportKeepsOldBlobUntilPruned() {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        Path old = store.importImage("x", image(tmp, "1.qcow2", "qcow2", 1L << 20)).path();
        Path now = store.importImage("x", image(tmp, "2.qcow2", "qcow2", 2L << 20)).path();
        assertThat(now).isNotEqualTo(old);
        assertThat(old).exists(); // an overlay of a running VMI may still be backed by it
        assertThat(store.require("x").virtualSize()).isEqualTo(2L << 20);

        assertThat(store.prune(List.of(old))).isEmpty();
        assertThat(store.prune(List.of())).containsExactly(old);
        assertThat(old).doesNotExist();
        assertThat(now).exists();

        assertThat(store.remove("x")).isTrue();
        assertThat(store.resolve("x")).isEmpty();
        assertThat(store.prune(List.of())).containsExactly(now);
    }

    @Test
    void missingImageTellsHowToImport() {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        assertThat(store.resolve("quay.io/x/y")).isEmpty();
        assertThat(store.list()).isEmpty();
        assertThatThrownBy(() -> store.require("quay.io/x/y"))
                .isInstanceOf(ImageNotFoundException.class)
                .hasMessage("image not found: quay.io/x/y:latest: import it with "
                        + "`jvirt image import quay.io/x/y:latest FILE`");
    }

    @Test
    void rejectsUnsupportedImages() {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        Path base = image(tmp, "base.qcow2", "qcow2", 1L << 20);
        Path overlay = tmp.resolve("overlay.qcow2");
        new QemuImg().createOverlay(base, "qcow2", overlay);
        assertThatThrownBy(() -> store.importImage("o", overlay)).isInstanceOf(StorageException.class)
                .hasMessageContaining("has a backing file");
        Path vmdk = image(tmp, "d.vmdk", "vmdk", 1L << 20);
        assertThatThrownBy(() -> store.importImage("v", vmdk)).isInstanceOf(StorageException.class)
                .hasMessageContaining("vmdk image; only qcow2 and raw");
        assertThatThrownBy(() -> store.importImage("n", tmp.resolve("nope"))).isInstanceOf(StorageException.class)
                .hasMessageContaining("not a regular file");
        assertThat(store.list()).isEmpty();
        // no temporary files left behind
        assertThat(tmp.resolve("store/blobs").toFile().list()).isEmpty();
    }
}
