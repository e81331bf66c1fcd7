package io.jvirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.jvirt.apiserver.security.ServerCertificates;
import io.jvirt.launcher.libvirt.LibvirtDaemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** {@code jvirt up} as a child JVM (the test's own classpath), its log, and an HTTPS client from its kubeconfig. */
final class UpProcess {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    final Path dataDir;
    final int port;
    final Path log;
    final Process process;

    private UpProcess(Path dataDir, int port, Path log, Process process) {
        this.dataDir = dataDir;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString());
    }

    /** Runs {@code io.jvirt.cli.Main} with {@code args}, stdout and stderr appended to {@code log}. */
    static Process jvirt(Path log, String... args) {
        List<String> cmd = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"),
                "io.jvirt.cli.Main"));
        cmd.addAll(List.of(args));
        try {
            return new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code jvirt up --data-dir dataDir --port port}; does not wait. */
    static UpProcess start(Path dataDir, int port, Path log) {
        return new UpProcess(dataDir, port, log, jvirt(log, "up", "--data-dir", dataDir.toString(),
                "--port", Integer.toString(port)));
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Waits until the kubeconfig exists and this process's /readyz answers 200; fails early if it died. */
    Api awaitReady() {
        await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("jvirt up exited with " + process.exitValue() + "; log:\n" + log());
            }
            if (!Files.exists(dataDir.resolve("kubeconfig"))) {
                return false;
            }
            try {
                return Api.fromKubeconfig(dataDir.resolve("kubeconfig")).readyz() == 200;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        });
        try {
            return Api.fromKubeconfig(dataDir.resolve("kubeconfig"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops it: SIGTERM, and SIGKILL if it has not exited in a minute. Returns the exit code. */
    int stop() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        return process.waitFor();
    }

    /** Stops the libvirt daemons (and guests) {@code jvirt up} started for a data dir; they outlive the JVM. */
    static void stopLibvirt(Path dataDir) {
        if (Files.isDirectory(dataDir.resolve("libvirt"))) {
            new LibvirtDaemon(dataDir).stop(Duration.ofSeconds(10), true);
        }
    }

    /** A raw HTTPS client of one kubeconfig (server, CA, bearer token). */
    record Api(String server, String token, HttpClient http) {
        static Api fromKubeconfig(Path file) throws IOException {
            JsonNode kc = new YAMLMapper().readTree(Files.readString(file));
            JsonNode cluster = kc.path("clusters").get(0).path("cluster");
            byte[] ca = Base64.getDecoder().decode(cluster.path("certificate-authority-data").asText());
            String token = kc.path("users").get(0).path("user").path("token").asText();
            try {
                HttpClient http = HttpClient.newBuilder()
                        .sslContext(ServerCertificates.clientSslContext(ca))
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
                return new Api(cluster.path("server").asText(), token, http);
            } catch (Exception e) {
                throw new IOException("cannot build a TLS client from " + file, e);
            }
        }

        int readyz() throws IOException {
            return send("GET", "/readyz", null).statusCode();
        }

        HttpResponse<String> send(String method, String path, String json) throws IOException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token);
            if (json != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
            try {
                return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        JsonNode getJson(String path) throws IOException {
            HttpResponse<String> r = send("GET", path, null);
            if (r.statusCode() != 200) {
                throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return JSON.readTree(r.body());
        }
    }
}
