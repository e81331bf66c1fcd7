package io.jvirt.bench;

import io.jvirt.cli.ApiClient;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A viewer of a VMI's console (websocket subresource, scrollback replayed) that notes when the login prompt
 * arrives.
 */
final class ConsoleLogin implements WebSocket.Listener {
    final NeedleMatcher matcher = NeedleMatcher.login();
    final CompletableFuture<Void> found = new CompletableFuture<>();
    volatile long connectedAt;
    volatile long foundAt;

    /**
     * Opens the VMI's console through the API server (retrying until it is served) and waits for the prompt.
     *
     * @param deadline {@link System#nanoTime()} to give up at
     */
    static ConsoleLogin await(ApiClient console, String name, long deadline) throws Exception {
        ConsoleLogin l = new ConsoleLogin();
        String path = console.subresourcePath("virtualmachineinstances", name, "console");
        WebSocket ws = null;
        String lastError = null;
        while (ws == null) {
            try {
                ws = console.websocket(path, l);
                l.connectedAt = System.nanoTime();
            } catch (RuntimeException e) {
                lastError = e.getMessage();
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("console of " + name + " not available: " + lastError);
                }
                Thread.sleep(20);
            }
        }
        try {
            l.found.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return l;
        } catch (TimeoutException e) {
            throw new TimeoutException("no login prompt on the console of " + name + "; last output: "
                    + l.matcher.tail());
        } finally {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bench done").get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // closing anyway
            }
            ws.abort();
        }
    }

    /** The last bytes of a guest's console (scrollback), for error messages. */
    static String tail(ApiClient console, String name) {
        ConsoleLogin l = new ConsoleLogin();
        try {
            WebSocket ws = console.websocket(console.subresourcePath("virtualmachineinstances", name, "console"), l);
            Thread.sleep(1000);
            ws.abort();
            return l.matcher.tail();
        } catch (Exception e) {
            return "(" + e.getMessage() + ")";
        }
    }

    @Override
    public void onOpen(WebSocket ws) {
        ws.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        feed(b);
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        feed(data.toString().getBytes(StandardCharsets.UTF_8));
        ws.request(1);
        return null;
    }

    private void feed(byte[] b) {
        long now = System.nanoTime();
        if (!found.isDone() && matcher.feed(b, b.length)) {
            foundAt = now;
            found.complete(null);
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        found.completeExceptionally(new IllegalStateException("console closed: " + code + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        found.completeExceptionally(error);
    }
}
