package io.jvirt.launcher.libvirt;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Test helper: connects to a QEMU serial unix socket and collects everything the guest prints. */
public final class SerialConsole implements AutoCloseable {

    private final SocketChannel channel;
    private final StringBuffer text = new StringBuffer();
    private final Thread reader;

    private SerialConsole(SocketChannel channel) {
        this.channel = channel;
        this.reader = Thread.ofVirtual().start(() -> {
            ByteBuffer b = ByteBuffer.allocate(4096);
            try {
                while (channel.read(b) >= 0) {
                    b.flip();
                    text.append(StandardCharsets.UTF_8.decode(b));
                    b.clear();
                }
            } catch (IOException e) {
                // closed
            }
        });
    }

    /** Connects, waiting up to {@code timeout} for QEMU to create the socket. */
    public static SerialConsole connect(Path socket, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return new SerialConsole(ch);
                } catch (IOException e) {
                    ch.close();
                    last = e;
                }
            }
            Thread.sleep(50);
        }
        throw new IOException("cannot connect to " + socket, last);
    }

    public String text() {
        return text.toString();
    }

    /** Waits until the output contains {@code needle}; fails with the output seen so far. */
    public void await(String needle, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (text.indexOf(needle) >= 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("serial console did not show '" + needle + "' within " + timeout.toSeconds()
                + " s; output:\n" + tail());
    }

    public String tail() {
        String s = text.toString();
        return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    }

    public void write(String s) throws IOException {
        channel.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() throws IOException {
        channel.close();
        reader.interrupt();
    }
}
