package io.jvirt.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for the test guest's login prompt on a serial port: a unix socket (libvirt) or a process's stdout (QEMU). */
final class PromptReader {
    private PromptReader() {
    }

    /**
     * Connects to a unix socket as soon as it accepts and reads until the login prompt.
     *
     * @param deadline {@link System#nanoTime()} to give up at
     * @return {@link System#nanoTime()} when the prompt arrived
     */
    static long fromSocket(Path socket, long deadline) throws Exception {
        SocketChannel ch = null;
        while (ch == null) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
                ch = c;
            } catch (IOException e) {
                c.close();
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("serial socket " + socket + " never accepted: " + e.getMessage());
                }
                Thread.sleep(2);
            }
        }
        SocketChannel channel = ch;
        return readUntil(socket.toString(), () -> {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            int n = channel.read(buf);
            return n < 0 ? null : Arrays.copyOf(buf.array(), n);
        }, channel::close, deadline);
    }

    /**
     * Reads a stream until the login prompt; leaves the stream open (its process owns it).
     *
     * @return {@link System#nanoTime()} when the prompt arrived
     */
    static long fromStream(String what, InputStream in, long deadline) throws Exception {
        return readUntil(what, () -> {
            byte[] b = new byte[8192];
            int n = in.read(b);
            return n < 0 ? null : Arrays.copyOf(b, n);
        }, () -> { }, deadline);
    }

    private interface Chunks {
        /** The next bytes, or null at the end. */
        byte[] next() throws IOException;
    }

    private interface Closer {
        void close() throws IOException;
    }

    /** Reads chunks on a virtual thread until the login prompt shows; closes the source at the end or on timeout. */
    private static long readUntil(String what, Chunks chunks, Closer closer, long deadline) throws Exception {
        NeedleMatcher m = NeedleMatcher.login();
        CompletableFuture<Long> found = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                byte[] b;
                while ((b = chunks.next()) != null) {
                    long now = System.nanoTime();
                    if (m.feed(b, b.length)) {
                        found.complete(now);
                        return;
                    }
                }
                found.completeExceptionally(new IOException(what + " ended before the login prompt: " + m.tail()));
            } catch (IOException e) {
                found.completeExceptionally(e);
            }
        });
        try {
            return found.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException("no login prompt on " + what + "; last output: " + m.tail());
        } finally {
            closer.close();
            t.interrupt();
        }
    }
}
