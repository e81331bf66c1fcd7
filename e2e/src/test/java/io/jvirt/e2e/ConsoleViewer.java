package io.jvirt.e2e;

import io.jvirt.cli.ApiClient;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A serial console viewer over the API server's websocket ({@code subresources.kubevirt.io/v1 .../console}, as
 * {@code jvirt console} and virtctl connect): collects everything it receives, types text into the guest.
 */
final class ConsoleViewer implements AutoCloseable {
    /** Printed on the console at every boot, right before the root shell starts. */
    static final String LOGIN_LINE = "jvirt-guest login:";
    /** The guest's shell prompt ends with this (root@host:~# ). */
    static final String PROMPT = ":~# ";

    private final String name;
    private final StringBuffer received = new StringBuffer();
    private final AtomicReference<String> closedBecause = new AtomicReference<>();
    private final WebSocket ws;

    private ConsoleViewer(String name, ApiClient api) {
        this.name = name;
        this.ws = api.websocket(api.subresourcePath("virtualmachineinstances", name, "console"), new Listener());
    }

    /** Connects to the console of VMI {@code name}; retries while the VMI is not Running yet (HTTP 409). */
    static ConsoleViewer attach(ApiClient api, String name, Duration atMost) {
        AtomicReference<ConsoleViewer> v = new AtomicReference<>();
        await("console of " + name + " accepts a viewer").atMost(atMost).pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions().until(() -> {
                    v.set(new ConsoleViewer(name, api));
                    return true;
                });
        return v.get();
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            received.append(new String(b, StandardCharsets.ISO_8859_1));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            received.append(data);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closedBecause.set(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closedBecause.set("error: " + error);
        }
    }

    /** Everything received so far (bytes as ISO-8859-1, so nothing is lost to decoding). */
    String output() {
        return received.toString();
    }

    int count(String text) {
        Matcher m = Pattern.compile(Pattern.quote(text)).matcher(output());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    boolean closed() {
        return closedBecause.get() != null;
    }

    /** Types {@code text} into the guest (as a terminal does: a single binary message). */
    void type(String text) {
        if (closed()) {
            throw new AssertionError("console of " + name + " is closed: " + closedBecause.get());
        }
        ws.sendBinary(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), true).orTimeout(30, TimeUnit.SECONDS)
                .join();
    }

    /** Waits until the output contains {@code text}. */
    void awaitOutput(String text, Duration atMost) {
        await("console of " + name + " shows \"" + text + "\"").atMost(atMost).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(output()).as("console of %s (closed: %s)", name,
                        closedBecause.get()).contains(text));
    }

    /** Waits until {@code text} appeared at least {@code times} times. */
    void awaitCount(String text, int times, Duration atMost) {
        await("console of " + name + " shows \"" + text + "\" " + times + " times").atMost(atMost)
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(count(text)).as("\"%s\" in the console of %s:\n%s", text, name,
                        tail()).isGreaterThanOrEqualTo(times));
    }

    /** Waits for the guest's shell (login line, then a prompt after it). */
    void awaitShell(Duration atMost) {
        await("shell prompt on the console of " + name).atMost(atMost).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    String out = output();
                    int login = out.lastIndexOf(LOGIN_LINE);
                    assertThat(login).as("login line on the console of %s:\n%s", name, tail()).isGreaterThanOrEqualTo(0);
                    assertThat(out.substring(login)).as("prompt after the login line").contains(PROMPT);
                });
    }

    /**
     * Runs {@code echo} of an arithmetic expression in the guest's shell and waits for the computed output; the
     * terminal's echo of what was typed never contains it, so seeing it proves the guest executed the command.
     *
     * @return the text the guest printed
     */
    String echoComputed(String tag, int a, int b, Duration atMost) {
        String expected = tag + "-" + (a * b) + "-ok";
        type("echo " + tag + "-$((" + a + "*" + b + "))-ok\r");
        awaitOutput(expected, atMost);
        return expected;
    }

    String tail() {
        String out = output();
        return out.length() > 3000 ? "..." + out.substring(out.length() - 3000) : out;
    }

    @Override
    public void close() {
        if (!closed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(10, TimeUnit.SECONDS).join();
            } catch (RuntimeException e) {
                // already gone
            }
        }
        ws.abort();
    }
}
