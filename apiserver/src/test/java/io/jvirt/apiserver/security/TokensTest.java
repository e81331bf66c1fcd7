package io.jvirt.apiserver.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class TokensTest {

    @TempDir
    Path dataDir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void firstStartCreatesTokenFilesWithMode0600() throws Exception {
        Tokens tokens = Tokens.loadOrCreate(dataDir);
        assertThat(mode(dataDir.resolve("tokens"))).isEqualTo("rwx------");
        assertThat(mode(dataDir.resolve("tokens/admin.token"))).isEqualTo("rw-------");
        assertThat(mode(dataDir.resolve("tokens/viewer.token"))).isEqualTo("rw-------");
        assertThat(mode(dataDir.resolve("tokens/components.token"))).isEqualTo("rw-------");
        assertThat(Files.readString(dataDir.resolve("tokens/admin.token")).trim()).isEqualTo(tokens.adminToken());
        assertThat(Files.readString(dataDir.resolve("tokens/viewer.token")).trim()).isEqualTo(tokens.viewerToken());
        assertThat(Tokens.tokenFile(dataDir, Identity.VIEWER)).isEqualTo(dataDir.resolve("tokens/viewer.token"));
        try (var files = Files.list(dataDir.resolve("tokens"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("admin.token", "viewer.token", "components.token");
        }
    }

    @Test
    void tokensAre32RandomBytesBase64Url() throws Exception {
        Tokens tokens = Tokens.loadOrCreate(dataDir);
        for (String t : new String[] {tokens.adminToken(), tokens.viewerToken()}) {
            assertThat(t).matches("[A-Za-z0-9_-]{43}");
            assertThat(Base64.getUrlDecoder().decode(t)).hasSize(32);
        }
        assertThat(tokens.adminToken()).isNotEqualTo(tokens.viewerToken());
    }

    @Test
    void restartReusesTokens() throws Exception {
        Tokens first = Tokens.loadOrCreate(dataDir);
        Tokens second = Tokens.loadOrCreate(dataDir);
        assertThat(second.adminToken()).isEqualTo(first.adminToken());
        assertThat(second.viewerToken()).isEqualTo(first.viewerToken());
    }

    @Test
    void deletedOrMalformedTokenIsRegenerated() throws Exception {
        Tokens first = Tokens.loadOrCreate(dataDir);
        Files.delete(dataDir.resolve("tokens/viewer.token"));
        Files.writeString(dataDir.resolve("tokens/admin.token"), "short");
        Tokens second = Tokens.loadOrCreate(dataDir);
        assertThat(second.viewerToken()).isNotEqualTo(first.viewerToken());
        assertThat(second.adminToken()).isNotEqualTo(first.adminToken()).matches("[A-Za-z0-9_-]{43}");
        assertThat(mode(dataDir.resolve("tokens/viewer.token"))).isEqualTo("rw-------");
        assertThat(mode(dataDir.resolve("tokens/admin.token"))).isEqualTo("rw-------");
    }

    @Test
    void identities() {
        assertThat(Identity.ADMIN.userName()).isEqualTo("jvirt-admin");
        assertThat(Identity.ADMIN.groups()).containsExactly("system:masters", "system:authenticated");
        assertThat(Identity.ADMIN.mayWrite()).isTrue();
        assertThat(Identity.VIEWER.userName()).isEqualTo("jvirt-viewer");
        assertThat(Identity.VIEWER.groups()).containsExactly("system:authenticated");
        assertThat(Identity.VIEWER.mayWrite()).isFalse();
        assertThat(Identity.VIEWER.allows("get")).isTrue();
        assertThat(Identity.VIEWER.allows("LIST")).isTrue();
        assertThat(Identity.VIEWER.allows("watch")).isTrue();
        assertThat(Identity.VIEWER.allows("create")).isFalse();
        assertThat(Identity.VIEWER.allows("delete")).isFalse();
        assertThat(Identity.VIEWER.allows(null)).isFalse();
        assertThat(Identity.ADMIN.allows("deletecollection")).isTrue();
        assertThat(Identity.byName("viewer")).isSameAs(Identity.VIEWER);
        assertThat(Identity.byName("jvirt-admin")).isSameAs(Identity.ADMIN);
        assertThat(Identity.byName("nobody")).isNull();
    }
}
