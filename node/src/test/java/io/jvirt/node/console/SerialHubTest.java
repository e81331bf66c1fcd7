package io.jvirt.node.console;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The shared serial console against a real unix socket standing in for QEMU's serial chardev: the test is the
 * "guest" end, writing output and reading what viewers type.
 */
@Timeout(30)
class SerialHubTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Path socket;
    private ServerSocketChannel server;
    private SocketChannel guest;
    private SerialHub hub;

    /** Records what a viewer is given, chunk by chunk. */
    static final class Recorder implements SerialHub.Viewer {
        final List<byte[]> chunks = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        @Override
        public void output(byte[] data) {
            chunks.add(data.clone());
        }

        @Override
        public void closed() {
            closed = true;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            chunks.forEach(out::writeBytes);
            return out.toByteArray();
        }

        String text() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }
    }

    @BeforeEach
    void setUp() {
        socket = dir.resolve("serial0");
        hub = new SerialHub(socket);
    }

    @AfterEach
    void tearDown() throws IOException {
        hub.close();
        if (guest != null) {
            guest.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void listen() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
    }

    /** Starts the hub and accepts its connection, as QEMU's chardev server would. */
    private void connect() throws IOException {
        listen();
        hub.start();
        guest = server.accept();
        await().atMost(WAIT).until(hub::connected);
    }

    private void guestPrints(String s) throws IOException {
        guestWrites(s.getBytes(StandardCharsets.UTF_8));
    }

    private void guestWrites(byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            guest.write(b);
        }
    }

    private String scrollback() {
        return new String(hub.scrollback(), StandardCharsets.UTF_8);
    }

    @Test
    void guestOutputReachesEveryViewerAndTheScrollback() throws IOException {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        hub.attach(a, false);
        hub.attach(b, false);
        connect();
        guestPrints("Booting Linux...\r\n");
        guestPrints("login: ");
        String expected = "Booting Linux...\r\nlogin: ";
        await().atMost(WAIT).until(() -> a.text().equals(expected) && b.text().equals(expected));
        assertThat(scrollback()).isEqualTo(expected);
    }

    @Test
    void aLateViewerGetsTheScrollbackFirst() throws IOException {
        connect();
        guestPrints("early boot messages\r\n");
        await().atMost(WAIT).until(() -> scrollback().equals("early boot messages\r\n"));

        Recorder late = new Recorder();
        hub.attach(late, true);
        assertThat(late.chunks).hasSize(1);
        assertThat(new String(late.chunks.get(0), StandardCharsets.UTF_8)).isEqualTo("early boot messages\r\n");

        guestPrints("login: ");
        await().atMost(WAIT).until(() -> late.text().equals("early boot messages\r\nlogin: "));
        assertThat(scrollback()).isEqualTo("early boot messages\r\nlogin: ");
    }

    @Test
    void aViewerWithoutReplayOnlySeesNewOutput() throws IOException {
        connect();
        guestPrints("old\n");
        await().atMost(WAIT).until(() -> scrollback().equals("old\n"));
        Recorder v = new Recorder();
        hub.attach(v, false);
        assertThat(v.chunks).isEmpty();
        guestPrints("new\n");
        await().atMost(WAIT).until(() -> v.text().equals("new\n"));
    }

    @Test
    void aViewerAttachedBeforeAnyOutputGetsAnEmptyReplay() {
        Recorder v = new Recorder();
        hub.attach(v, true);
        assertThat(v.bytes()).isEmpty();
        assertThat(hub.scrollback()).isEmpty();
    }

    @Test
    void viewerInputReachesTheGuest() throws IOException {
        connect();
        hub.input("root\n".getBytes(StandardCharsets.UTF_8));
        hub.input(new byte[]{3}); // ctrl-c
        ByteBuffer in = ByteBuffer.allocate(64);
        while (in.position() < 6) {
            assertThat(guest.read(in)).isNotNegative();
        }
        in.flip();
        byte[] got = new byte[in.remaining()];
        in.get(got);
        assertThat(got).isEqualTo("root\n\u0003".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void inputWithoutAConnectionFails() {
        assertThat(hub.connected()).isFalse();
        assertThatThrownBy(() -> hub.input("x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessageContaining("not connected");
    }

    @Test
    void theHubWaitsForTheSocketToAppear() throws IOException {
        hub.start(); // QEMU has not created the socket yet
        Recorder v = new Recorder();
        hub.attach(v, true);
        listen();
        guest = server.accept();
        await().atMost(WAIT).until(hub::connected);
        guestPrints("hello");
        await().atMost(WAIT).until(() -> v.text().equals("hello"));
    }

    @Test
    void theScrollbackKeepsTheNewestBytes() throws IOException {
        Recorder v = new Recorder();
        hub.attach(v, false);
        connect();
        int total = SerialHub.SCROLLBACK_BYTES + 44 * 1024 + 7;
        byte[] data = new byte[total];
        for (int i = 0; i < total; i++) {
            data[i] = (byte) (i * 31 + i / 251);
        }
        guestWrites(data);
        await().atMost(WAIT).until(() -> v.bytes().length == total);
        assertThat(v.bytes()).isEqualTo(data);
        byte[] sb = hub.scrollback();
        assertThat(sb).hasSize(SerialHub.SCROLLBACK_BYTES);
        assertThat(sb).isEqualTo(Arrays.copyOfRange(data, total - SerialHub.SCROLLBACK_BYTES, total));

        // a late viewer gets exactly the ring, then what follows
        Recorder late = new Recorder();
        hub.attach(late, true);
        guestPrints("tail");
        await().atMost(WAIT).until(() -> late.bytes().length == SerialHub.SCROLLBACK_BYTES + 4);
        byte[] lateBytes = late.bytes();
        assertThat(Arrays.copyOfRange(lateBytes, 0, SerialHub.SCROLLBACK_BYTES)).isEqualTo(sb);
        assertThat(new String(lateBytes, SerialHub.SCROLLBACK_BYTES, 4, StandardCharsets.UTF_8)).isEqualTo("tail");
        assertThat(hub.scrollback()).hasSize(SerialHub.SCROLLBACK_BYTES);
        assertThat(new String(hub.scrollback(), SerialHub.SCROLLBACK_BYTES - 4, 4, StandardCharsets.UTF_8))
                .isEqualTo("tail");
    }

    @Test
    void aDetachedViewerGetsNothingMore() throws IOException {
        Recorder stays = new Recorder();
        Recorder leaves = new Recorder();
        hub.attach(stays, false);
        hub.attach(leaves, false);
        connect();
        guestPrints("one ");
        await().atMost(WAIT).until(() -> leaves.text().equals("one ") && stays.text().equals("one "));
        hub.detach(leaves);
        guestPrints("two");
        await().atMost(WAIT).until(() -> stays.text().equals("one two"));
        assertThat(leaves.text()).isEqualTo("one ");
    }

    @Test
    void viewersAreToldWhenTheGuestGoesAway() throws IOException {
        Recorder v = new Recorder();
        hub.attach(v, false);
        connect();
        guestPrints("reboot: Power down\r\n");
        await().atMost(WAIT).until(() -> v.text().equals("reboot: Power down\r\n"));
        guest.close();
        await().atMost(WAIT).until(() -> v.closed);
        await().atMost(WAIT).until(() -> !hub.connected());
        // what the guest printed last stays readable
        assertThat(scrollback()).isEqualTo("reboot: Power down\r\n");
        assertThatThrownBy(() -> hub.input(new byte[]{'x'})).isInstanceOf(IOException.class);
    }

    @Test
    void closingTheHubDisconnects() throws IOException {
        Recorder v = new Recorder();
        hub.attach(v, false);
        connect();
        hub.close();
        await().atMost(WAIT).until(() -> !hub.connected());
        await().atMost(WAIT).until(() -> v.closed);
        ByteBuffer b = ByteBuffer.allocate(1);
        assertThat(guest.read(b)).isEqualTo(-1);
    }
}
