package io.jvirt.node.console;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One guest's serial console, shared: QEMU's serial chardev accepts a single client, so the node agent holds that
 * one connection for the guest's whole life, keeps a scrollback of what the guest printed, and fans output out to
 * any number of viewers; any viewer may type. A viewer attaching late first gets the scrollback, so boot messages
 * are never lost and idle viewers cost nothing.
 */
public final class SerialHub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SerialHub.class);
    /** Scrollback kept per guest. */
    public static final int SCROLLBACK_BYTES = 256 * 1024;

    /** Receives console output; must not block for long. */
    public interface Viewer {
        void output(byte[] data);

        /** The console went away (guest stopped). */
        void closed();
    }

    private final Path socket;
    private final Set<Viewer> viewers = new CopyOnWriteArraySet<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] ring = new byte[SCROLLBACK_BYTES];
    private long written;
    private volatile SocketChannel channel;
    private volatile boolean closed;
    private Thread reader;

    public SerialHub(Path socket) {
        this.socket = socket;
    }

    /** Connects (retrying while QEMU creates the socket) and starts reading. */
    public void start() {
        reader = Thread.ofVirtual().name("serial-" + socket.getFileName()).start(this::run);
    }

    private void run() {
        while (!closed) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                channel = ch;
                ByteBuffer buf = ByteBuffer.allocate(8192);
                while (!closed) {
                    buf.clear();
                    int n = ch.read(buf);
                    if (n < 0) {
                        break;
                    }
                    byte[] data = new byte[n];
                    buf.flip();
                    buf.get(data);
                    publish(data);
                }
                break; // the guest's end closed: the domain stopped
            } catch (IOException e) {
                if (closed) {
                    break;
                }
                try {
                    Thread.sleep(200); // the socket appears once QEMU has started; poll until then
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        channel = null;
        for (Viewer v : viewers) {
            v.closed();
        }
    }

    /** Appends to the scrollback and hands to viewers under one lock, so an attaching viewer sees each byte once. */
    private void publish(byte[] data) {
        lock.lock();
        try {
            for (byte b : data) {
                ring[(int) (written % SCROLLBACK_BYTES)] = b;
                written++;
            }
            for (Viewer v : viewers) {
                v.output(data);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Everything still in the scrollback, oldest first. */
    public byte[] scrollback() {
        lock.lock();
        try {
            int len = (int) Math.min(written, SCROLLBACK_BYTES);
            byte[] out = new byte[len];
            long start = written - len;
            for (int i = 0; i < len; i++) {
                out[i] = ring[(int) ((start + i) % SCROLLBACK_BYTES)];
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Adds a viewer, handing it the scrollback first (atomically with respect to new output). */
    public void attach(Viewer v, boolean replay) {
        lock.lock();
        try {
            if (replay) {
                v.output(scrollback());
            }
            viewers.add(v);
        } finally {
            lock.unlock();
        }
    }

    public void detach(Viewer v) {
        viewers.remove(v);
    }

    /** Keyboard input from a viewer to the guest. */
    public void input(byte[] data) throws IOException {
        SocketChannel ch = channel;
        if (ch == null) {
            throw new IOException("the serial console of this guest is not connected (is it running?)");
        }
        synchronized (ch) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    public boolean connected() {
        return channel != null;
    }

    @Override
    public void close() {
        closed = true;
        SocketChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("closing serial socket {}: {}", socket, e.toString());
            }
        }
        if (reader != null) {
            reader.interrupt();
        }
    }
}
