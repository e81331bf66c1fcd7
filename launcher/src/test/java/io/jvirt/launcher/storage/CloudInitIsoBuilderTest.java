package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloudInitIsoBuilderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Function<String, Map<String, String>> NO_SECRETS = name -> null;

    @TempDir
    Path tmp;

    private final CloudInitIsoBuilder builder = new CloudInitIsoBuilder();

    @BeforeAll
    static void tools() {
        Assumptions.assumeTrue(IsoReader.available(), "xorriso/xorrisofs not installed");
    }

    static JsonNode vmi(String volumesJson) throws Exception {
        return JSON.readTree("""
                {"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance",
                 "metadata":{"name":"web.1","namespace":"prod","uid":"0f2c6a1e-1111-2222-3333-444455556666"},
                 "spec":{"domain":{"devices":{}},"volumes":%s}}
                """.formatted(volumesJson));
    }

    @Test
    void noCloudWithInlineUserAndNetworkData() throws Exception {
        JsonNode vmi = vmi("""
                [{"name":"ci","cloudInitNoCloud":{"userData":"#cloud-config\\npassword: x\\n",
                  "networkData":"version: 2\\n"}}]""");
        Path iso = builder.build(vmi, "ci", tmp.resolve("out"), NO_SECRETS);

        assertThat(iso.getFileName().toString()).isEqualTo("noCloud.iso");
        assertThat(IsoReader.volumeId(iso)).isEqualTo("cidata");
        assertThat(IsoReader.files(iso)).containsExactlyInAnyOrder("/meta-data", "/user-data", "/network-config");
        Path x = IsoReader.extract(iso, tmp.resolve("x"));
        assertThat(Files.readString(x.resolve("user-data"))).isEqualTo("#cloud-config\npassword: x\n");
        assertThat(Files.readString(x.resolve("network-config"))).isEqualTo("version: 2\n");
        JsonNode md = JSON.readTree(x.resolve("meta-data").toFile());
        // no firmware uuid in this VMI: instance-id falls back to the VMI uid
        assertThat(md.path("instance-id").asText()).isEqualTo("0f2c6a1e-1111-2222-3333-444455556666");
        assertThat(md.path("local-hostname").asText()).isEqualTo("web"); // name up to the first dot
        assertThat(md.has("public-keys")).isFalse();
        // the staging directory with the plain files is gone
        assertThat(Files.exists(tmp.resolve("out").resolve("data"))).isFalse();
    }

    @Test
    void noCloudBase64AndHostnameAndFirmwareUuid() throws Exception {
        String ud = Base64.getEncoder().encodeToString("#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8));
        JsonNode vmi = JSON.readTree("""
                {"metadata":{"name":"a","namespace":"ns"},
                 "spec":{"hostname":"myhost","domain":{"firmware":{"uuid":"5d307ca9-b3ef-428c-8861-06e72d69f223"}},
                  "volumes":[{"name":"ci","cloudInitNoCloud":{"userDataBase64":"%s"}}]}}""".formatted(ud));
        Path iso = builder.build(vmi, "ci", tmp, NO_SECRETS);
        Path x = IsoReader.extract(iso, tmp.resolve("x"));
        assertThat(IsoReader.files(iso)).containsExactlyInAnyOrder("/meta-data", "/user-data");
        assertThat(Files.readString(x.resolve("user-data"))).isEqualTo("#!/bin/sh\necho hi\n");
        JsonNode md = JSON.readTree(x.resolve("meta-data").toFile());
        assertThat(md.path("instance-id").asText()).isEqualTo("5d307ca9-b3ef-428c-8861-06e72d69f223");
        assertThat(md.path("local-hostname").asText()).isEqualTo("myhost");
    }

    @Test
    void instanceIdFallsBackToNameDotNamespace() throws Exception {
        JsonNode vmi = JSON.readTree("""
                {"metadata":{"name":"a","namespace":"ns"},
                 "spec":{"volumes":[{"name":"ci","cloudInitNoCloud":{"userData":"x"}}]}}""");
        Path x = IsoReader.extract(builder.build(vmi, "ci", tmp, NO_SECRETS), tmp.resolve("x"));
        assertThat(JSON.readTree(x.resolve("meta-data").toFile()).path("instance-id").asText()).isEqualTo("a.ns");
    }

    @Test
    void configDriveFromSecretsWithSshKeys() throws Exception {
        JsonNode vmi = JSON.readTree("""
                {"metadata":{"name":"db","namespace":"prod","uid":"u-1",
                   "annotations":{"kubevirt.io/instancetype-name":"u1.small"}},
                 "spec":{"domain":{"firmware":{"uuid":"5d307ca9-b3ef-428c-8861-06e72d69f223"}},
                  "accessCredentials":[{"sshPublicKey":{"source":{"secret":{"secretName":"keys"}},
                     "propagationMethod":{"configDrive":{}}}}],
                  "volumes":[{"name":"cfg","cloudInitConfigDrive":{"secretRef":{"name":"ud"},
                     "networkDataSecretRef":{"name":"nd"}}}]}}""");
        Map<String, Map<String, String>> secrets = Map.of(
                "ud", Map.of("userData", "#cloud-config\n"),
                "nd", Map.of("networkdata", "{\"links\":[]}"),
                "keys", Map.of("b", "ssh-ed25519 BBB", "a", "ssh-rsa AAA"));
        Path iso = builder.build(vmi, "cfg", tmp, secrets::get);

        assertThat(iso.getFileName().toString()).isEqualTo("configdrive.iso");
        assertThat(IsoReader.volumeId(iso)).isEqualTo("config-2");
        assertThat(IsoReader.files(iso)).containsExactlyInAnyOrder("/openstack/latest/meta_data.json",
                "/openstack/latest/user_data", "/openstack/latest/network_data.json");
        Path x = IsoReader.extract(iso, tmp.resolve("x")).resolve("openstack/latest");
        assertThat(Files.readString(x.resolve("user_data"))).isEqualTo("#cloud-config\n");
        assertThat(Files.readString(x.resolve("network_data.json"))).isEqualTo("{\"links\":[]}");
        JsonNode md = JSON.readTree(x.resolve("meta_data.json").toFile());
        assertThat(md.path("uuid").asText()).isEqualTo("5d307ca9-b3ef-428c-8861-06e72d69f223");
        assertThat(md.path("instance_id").asText()).isEqualTo("db.prod");
        assertThat(md.path("hostname").asText()).isEqualTo("db");
        assertThat(md.path("name").asText()).isEqualTo("db");
        assertThat(md.path("instance_type").asText()).isEqualTo("u1.small");
        assertThat(md.path("public_keys").path("0").asText()).isEqualTo("ssh-rsa AAA");
        assertThat(md.path("public_keys").path("1").asText()).isEqualTo("ssh-ed25519 BBB");
    }

    @Test
    void noCloudSecretKeyUserdataLowercase() throws Exception {
        JsonNode vmi = vmi("""
                [{"name":"ci","cloudInitNoCloud":{"secretRef":{"name":"s"}}}]""");
        Path iso = builder.build(vmi, "ci", tmp, Map.of("s", Map.of("userdata", "from-secret"))::get);
        Path x = IsoReader.extract(iso, tmp.resolve("x"));
        assertThat(Files.readString(x.resolve("user-data"))).isEqualTo("from-secret");
    }

    @Test
    void errors() throws Exception {
        assertThatThrownBy(() -> builder.build(vmi("[{\"name\":\"ci\",\"cloudInitNoCloud\":{}}]"), "ci", tmp,
                NO_SECRETS)).isInstanceOf(StorageException.class)
                .hasMessageContaining("volume 'ci'").hasMessageContaining("userData");
        assertThatThrownBy(() -> builder.build(vmi("[{\"name\":\"ci\",\"cloudInitNoCloud\":{\"secretRef\":"
                + "{\"name\":\"missing\"}}}]"), "ci", tmp, NO_SECRETS))
                .isInstanceOf(StorageException.class).hasMessageContaining("secret 'missing' not found");
        assertThatThrownBy(() -> builder.build(vmi("[{\"name\":\"ci\",\"cloudInitNoCloud\":{\"secretRef\":"
                + "{\"name\":\"s\"}}}]"), "ci", tmp, Map.of("s", Map.of("other", "x"))::get))
                .isInstanceOf(StorageException.class).hasMessageContaining("no cloud-init data found in secret s");
        assertThatThrownBy(() -> builder.build(vmi("[{\"name\":\"d\",\"emptyDisk\":{}}]"), "d", tmp, NO_SECRETS))
                .isInstanceOf(StorageException.class).hasMessageContaining("not a cloud-init volume");
        assertThatThrownBy(() -> builder.build(vmi("[]"), "nope", tmp, NO_SECRETS))
                .isInstanceOf(StorageException.class).hasMessageContaining("'nope' not found");
    }
}
