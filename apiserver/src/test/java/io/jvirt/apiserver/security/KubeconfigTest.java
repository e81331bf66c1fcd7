package io.jvirt.apiserver.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class KubeconfigTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dataDir;

    @Test
    void adminKubeconfigHasExpectedFieldsAndMode() throws Exception {
        ServerCertificates certs = ServerCertificates.loadOrCreate(dataDir);
        Tokens tokens = Tokens.loadOrCreate(dataDir);
        Path file = Kubeconfig.write(dataDir, "https://127.0.0.1:6443", certs.caPem(), "jvirt-admin",
                tokens.adminToken());
        assertThat(file).isEqualTo(dataDir.resolve("kubeconfig"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        JsonNode root = YAML.readTree(file.toFile());
        assertThat(root.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(root.path("kind").asText()).isEqualTo("Config");
        assertThat(root.path("current-context").asText()).isEqualTo("jvirt");
        assertThat(root.path("clusters")).hasSize(1);
        JsonNode cluster = root.path("clusters").get(0);
        assertThat(cluster.path("name").asText()).isEqualTo("jvirt");
        assertThat(cluster.path("cluster").path("server").asText()).isEqualTo("https://127.0.0.1:6443");
        byte[] ca = Base64.getDecoder().decode(cluster.path("cluster").path("certificate-authority-data").asText());
        assertThat(ca).isEqualTo(certs.caPem());
        assertThat(root.path("users")).hasSize(1);
        JsonNode user = root.path("users").get(0);
        assertThat(user.path("name").asText()).isEqualTo("jvirt-admin");
        assertThat(user.path("user").path("token").asText()).isEqualTo(tokens.adminToken());
        assertThat(root.path("contexts")).hasSize(1);
        JsonNode ctx = root.path("contexts").get(0);
        assertThat(ctx.path("name").asText()).isEqualTo("jvirt");
        assertThat(ctx.path("context").path("cluster").asText()).isEqualTo("jvirt");
        assertThat(ctx.path("context").path("user").asText()).isEqualTo("jvirt-admin");
        assertThat(ctx.path("context").path("namespace").asText()).isEqualTo("default");
        try (var files = Files.list(dataDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void viewerKubeconfigGoesToItsOwnFile() throws Exception {
        Path file = Kubeconfig.write(dataDir, "https://localhost:6443", "pem".getBytes(), Identity.VIEWER, "tok");
        assertThat(file).isEqualTo(dataDir.resolve("kubeconfig-viewer"));
        assertThat(Kubeconfig.path(dataDir, "jvirt-viewer")).isEqualTo(file);
        assertThat(Kubeconfig.path(dataDir, "admin")).isEqualTo(dataDir.resolve("kubeconfig"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        JsonNode root = YAML.readTree(file.toFile());
        assertThat(root.path("users").get(0).path("name").asText()).isEqualTo("jvirt-viewer");
        assertThat(root.path("users").get(0).path("user").path("token").asText()).isEqualTo("tok");
    }

    @Test
    void rewriteReplacesContent() throws Exception {
        Kubeconfig.write(dataDir, "https://localhost:1", "pem".getBytes(), "jvirt-admin", "one");
        Path file = Kubeconfig.write(dataDir, "https://localhost:2", "pem".getBytes(), "jvirt-admin", "two");
        JsonNode root = YAML.readTree(file.toFile());
        assertThat(root.path("clusters").get(0).path("cluster").path("server").asText()).isEqualTo("https://localhost:2");
        assertThat(root.path("users").get(0).path("user").path("token").asText()).isEqualTo("two");
        assertThat(Kubeconfig.read(file)).containsEntry("kind", "Config");
    }

    @Test
    void renderRoundTripsAnyGeneratedToken() throws Exception {
        // tokens may start with '-' or '_' or look numeric-ish; every one must survive YAML as the same string
        for (int i = 0; i < 2000; i++) {
            String token = Tokens.newToken();
            JsonNode root = YAML.readTree(Kubeconfig.render("https://h:1", "x".getBytes(), "jvirt-admin", token));
            assertThat(root.path("users").get(0).path("user").path("token").isTextual()).isTrue();
            assertThat(root.path("users").get(0).path("user").path("token").asText()).isEqualTo(token);
        }
        for (String token : new String[] {"-abc", "1234", "true", "null", "1e10", "a: b", "#x", "0x12",
                ".inf", "+1", "12:30", "yes", "~", "", "'q'", "\"dq\"", "x #y"}) {
            JsonNode root = YAML.readTree(Kubeconfig.render("https://h:1", "x".getBytes(), "jvirt-admin", token));
            assertThat(root.path("users").get(0).path("user").path("token").isTextual()).as(token).isTrue();
            assertThat(root.path("users").get(0).path("user").path("token").asText()).isEqualTo(token);
        }
    }

    @Test
    void renderedYamlIsPlainWhereSafe() {
        String yaml = Kubeconfig.render("https://127.0.0.1:6443", "x".getBytes(), "jvirt-admin", "abc");
        assertThat(yaml).contains("apiVersion: v1\n", "kind: Config\n", "current-context: jvirt\n",
                "server: https://127.0.0.1:6443\n", "token: abc\n").doesNotStartWith("---");
    }
}
