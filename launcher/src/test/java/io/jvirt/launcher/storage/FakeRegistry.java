package io.jvirt.launcher.storage;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process registry speaking what Docker Hub and quay.io speak: the Docker token protocol (401 with a
 * {@code Bearer} challenge, tokens from {@code /token}, Basic credentials there when a user is set) and blob
 * downloads redirected to another origin (a "CDN" on a second port), which must not see the registry's token.
 */
final class FakeRegistry implements AutoCloseable {
    static final String TOKEN = "tok-" + Long.toHexString(System.nanoTime());

    private final HttpServer registry;
    private final HttpServer cdn;
    private final Map<String, TestImages.Blob> blobs = new ConcurrentHashMap<>();
    private final Map<String, TestImages.Blob> manifests = new ConcurrentHashMap<>();
    /** "METHOD path" of every request, in order (registry and CDN). */
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** Authorization headers the CDN saw (must stay empty). */
    final List<String> cdnAuthorizations = new CopyOnWriteArrayList<>();
    volatile String user;
    volatile String password;
    /** The CDN sends the headers and a few bytes of a blob, then nothing until {@link #close}. */
    volatile boolean stallBlobs;
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.ExecutorService handlers = java.util.concurrent.Executors
            .newVirtualThreadPerTaskExecutor();

    FakeRegistry() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        registry = HttpServer.create(new InetSocketAddress(lo, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(lo, 0), 0);
        registry.createContext("/token", this::token);
        registry.createContext("/v2/", this::v2);
        cdn.createContext("/blob/", this::cdnBlob);
        registry.setExecutor(handlers);
        cdn.setExecutor(handlers);
        registry.start();
        cdn.start();
    }

    /** {@code 127.0.0.1:PORT}: a loopback registry, talked to over plain HTTP. */
    String host() {
        return "127.0.0.1:" + registry.getAddress().getPort();
    }

    void blob(TestImages.Blob b) {
        blobs.put(b.digest(), b);
    }

    /** Serves {@code m} as {@code repo:tag} and as {@code repo@digest}. */
    void manifest(String repo, String tag, TestImages.Blob m) {
        if (tag != null) {
            manifests.put(repo + ":" + tag, m);
        }
        manifests.put(repo + "@" + m.digest(), m);
    }

    long count(String prefix) {
        return requests.stream().filter(r -> r.startsWith(prefix)).count();
    }

    @Override
    public void close() {
        closed.countDown();
        registry.stop(0);
        cdn.stop(0);
        handlers.shutdownNow();
    }

    private void token(HttpExchange ex) throws IOException {
        requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
        if (user != null) {
            String want = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                    .getBytes(StandardCharsets.UTF_8));
            if (!want.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                send(ex, 401, "application/json", "{\"details\":\"incorrect username or password\"}");
                return;
            }
        }
        send(ex, 200, "application/json", "{\"token\":\"" + TOKEN + "\",\"expires_in\":300}");
    }

    private void v2(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath().substring("/v2/".length());
        requests.add(ex.getRequestMethod() + " /v2/" + path);
        if (!("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            int m = path.indexOf("/manifests/") >= 0 ? path.indexOf("/manifests/") : path.indexOf("/blobs/");
            String repo = m < 0 ? "" : path.substring(0, m);
            ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\","
                    + "service=\"fake-registry\",scope=\"repository:" + repo + ":pull\"");
            send(ex, 401, "application/json", "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication "
                    + "required\"}]}");
            return;
        }
        int mi = path.indexOf("/manifests/");
        if (mi > 0) {
            String repo = path.substring(0, mi);
            String ref = path.substring(mi + "/manifests/".length());
            TestImages.Blob m = manifests.get(repo + (ref.contains(":") ? "@" : ":") + ref);
            if (m == null) {
                send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":"
                        + "\"manifest unknown\"}]}");
                return;
            }
            ex.getResponseHeaders().add("Docker-Content-Digest", m.digest());
            ex.getResponseHeaders().add("Content-Type", m.mediaType());
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().add("Content-Length", Integer.toString(m.data().length));
                ex.sendResponseHeaders(200, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(200, m.data().length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(m.data());
            }
            return;
        }
        int bi = path.indexOf("/blobs/");
        if (bi > 0 && blobs.containsKey(path.substring(bi + "/blobs/".length()))) {
            ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blob/"
                    + path.substring(bi + "/blobs/".length()) + "?signature=x");
            ex.sendResponseHeaders(307, -1);
            ex.close();
            return;
        }
        send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}");
    }

    private void cdnBlob(HttpExchange ex) throws IOException {
        requests.add(ex.getRequestMethod() + " CDN " + ex.getRequestURI().getPath());
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null) {
            cdnAuthorizations.add(auth);
        }
        TestImages.Blob b = blobs.get(ex.getRequestURI().getPath().substring("/blob/".length()));
        if (b == null) {
            send(ex, 404, "text/plain", "no such object");
            return;
        }
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, b.data().length);
        try (OutputStream out = ex.getResponseBody()) {
            if (stallBlobs) {
                out.write(b.data(), 0, 100);
                out.flush();
                try {
                    closed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            out.write(b.data());
        }
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
