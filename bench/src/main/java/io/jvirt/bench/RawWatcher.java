package io.jvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/** A watch stream read line by line with java.net.http; the receipt time is taken before parsing. */
final class RawWatcher implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Thread thread;
    private volatile Stream<String> stream;

    private RawWatcher(Thread thread) {
        this.thread = thread;
    }

    static RawWatcher start(HttpClient c, String url, String token, WatchMeasure m, int receiver) {
        AtomicReference<RawWatcher> self = new AtomicReference<>();
        CountDownLatch open = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().daemon().name("raw-watch-" + receiver).unstarted(() -> {
            try {
                HttpResponse<Stream<String>> r = c.send(RawHttp.request(url, token, HttpClient.Version.HTTP_1_1).GET()
                        .build(), HttpResponse.BodyHandlers.ofLines());
                self.get().stream = r.body();
                open.countDown();
                r.body().forEach(line -> {
                    long now = System.nanoTime();
                    try {
                        JsonNode ev = JSON.readTree(line);
                        if ("MODIFIED".equals(ev.path("type").asText())) {
                            m.received(receiver, ev.path("object").path("metadata").path("resourceVersion").asText(),
                                    now);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                // stream closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                open.countDown();
            }
        });
        RawWatcher w = new RawWatcher(t);
        self.set(w);
        t.start();
        try {
            open.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return w;
    }

    @Override
    public void close() {
        Stream<String> s = stream;
        if (s != null) {
            Thread closer = new Thread(s::close);
            closer.setDaemon(true);
            closer.start();
        }
        thread.interrupt();
    }
}
