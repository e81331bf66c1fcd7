package io.jvirt.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;

/**
 * virtctl's verbs over the {@code subresources.kubevirt.io} API: start, stop, restart, pause, unpause,
 * soft-reboot, guestosinfo, userlist, fslist, console, vnc. Messages follow virtctl's ("VM x was scheduled to start").
 */
final class VirtctlVerbs {
    /** Ctrl+] ends a console session, as in virtctl and telnet. */
    static final int ESCAPE = 0x1d;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GoIndent INDENT = new GoIndent();

    private final ApiClient api;
    private final PrintStream out;
    private final PrintStream err;

    VirtctlVerbs(ApiClient api, PrintStream out, PrintStream err) {
        this.api = api;
        this.out = out;
        this.err = err;
    }

    int vmAction(String verb, String name, String body, String pastTense) {
        HttpResponse<String> r = api.send("PUT", api.subresourcePath("virtualmachines", name, verb), body);
        if (r.statusCode() >= 300) {
            return fail(verb, r);
        }
        out.println("VM " + name + " was scheduled to " + pastTense);
        return 0;
    }

    int vmiAction(String verb, String name, String pastTense) {
        HttpResponse<String> r = api.send("PUT", api.subresourcePath("virtualmachineinstances", name, verb), null);
        if (r.statusCode() >= 300) {
            return fail(verb, r);
        }
        out.println("VMI " + name + " was scheduled to " + pastTense);
        return 0;
    }

    /**
     * {@code guestosinfo}, {@code userlist}, {@code fslist}: the guest agent's answer from the VMI's subresource
     * ({@code guestosinfo}, {@code userlist}, {@code filesystemlist}), printed as indented JSON like virtctl does.
     */
    int guestAgent(String verb, String subresource, String name) {
        HttpResponse<String> r = api.send("GET", api.subresourcePath("virtualmachineinstances", name, subresource),
                null);
        if (r.statusCode() >= 300) {
            return fail(verb, r);
        }
        try {
            out.println(JSON.writer(INDENT).writeValueAsString(JSON.readTree(r.body())));
        } catch (IOException e) {
            out.println(r.body());
        }
        return 0;
    }

    private int fail(String verb, HttpResponse<String> r) {
        String msg = r.body();
        try {
            JsonNode status = JSON.readTree(r.body());
            if (status.has("message")) {
                msg = status.get("message").asText();
            }
        } catch (IOException | RuntimeException e) {
            // not a Status: print the body as it came
        }
        err.println("Error " + verb + ": " + msg);
        return 1;
    }

    /**
     * An interactive serial console: the terminal is put in raw mode (when it is one), keystrokes go to the guest,
     * guest output comes back; Ctrl+] leaves.
     */
    int console(String name, InputStream in, OutputStream terminal) {
        CountDownLatch closed = new CountDownLatch(1);
        WebSocket ws;
        try {
            ws = api.websocket(api.subresourcePath("virtualmachineinstances", name, "console"), new Sink(terminal,
                    closed));
        } catch (RuntimeException e) {
            err.println("Can't connect to websocket: " + e.getMessage());
            return 1;
        }
        err.print("Successfully connected to " + name + " console. The escape sequence is ^]\r\n");
        boolean raw = Terminal.makeRaw();
        try {
            Thread pump = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[1024];
                try {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        int end = n;
                        for (int i = 0; i < n; i++) {
                            if (buf[i] == ESCAPE) {
                                end = i;
                                break;
                            }
                        }
                        if (end > 0) {
                            ws.sendBinary(ByteBuffer.wrap(buf, 0, end).slice(), true).join();
                        }
                        if (end < n) {
                            break;
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // stdin closed or the socket went away
                }
                closed.countDown();
            });
            closed.await();
            pump.interrupt();
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (raw) {
                Terminal.restore();
            }
        }
        err.print("\r\n");
        return 0;
    }

    /** {@code vnc --proxy-only}: a local TCP port any VNC viewer can use, bridged to the guest's VNC server. */
    int vncProxy(String name, int port) throws IOException {
        try (ServerSocket ss = new ServerSocket(port, 8, InetAddress.getLoopbackAddress())) {
            out.println(JSON.createObjectNode().put("port", ss.getLocalPort()));
            out.flush();
            while (true) {
                Socket s = ss.accept();
                Thread.ofVirtual().start(() -> bridge(name, s));
            }
        }
    }

    private void bridge(String name, Socket s) {
        CountDownLatch closed = new CountDownLatch(1);
        try (s) {
            OutputStream toViewer = s.getOutputStream();
            WebSocket ws = api.websocket(api.subresourcePath("virtualmachineinstances", name, "vnc"),
                    new Sink(toViewer, closed));
            InputStream fromViewer = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = fromViewer.read(buf)) > 0) {
                ws.sendBinary(ByteBuffer.wrap(buf, 0, n).slice(), true).join();
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "viewer closed");
        } catch (IOException | RuntimeException e) {
            err.println("vnc connection ended: " + e.getMessage());
        }
    }

    /** Writes every binary message to a stream; counts the latch down when the socket closes. */
    private static final class Sink implements WebSocket.Listener {
        private final OutputStream target;
        private final CountDownLatch closed;

        Sink(OutputStream target, CountDownLatch closed) {
            this.target = target;
            this.closed = closed;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            try {
                target.write(b);
                target.flush();
            } catch (IOException e) {
                closed.countDown();
            }
            ws.request(1);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            return onBinary(ws, ByteBuffer.wrap(data.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    last);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.countDown();
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.countDown();
        }
    }

    /**
     * The layout of Go's {@code json.MarshalIndent(v, "", "  ")}, which virtctl prints: two spaces per level,
     * {@code "key": value}, array items on their own lines, empty objects and arrays as {@code {}} and {@code []}.
     */
    static final class GoIndent extends DefaultPrettyPrinter {
        GoIndent() {
            super(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
            _arrayIndenter = DefaultIndenter.SYSTEM_LINEFEED_INSTANCE;
        }

        private GoIndent(GoIndent base) {
            super(base);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new GoIndent(this);
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            if (entries > 0) {
                super.writeEndObject(g, entries);
                return;
            }
            if (!_objectIndenter.isInline()) {
                --_nesting;
            }
            g.writeRaw('}');
        }

        @Override
        public void writeEndArray(JsonGenerator g, int values) throws IOException {
            if (values > 0) {
                super.writeEndArray(g, values);
                return;
            }
            if (!_arrayIndenter.isInline()) {
                --_nesting;
            }
            g.writeRaw(']');
        }
    }

    /** Raw terminal mode through stty, as a Java process cannot set termios itself. */
    static final class Terminal {
        private static String saved;

        private Terminal() {
        }

        static boolean makeRaw() {
            if (System.console() == null) {
                return false;
            }
            saved = stty(List.of("-g"));
            if (saved == null) {
                return false;
            }
            return stty(List.of("raw", "-echo")) != null;
        }

        static void restore() {
            if (saved != null) {
                stty(List.of(saved.trim()));
            }
        }

        private static String stty(List<String> args) {
            try {
                List<String> cmd = new java.util.ArrayList<>(List.of("stty"));
                cmd.addAll(args);
                Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File(
                        "/dev/tty"))).redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes());
                return p.waitFor() == 0 ? output : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
