package io.jvirt.apiserver.it;

import io.jvirt.apiserver.ApiServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real embedded API server on a free port in a data directory, for integration tests; restartable on the same
 * port and directory. Plus a raw HTTPS client that trusts only the server's CA.
 */
public final class TestServer implements AutoCloseable {
    private final Path dataDir;
    private final int port;
    private ApiServer server;
    private HttpClient http;

    private TestServer(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port;
    }

    public static TestServer start(Path dataDir) {
        TestServer t = new TestServer(dataDir, freePort());
        t.restart();
        return t;
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts (again) on the same port and data directory. */
    public void restart() {
        stop();
        try {
            server = ApiServer.start(new ApiServer.Config(dataDir, "127.0.0.1", port));
            http = HttpClient.newBuilder()
                    .sslContext(io.jvirt.apiserver.security.ServerCertificates.clientSslContext(server.caPem()))
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
        } catch (Exception e) {
            throw new IllegalStateException("test server failed to start", e);
        }
    }

    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public ApiServer server() {
        return server;
    }

    public String url() {
        return server.url();
    }

    public Path kubeconfig() {
        return server.kubeconfig();
    }

    public Path viewerKubeconfig() {
        return dataDir.resolve("kubeconfig-viewer");
    }

    public Path dataDir() {
        return dataDir;
    }

    public int port() {
        return port;
    }

    /** A raw request with the admin token (or no token when {@code token} is null). */
    public HttpResponse<String> send(String method, String path, String contentType, byte[] body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> send(String method, String path, String contentType, String body) {
        return send(method, path, contentType, body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                server.adminToken());
    }

    public HttpResponse<String> get(String path) {
        return send("GET", path, null, null);
    }

    @Override
    public void close() {
        stop();
    }
}
