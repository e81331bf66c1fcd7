package io.jvirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.jvirt.apiserver.security.ServerCertificates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

/**
 * A minimal Kubernetes API client for the CLI verbs, configured like kubectl: {@code --kubeconfig}, else
 * {@code KUBECONFIG}, else {@code ~/.kube/config}, else jvirt's own {@code ~/.jvirt/kubeconfig}; the current
 * context's server, CA and bearer token, and its namespace unless {@code -n} says otherwise.
 */
public final class ApiClient {
    private final String server;
    private final String token;
    private final String namespace;
    private final HttpClient http;
    private final javax.net.ssl.SSLContext ssl;

    private ApiClient(String server, String token, String namespace, javax.net.ssl.SSLContext ssl) {
        this.server = server.replaceAll("/+$", "");
        this.token = token;
        this.namespace = namespace;
        this.ssl = ssl;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.http = b.build();
    }

    public static Path kubeconfigPath(String flag) {
        if (flag != null) {
            return Path.of(flag);
        }
        String env = System.getenv("KUBECONFIG");
        if (env != null && !env.isBlank()) {
            return Path.of(env.split(":")[0]);
        }
        Path kube = Path.of(System.getProperty("user.home"), ".kube", "config");
        if (Files.exists(kube)) {
            return kube;
        }
        return Path.of(System.getProperty("user.home"), ".jvirt", "kubeconfig");
    }

    public static ApiClient fromKubeconfig(Path file, String namespaceFlag) {
        JsonNode cfg;
        try {
            cfg = new YAMLMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new Main.UsageException("cannot read kubeconfig " + file + ": " + e.getMessage()
                    + " (set KUBECONFIG or pass --kubeconfig; `jvirt up` writes ~/.jvirt/kubeconfig)");
        }
        String ctxName = cfg.path("current-context").asText("");
        JsonNode ctx = named(cfg.path("contexts"), ctxName).path("context");
        JsonNode cluster = named(cfg.path("clusters"), ctx.path("cluster").asText()).path("cluster");
        JsonNode user = named(cfg.path("users"), ctx.path("user").asText()).path("user");
        String server = cluster.path("server").asText("");
        if (server.isEmpty()) {
            throw new Main.UsageException("kubeconfig " + file + " has no server for context \"" + ctxName + "\"");
        }
        javax.net.ssl.SSLContext ssl = null;
        try {
            if (cluster.hasNonNull("certificate-authority-data")) {
                ssl = ServerCertificates.clientSslContext(Base64.getDecoder().decode(
                        cluster.get("certificate-authority-data").asText()));
            } else if (cluster.hasNonNull("certificate-authority")) {
                ssl = ServerCertificates.clientSslContext(Files.readAllBytes(
                        Path.of(cluster.get("certificate-authority").asText())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String ns = namespaceFlag != null ? namespaceFlag : ctx.path("namespace").asText("default");
        return new ApiClient(server, user.path("token").asText(null), ns, ssl);
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    public String namespace() {
        return namespace;
    }

    public String server() {
        return server;
    }

    /** {@code /apis/subresources.kubevirt.io/v1/namespaces/<ns>/<resource>/<name>/<verb>} */
    public String subresourcePath(String resource, String name, String verb) {
        return "/apis/subresources.kubevirt.io/v1/namespaces/" + namespace + "/" + resource + "/" + name + "/" + verb;
    }

    public HttpResponse<String> send(String method, String path, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (jsonBody != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + server + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Opens a websocket (subprotocol plain.kubevirt.io) to a path on the server. */
    public WebSocket websocket(String path, WebSocket.Listener listener) {
        HttpClient h = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).sslContext(ssl != null ? ssl : defaultContext()).build();
        WebSocket.Builder b = h.newWebSocketBuilder().subprotocols("plain.kubevirt.io");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            return b.buildAsync(URI.create(server.replaceFirst("^http", "ws") + path), listener).join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            if (c instanceof java.net.http.WebSocketHandshakeException hs) {
                throw new IllegalStateException("the server refused the connection (HTTP "
                        + hs.getResponse().statusCode() + "): " + hs.getResponse().body(), c);
            }
            throw new IllegalStateException(c.getMessage(), c);
        }
    }

    private static javax.net.ssl.SSLContext defaultContext() {
        try {
            return javax.net.ssl.SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
