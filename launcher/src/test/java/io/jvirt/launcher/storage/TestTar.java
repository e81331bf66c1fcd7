package io.jvirt.launcher.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A minimal tar writer for tests: ustar headers, a pax {@code path} record for names longer than 100 bytes, regular
 * files streamed from disk. Writes what {@link TarReader} must read, including cases GNU tar will not produce
 * (names climbing out with {@code ..}).
 */
final class TestTar implements AutoCloseable {

    private final OutputStream out;

    TestTar(OutputStream out) {
        this.out = out;
    }

    TestTar file(String name, byte[] data) {
        header(name, '0', data.length, "");
        write(data);
        pad(data.length);
        return this;
    }

    TestTar file(String name, Path source) {
        try (InputStream in = Files.newInputStream(source)) {
            long size = Files.size(source);
            header(name, '0', size, "");
            in.transferTo(out);
            pad(size);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TestTar dir(String name) {
        header(name.endsWith("/") ? name : name + "/", '5', 0, "");
        return this;
    }

    TestTar symlink(String name, String target) {
        header(name, '2', 0, target);
        return this;
    }

    TestTar hardlink(String name, String target) {
        header(name, '1', 0, target);
        return this;
    }

    @Override
    public void close() {
        write(new byte[1024]);
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(java.util.function.Consumer<TestTar> content) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (TestTar t = new TestTar(bos)) {
            content.accept(t);
        }
        return bos.toByteArray();
    }

    private void header(String name, char type, long size, String link) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) {
            String rec = " path=" + name + "\n";
            int len = rec.getBytes(StandardCharsets.UTF_8).length;
            int total = len + String.valueOf(len).length();
            if (String.valueOf(total).length() != String.valueOf(len).length()) {
                total++;
            }
            byte[] pax = (total + rec).getBytes(StandardCharsets.UTF_8);
            rawHeader("PaxHeaders/x", 'x', pax.length, "");
            write(pax);
            pad(pax.length);
            name = name.substring(name.length() - 90);
        }
        rawHeader(name, type, size, link);
    }

    private void rawHeader(String name, char type, long size, String link) {
        byte[] h = new byte[512];
        put(h, 0, 100, name);
        put(h, 100, 8, String.format("%07o", type == '5' ? 0755 : 0644));
        put(h, 108, 8, "0000000");
        put(h, 116, 8, "0000000");
        put(h, 124, 12, String.format("%011o", size));
        put(h, 136, 12, String.format("%011o", 0));
        h[156] = (byte) type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar");
        put(h, 263, 2, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, 8, String.format("%06o", sum) + "\0 ");
        write(h);
    }

    private static void put(byte[] h, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    private void pad(long size) {
        int r = (int) (size % 512);
        if (r != 0) {
            write(new byte[512 - r]);
        }
    }

    private void write(byte[] b) {
        try {
            out.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
