package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryCredentialsTest {

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void picksTheEntryOfTheRegistryLongestPathFirst() {
        String json = """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "quay.io": {"username": "q", "password": "qp"},
                  "quay.io/kubevirt": {"auth": "%s"},
                  "localhost:5000": {"auth": "%s"}
                }}""".formatted(b64("hub:hp"), b64("kv:k:v"), b64("loc:lp"));
        Map<String, String> secret = Map.of(".dockerconfigjson", json);
        assertThat(RegistryCredentials.fromSecret(secret, ImageReference.parse("cirros"), "s"))
                .hasValueSatisfying(c -> assertThat(c.username()).isEqualTo("hub"));
        assertThat(RegistryCredentials.fromSecret(secret, ImageReference.parse("quay.io/kubevirt/x"), "s"))
                .hasValueSatisfying(c -> {
                    assertThat(c.username()).isEqualTo("kv");
                    assertThat(c.password()).as("only the first colon separates").isEqualTo("k:v");
                });
        assertThat(RegistryCredentials.fromSecret(secret, ImageReference.parse("quay.io/other/x"), "s"))
                .hasValueSatisfying(c -> assertThat(c.username()).isEqualTo("q"));
        assertThat(RegistryCredentials.fromSecret(secret, ImageReference.parse("localhost:5000/a"), "s"))
                .hasValueSatisfying(c -> assertThat(c.basicHeader()).isEqualTo("Basic " + b64("loc:lp")));
        assertThat(RegistryCredentials.fromSecret(secret, ImageReference.parse("localhost:5001/a"), "s")).isEmpty();
        assertThat(RegistryCredentials.fromSecret(secret, ImageReference.parse("ghcr.io/a"), "s")).isEmpty();
    }

    @Test
    void legacyDockercfgAndBadSecrets() {
        Map<String, String> legacy = Map.of(".dockercfg", "{\"registry.example\": {\"auth\": \"" + b64("u:p")
                + "\"}}");
        assertThat(RegistryCredentials.fromSecret(legacy, ImageReference.parse("registry.example/a"), "s"))
                .hasValueSatisfying(c -> assertThat(c.password()).isEqualTo("p"));
        assertThatThrownBy(() -> RegistryCredentials.fromSecret(Map.of("token", "x"),
                ImageReference.parse("a"), "imagePullSecret \"x\""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("imagePullSecret \"x\" has neither .dockerconfigjson");
        assertThatThrownBy(() -> RegistryCredentials.fromSecret(Map.of(".dockerconfigjson", "{"),
                ImageReference.parse("a"), "s")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not valid JSON");
        assertThat(new RegistryCredentials("u", "secret", "s").toString()).doesNotContain("secret");
    }

    @Test
    void parsesChallenges() {
        List<AuthChallenge> c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\","
                + "service=\"registry.docker.io\",scope=\"repository:library/cirros:pull,push\"");
        assertThat(c).hasSize(1);
        assertThat(c.get(0).scheme()).isEqualTo("bearer");
        assertThat(c.get(0).param("realm")).isEqualTo("https://auth.docker.io/token");
        assertThat(c.get(0).param("service")).isEqualTo("registry.docker.io");
        assertThat(c.get(0).param("scope")).isEqualTo("repository:library/cirros:pull,push");

        List<AuthChallenge> two = AuthChallenge.parse("Basic realm=\"basic-realm\", Bearer realm=x, error=invalid");
        assertThat(two).extracting(AuthChallenge::scheme).containsExactly("basic", "bearer");
        assertThat(two.get(1).params()).containsEntry("realm", "x").containsEntry("error", "invalid");
        assertThat(AuthChallenge.parse("")).isEmpty();
    }
}
