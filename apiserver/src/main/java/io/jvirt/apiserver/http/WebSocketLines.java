package io.jvirt.apiserver.http;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A streamed response over a websocket, as kube-apiserver serves watches to clients that ask for one (fabric8,
 * kubectl's websocket watchers): every line written becomes one text message (the line without its newline;
 * whitespace between lines is dropped), and closing the stream closes the websocket normally.
 */
public final class WebSocketLines extends OutputStream implements Session.Listener.AutoDemanding {
    /** The stream ends by its own timeout; the websocket must not be cut earlier for being quiet. */
    private static final Duration IDLE_TIMEOUT = Duration.ofHours(2);
    private static final long OPEN_TIMEOUT_S = 30;

    private final CountDownLatch opened = new CountDownLatch(1);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private volatile Session session;
    private volatile boolean closed;

    private WebSocketLines() {
    }

    /** Whether the request asks to be upgraded to a websocket. */
    static boolean isUpgradeRequest(Request request) {
        String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket")
                && request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_KEY) != null;
    }

    /**
     * Upgrades the request (completing {@code callback} with the handshake response) and returns the stream; null
     * when the request could not be upgraded (the callback is then untouched). Jetty opens the websocket only once
     * the handler thread has returned: wait with {@link #awaitOpen()} on another thread.
     */
    static WebSocketLines upgrade(Request request, Response response, Callback callback) {
        ServerWebSocketContainer container = ServerWebSocketContainer.get(request.getContext());
        if (container == null) {
            container = ServerWebSocketContainer.ensure(request.getConnectionMetaData().getConnector().getServer());
        }
        WebSocketLines ws = new WebSocketLines();
        if (!container.upgrade((rq, rs, cb) -> ws, request, response, callback)) {
            return null;
        }
        return ws;
    }

    /** Waits until the websocket is open; fails when it closed first or did not open in time. */
    void awaitOpen() throws IOException {
        try {
            if (!opened.await(OPEN_TIMEOUT_S, TimeUnit.SECONDS) || session == null || closed) {
                throw new IOException("websocket did not open");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening the websocket", e);
        }
    }

    @Override
    public void onWebSocketOpen(Session s) {
        s.setIdleTimeout(IDLE_TIMEOUT);
        session = s;
        opened.countDown();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        closed = true;
        opened.countDown();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        closed = true;
        opened.countDown();
    }

    @Override
    public void onWebSocketText(String message) {
        // the client has nothing to say on a watch
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
        callback.succeed();
    }

    @Override
    public void write(int b) throws IOException {
        if (b == '\n') {
            sendLine();
        } else if (line.size() > 0 || !Character.isWhitespace(b)) {
            line.write(b);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    /** Lines are sent as they complete; a flush only reports a websocket the client has closed. */
    @Override
    public void flush() throws IOException {
        if (closed) {
            throw new IOException("websocket closed by the client");
        }
    }

    private void sendLine() throws IOException {
        if (line.size() == 0) {
            return;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        Session s = session;
        if (closed || s == null || !s.isOpen()) {
            throw new IOException("websocket closed by the client");
        }
        org.eclipse.jetty.websocket.api.Callback.Completable sent = new org.eclipse.jetty.websocket.api.Callback.Completable();
        s.sendText(text, sent);
        try {
            sent.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending", e);
        } catch (ExecutionException e) {
            throw new IOException("websocket send failed", e.getCause());
        }
    }

    @Override
    public void close() {
        Session s = session;
        if (s != null && s.isOpen() && !closed) {
            closed = true;
            s.close(StatusCode.NORMAL, "watch ended", org.eclipse.jetty.websocket.api.Callback.NOOP);
        }
    }
}
