package io.jvirt.apiserver.security;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenAuthenticatorTest {

    @TempDir
    Path dataDir;

    private Tokens tokens;
    private TokenAuthenticator auth;

    @BeforeEach
    void setUp() throws Exception {
        tokens = Tokens.loadOrCreate(dataDir);
        auth = tokens.authenticator();
    }

    @Test
    void acceptsBearerTokensOfBothIdentities() {
        assertThat(auth.authenticate("Bearer " + tokens.adminToken())).contains(Identity.ADMIN);
        assertThat(auth.authenticate("Bearer " + tokens.viewerToken())).contains(Identity.VIEWER);
    }

    @Test
    void schemeIsCaseInsensitiveAndWhitespaceTolerated() {
        assertThat(auth.authenticate("bearer " + tokens.adminToken())).contains(Identity.ADMIN);
        assertThat(auth.authenticate("BEARER " + tokens.adminToken())).contains(Identity.ADMIN);
        assertThat(auth.authenticate("  Bearer \t " + tokens.viewerToken() + " ")).contains(Identity.VIEWER);
    }

    @Test
    void rejectsWrongMissingOrMalformed() {
        assertThat(auth.authenticate(null)).isEmpty();
        assertThat(auth.authenticate("")).isEmpty();
        assertThat(auth.authenticate("Bearer")).isEmpty();
        assertThat(auth.authenticate("Bearer ")).isEmpty();
        assertThat(auth.authenticate("Bearer " + Tokens.newToken())).isEmpty();
        assertThat(auth.authenticate("Bearer " + tokens.adminToken() + "x")).isEmpty();
        assertThat(auth.authenticate("Bearer " + tokens.adminToken().substring(1))).isEmpty();
        assertThat(auth.authenticate("Bearer " + tokens.adminToken().toUpperCase())).isEmpty();
        assertThat(auth.authenticate(tokens.adminToken())).isEmpty();
        assertThat(auth.authenticate("Token " + tokens.adminToken())).isEmpty();
        assertThat(auth.authenticate("Bearer" + tokens.adminToken())).isEmpty();
        String basic = Base64.getEncoder().encodeToString(("admin:" + tokens.adminToken()).getBytes(StandardCharsets.UTF_8));
        assertThat(auth.authenticate("Basic " + basic)).isEmpty();
        assertThat(auth.authenticate("Basic " + tokens.adminToken())).isEmpty();
    }

    @Test
    void refusesSharedOrEmptyTokens() {
        assertThatThrownBy(() -> new TokenAuthenticator(Map.of(Identity.ADMIN, "same", Identity.VIEWER, "same")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenAuthenticator(Map.of(Identity.ADMIN, "")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
