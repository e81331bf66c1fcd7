package io.jvirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code jvirt up} and {@code jvirt kubeconfig} as a user runs them, and a clean stop on SIGTERM. */
class JvirtUpIT {
    @TempDir
    Path tmp;
    private UpProcess up;

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (up != null) {
            up.stop();
        }
        UpProcess.stopLibvirt(tmp.resolve("d"));
    }

    /** Runs a short jvirt command to completion; returns its output. */
    private String run(String name, String... args) throws Exception {
        Path out = tmp.resolve(name + ".out");
        Process p = UpProcess.jvirt(out, args);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("jvirt %s finished", name).isTrue();
        String text = Files.readString(out);
        assertThat(p.exitValue()).as("exit code of jvirt %s; output:\n%s", name, text).isZero();
        return text;
    }

    @Test
    void upServesKubeconfigsWorkAndSigtermStopsCleanly() throws Exception {
        Path dir = tmp.resolve("d");
        up = UpProcess.start(dir, UpProcess.freePort(), tmp.resolve("up.log"));
        UpProcess.Api admin = up.awaitReady();
        await().atMost(Duration.ofSeconds(30)).until(() -> up.log().contains("kubeconfig: "));
        assertThat(up.log()).contains("kubeconfig: " + dir.resolve("kubeconfig"));
        assertThat(Files.exists(dir.resolve("apiserver.lock"))).isTrue();

        // `jvirt kubeconfig` prints the admin kubeconfig, whose server answers with its token
        String kubeconfig = run("kubeconfig", "kubeconfig", "--data-dir", dir.toString());
        Path printed = tmp.resolve("printed-kubeconfig");
        Files.writeString(printed, kubeconfig);
        UpProcess.Api fromPrinted = UpProcess.Api.fromKubeconfig(printed);
        assertThat(fromPrinted.server()).isEqualTo(admin.server());
        JsonNode version = fromPrinted.getJson("/version");
        assertThat(version.path("gitVersion").asText()).startsWith("v1.");
        assertThat(fromPrinted.getJson("/api/v1/namespaces/default").path("metadata").path("name").asText())
                .isEqualTo("default");
        HttpResponse<String> created = fromPrinted.send("POST", "/api/v1/namespaces/default/configmaps",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"by-admin\"}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        // `--user viewer`: reads work, writes are forbidden
        Path viewerFile = tmp.resolve("viewer-kubeconfig");
        Files.writeString(viewerFile, run("kubeconfig-viewer", "kubeconfig", "--data-dir", dir.toString(),
                "--user", "viewer"));
        UpProcess.Api viewer = UpProcess.Api.fromKubeconfig(viewerFile);
        assertThat(viewer.token()).isNotEqualTo(fromPrinted.token());
        assertThat(viewer.getJson("/api/v1/namespaces/default/configmaps/by-admin").path("metadata").path("name")
                .asText()).isEqualTo("by-admin");
        HttpResponse<String> denied = viewer.send("POST", "/api/v1/namespaces/default/configmaps",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"by-viewer\"}}");
        assertThat(denied.statusCode()).isEqualTo(403);

        // SIGTERM: shutdown hooks run, the server stops cleanly and releases its lock
        up.process.destroy();
        assertThat(up.process.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM; log:\n%s", up.log()).isTrue();
        // the JVM exits with 128+15 when SIGTERM ends it (0 if main returned first): both are a normal stop
        System.out.println("jvirt up exit code after SIGTERM: " + up.process.exitValue());
        assertThat(up.process.exitValue()).as("exit code; log:\n%s", up.log()).isIn(0, 143);
        assertThat(up.log()).contains("API server stopped");
        assertThat(Files.exists(dir.resolve("apiserver.lock"))).as("lock file removed").isFalse();
        try {
            admin.readyz();
            throw new AssertionError("the server still answers after SIGTERM");
        } catch (IOException expected) {
            // connection refused
        }
    }

    @Test
    void kubeconfigBeforeAnyStartExplains() throws Exception {
        Path out = tmp.resolve("missing.out");
        Process p = UpProcess.jvirt(out, "kubeconfig", "--data-dir", tmp.resolve("never-started").toString());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(Files.readString(out)).contains("does not exist yet").contains("jvirt up");
    }
}
