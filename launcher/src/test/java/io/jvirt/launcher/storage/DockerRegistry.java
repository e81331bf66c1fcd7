package io.jvirt.launcher.storage;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * The real Docker registry (Debian's {@code docker-registry}, distribution 2.8) on a free loopback port with its
 * storage in a directory, plus pushing through its HTTP API (monolithic blob uploads, manifest PUTs), as
 * {@code docker push} does.
 */
public final class DockerRegistry implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    /** apache2-utils' htpasswd: the only bcrypt htpasswd writer here (the registry accepts bcrypt entries only). */
    public static final Path HTPASSWD = Path.of("/usr/bin/htpasswd");

    private final Process process;
    private final Path storage;
    private final int port;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /** Whether {@link #htpasswd} can work. */
    public static boolean htpasswdAvailable() {
        return Files.isExecutable(HTPASSWD);
    }

    /** Writes {@code file} with one bcrypt entry for {@code user} (htpasswd -B). */
    public static Path htpasswd(Path file, String user, String password) throws Exception {
        Process p = new ProcessBuilder(HTPASSWD.toString(), "-Bbn", user, password).redirectOutput(file.toFile())
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("htpasswd -B failed for " + file);
        }
        return file;
    }

    /**
     * Starts a registry in {@code dir}.
     *
     * @param htpasswd an htpasswd file (bcrypt entries) to require Basic authentication, or null for none
     * @param user     user:password the pushes authenticate with (when {@code htpasswd} is set)
     */
    public DockerRegistry(Path dir, Path htpasswd, String user) throws Exception {
        this.storage = dir.resolve("storage");
        Files.createDirectories(storage);
        this.port = freePort();
        String auth = htpasswd == null ? "" : """
                auth:
                  htpasswd:
                    realm: jvirt-test
                    path: %s
                """.formatted(htpasswd);
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                  secret: jvirt-test-not-secret
                %s""".formatted(storage, port, auth));
        this.authorization = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8));
        this.process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        try {
            await("docker-registry on port " + port).atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("docker-registry exited: "
                                    + Files.readString(dir.resolve("registry.log")));
                        }
                        try {
                            int code = http.send(HttpRequest.newBuilder(uri("/v2/")).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode();
                            return code == 200 || code == 401;
                        } catch (IOException e) {
                            return false;
                        }
                    });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    Path storage() {
        return storage;
    }

    /** Where the registry keeps a blob's bytes (filesystem driver layout). */
    Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
                .resolve("data");
    }

    /** Uploads a blob in one PUT (POST to start the upload, PUT with the digest to finish it). */
    public void pushBlob(String repo, TestImages.Blob blob) throws Exception {
        HttpResponse<String> start = send(HttpRequest.newBuilder(uri("/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        check(start, 202, "start upload");
        String location = start.headers().firstValue("Location").orElseThrow();
        URI put = uri("/").resolve(location);
        put = URI.create(put + (put.getRawQuery() == null ? "?" : "&") + "digest=" + blob.digest());
        check(send(HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob.data()))), 201, "upload " + blob.digest());
    }

    /** PUTs a manifest (or index) under {@code reference} (a tag or its digest). */
    public void pushManifest(String repo, String reference, TestImages.Blob manifest) throws Exception {
        check(send(HttpRequest.newBuilder(uri("/v2/" + repo + "/manifests/" + reference))
                .header("Content-Type", manifest.mediaType())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.data()))), 201, "manifest " + reference);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private URI uri(String path) {
        return URI.create("http://" + host() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void check(HttpResponse<String> r, int want, String what) {
        if (r.statusCode() != want) {
            throw new IllegalStateException(what + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
