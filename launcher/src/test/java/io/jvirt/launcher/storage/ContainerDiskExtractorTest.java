package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tar reader and the /disk extraction, with archives from GNU tar (every format it writes) and hand-made ones. */
class ContainerDiskExtractorTest {

    @TempDir
    Path tmp;

    /** Random bytes with long zero runs (holes), of a size that is not a multiple of the block size. */
    static byte[] diskBytes(long seed, int size) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        for (int off = 0; off < size; off += 64 << 10) {
            if ((off / (64 << 10)) % 3 != 1) { // every third 64 KiB chunk stays zero
                byte[] chunk = new byte[Math.min(64 << 10, size - off)];
                r.nextBytes(chunk);
                System.arraycopy(chunk, 0, b, off, chunk.length);
            }
        }
        return b;
    }

    private Path extract(List<byte[]> layers) throws IOException {
        ContainerDiskExtractor x = new ContainerDiskExtractor(tmp.resolve("work"));
        for (byte[] layer : layers) {
            x.applyLayer(ContainerDiskExtractor.decompress(new ByteArrayInputStream(layer)));
        }
        return x.result("test/image:1");
    }

    private ContainerDiskExtractor extractor(List<byte[]> layers) throws IOException {
        ContainerDiskExtractor x = new ContainerDiskExtractor(tmp.resolve("work"));
        for (byte[] layer : layers) {
            x.applyLayer(ContainerDiskExtractor.decompress(new ByteArrayInputStream(layer)));
        }
        return x;
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        }
        return bos.toByteArray();
    }

    /** {@code tar --format=FORMAT -C dir -cf - .} as bytes. */
    private static byte[] gnuTar(Path dir, String format) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")),
                "GNU tar not installed");
        Path out = dir.resolveSibling(dir.getFileName() + "." + format + ".tar");
        Process p = new ProcessBuilder("tar", "--format=" + format, "--sort=name", "--numeric-owner", "-C",
                dir.toString(), "-cf", out.toString(), ".").redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("tar: %s", msg).isZero();
        return Files.readAllBytes(out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "oldgnu", "pax", "ustar", "v7"})
    void extractsTheDiskFromEveryGnuTarFormat(String format) throws Exception {
        byte[] disk = diskBytes(1, (3 << 20) + 123);
        Path root = tmp.resolve("root-" + format);
        Files.createDirectories(root.resolve("disk"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/hostname"), "x");
        Files.write(root.resolve("disk/cirros.img"), disk);
        byte[] tar = gnuTar(root, format);

        Path plain = extract(List.of(tar));
        assertThat(Files.readAllBytes(plain)).isEqualTo(disk);
        Path gz = extract(List.of(gzip(tar)));
        assertThat(Files.readAllBytes(gz)).isEqualTo(disk);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "pax"})
    void longNames(String format) throws Exception {
        String name = "a-disk-with-a-very-long-name-" + "x".repeat(120) + ".qcow2";
        Path root = tmp.resolve("long-" + format);
        Files.createDirectories(root.resolve("disk"));
        Files.write(root.resolve("disk").resolve(name), new byte[] {1, 2, 3});
        try (ContainerDiskExtractor x = extractor(List.of(gnuTar(root, format)))) {
            assertThat(x.entries()).containsExactly("disk/" + name);
            assertThat(Files.readAllBytes(x.result("i"))).containsExactly(1, 2, 3);
        }
        byte[] own = TestTar.bytes(t -> t.file("disk/" + name, new byte[] {4}));
        try (ContainerDiskExtractor x = extractor(List.of(own))) {
            assertThat(x.entries()).containsExactly("disk/" + name);
        }
    }

    @Test
    void writesZeroBlocksAsHoles() throws Exception {
        int size = 8 << 20;
        byte[] disk = new byte[size];
        disk[0] = 1;
        disk[size - 1] = 2; // the last block is data, the 8 MiB between are zero
        Path f = extract(List.of(TestTar.bytes(t -> t.file("disk/raw.img", disk))));
        assertThat(Files.size(f)).isEqualTo(size);
        assertThat(Files.readAllBytes(f)).isEqualTo(disk);
        byte[] trailingZeros = new byte[size];
        trailingZeros[5] = 7;
        Path g = extract(List.of(TestTar.bytes(t -> t.file("disk/raw2.img", trailingZeros))));
        assertThat(Files.size(g)).as("a trailing hole still counts").isEqualTo(size);
        Process du = new ProcessBuilder("du", "--block-size=1", g.toString()).start();
        long allocated = Long.parseLong(new String(du.getInputStream().readAllBytes()).split("\\s+")[0]);
        assertThat(allocated).as("allocated bytes").isLessThan(size / 2);
    }

    @Test
    void laterLayersWinAndWhiteoutsHideLowerFiles() throws Exception {
        byte[] base = TestTar.bytes(t -> t.dir("disk").file("disk/a.img", "old".getBytes())
                .file("etc/passwd", "root".getBytes()));
        byte[] replace = TestTar.bytes(t -> t.file("./disk/a.img", "new".getBytes()));
        assertThat(Files.readString(extract(List.of(base, replace)))).isEqualTo("new");

        byte[] whiteout = TestTar.bytes(t -> t.file("disk/.wh.a.img", new byte[0])
                .file("disk/b.qcow2", "b".getBytes()));
        try (ContainerDiskExtractor x = extractor(List.of(base, whiteout))) {
            assertThat(x.entries()).containsExactly("disk/b.qcow2");
            assertThat(Files.readString(x.result("i"))).isEqualTo("b");
        }

        byte[] twoFiles = TestTar.bytes(t -> t.file("disk/x.img", "x".getBytes()).file("disk/y.img", "y".getBytes()));
        byte[] opaque = TestTar.bytes(t -> t.file("disk/z.img", "z".getBytes())
                .file("disk/.wh..wh..opq", new byte[0])); // after z: still only hides lower layers
        try (ContainerDiskExtractor x = extractor(List.of(twoFiles, opaque))) {
            assertThat(x.entries()).containsExactly("disk/z.img");
        }

        byte[] dirGone = TestTar.bytes(t -> t.file(".wh.disk", new byte[0]));
        byte[] again = TestTar.bytes(t -> t.file("disk/c.img", "c".getBytes()));
        try (ContainerDiskExtractor x = extractor(List.of(base, dirGone, again))) {
            assertThat(x.entries()).containsExactly("disk/c.img");
        }

        byte[] hardlink = TestTar.bytes(t -> t.hardlink("disk/h.img", "disk/a.img").file("disk/.wh.a.img",
                new byte[0]));
        assertThat(Files.readString(extract(List.of(base, hardlink)))).isEqualTo("old");
    }

    @Test
    void refusesWhatIsNotAContainerDisk() throws Exception {
        byte[] none = TestTar.bytes(t -> t.file("etc/hostname", "x".getBytes()).file("disk.img", new byte[1]));
        assertThatThrownBy(() -> extract(List.of(none))).isInstanceOfSatisfying(ImagePullException.class,
                        e -> assertThat(e.failure()).isEqualTo(ImagePullException.Failure.NOT_A_CONTAINER_DISK))
                .hasMessage("image test/image:1 is not a containerDisk: its layers have no file under /disk/");
        byte[] two = TestTar.bytes(t -> t.file("disk/a", new byte[1]).file("disk/b", new byte[1]));
        assertThatThrownBy(() -> extract(List.of(two))).isInstanceOf(ImagePullException.class)
                .hasMessageContaining("exactly one file under /disk/, found [a, b]");
        byte[] link = TestTar.bytes(t -> t.symlink("disk/a", "/etc/shadow"));
        assertThatThrownBy(() -> extract(List.of(link))).isInstanceOf(ImagePullException.class)
                .hasMessageContaining("/disk/a is a symbolic link to /etc/shadow, not a regular file");
        byte[] nested = TestTar.bytes(t -> t.file("disk/sub/a.img", new byte[1]));
        assertThatThrownBy(() -> extract(List.of(nested))).isInstanceOf(ImagePullException.class)
                .hasMessageContaining("/disk/sub is a directory");
        byte[] climbing = TestTar.bytes(t -> t.file("../disk/evil", new byte[1]).file("disk/../../x", new byte[1]));
        assertThatThrownBy(() -> extract(List.of(climbing))).isInstanceOf(ImagePullException.class)
                .hasMessageContaining("no file under /disk/");
        assertThat(tmp.resolve("work/../evil")).doesNotExist();
    }

    @Test
    void corruptArchives() throws Exception {
        byte[] garbage = "this is not a tar archive at all".repeat(40).getBytes();
        assertThatThrownBy(() -> extract(List.of(garbage))).isInstanceOf(IOException.class)
                .hasMessageContaining("not a tar archive");
        byte[] tar = TestTar.bytes(t -> t.file("disk/a.img", new byte[4096]));
        byte[] truncated = java.util.Arrays.copyOf(tar, 512 + 100);
        assertThatThrownBy(() -> extract(List.of(truncated))).isInstanceOf(IOException.class)
                .hasMessageContaining("ends inside");
        byte[] zstd = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0};
        assertThatThrownBy(() -> ContainerDiskExtractor.decompress(new ByteArrayInputStream(zstd)))
                .isInstanceOf(ContainerDiskExtractor.UnsupportedLayerException.class).hasMessageContaining("zstd");
        InputStream empty = ContainerDiskExtractor.decompress(new ByteArrayInputStream(new byte[0]));
        assertThatThrownBy(() -> extract(List.of(empty.readAllBytes()))).isInstanceOf(ImagePullException.class);
    }

    @Test
    void numbersAndPaxRecords() throws Exception {
        byte[] h = new byte[12];
        h[0] = (byte) 0x80;
        h[7] = 0x02; // base-256: 2 << 32 = 8 GiB
        assertThat(TarReader.parseNumber(h, 0, 12)).isEqualTo(2L << 32);
        byte[] octal = "00000001750 ".getBytes(StandardCharsets.US_ASCII);
        assertThat(TarReader.parseNumber(octal, 0, 12)).isEqualTo(01750);
        String name = "disk/\u00e9t\u00e9.qcow2";
        String rec = " path=" + name + "\n";
        int len = rec.getBytes(StandardCharsets.UTF_8).length + 2; // two digits of length
        assertThat(TarReader.parsePax((len + rec + "11 size=42\n").getBytes(StandardCharsets.UTF_8)))
                .containsEntry("path", name).containsEntry("size", "42");
        assertThat(TarReader.parsePax("11 size=42\n".getBytes(StandardCharsets.US_ASCII)))
                .containsEntry("size", "42");
        assertThatThrownBy(() -> TarReader.parsePax("99 size=42\n".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IOException.class);
        assertThat(ContainerDiskExtractor.normalize("./disk//a.img")).isEqualTo("disk/a.img");
        assertThat(ContainerDiskExtractor.normalize("/disk/")).isEqualTo("disk");
        assertThat(ContainerDiskExtractor.normalize("disk/../x")).isNull();
        assertThat(ContainerDiskExtractor.normalize("./")).isNull();
    }
}
