package io.jvirt.apiserver.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The bearer tokens of the two {@link Identity identities}, stored as {@code <dataDir>/tokens/admin.token} and
 * {@code <dataDir>/tokens/viewer.token} (mode 0600, directory 0700). Each token is 32 random bytes, base64url without
 * padding (43 characters); the file holds the token and a newline. Tokens are created on first start and reused
 * afterwards; delete a file to rotate that token on the next start.
 */
public final class Tokens {

    private static final Logger LOG = LoggerFactory.getLogger(Tokens.class);

    public static final String TOKENS_DIR = "tokens";
    public static final int TOKEN_BYTES = 32;

    private static final Pattern TOKEN = Pattern.compile("^[A-Za-z0-9_-]{43}$");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Map<Identity, String> tokens;

    private Tokens(Path dir, Map<Identity, String> tokens) {
        this.dir = dir;
        this.tokens = Map.copyOf(tokens);
    }

    /** Loads the token files under {@code dataDir/tokens}, creating missing (or malformed) ones. */
    public static Tokens loadOrCreate(Path dataDir) throws IOException {
        Path dir = SecureFiles.ensurePrivateDirectory(dataDir.resolve(TOKENS_DIR));
        Map<Identity, String> tokens = new LinkedHashMap<>();
        for (Identity identity : Identity.ALL) {
            Path file = dir.resolve(fileName(identity));
            String token = null;
            if (Files.exists(file)) {
                SecureFiles.tighten(file, SecureFiles.OWNER_READ_WRITE);
                String content = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (TOKEN.matcher(content).matches()) {
                    token = content;
                } else {
                    LOG.warn("Token file {} is malformed; generating a new {} token", file, identity.role());
                }
            }
            if (token == null) {
                token = newToken();
                SecureFiles.writePrivate(file, (token + "\n").getBytes(StandardCharsets.US_ASCII));
                LOG.info("Generated {} token in {}", identity.role(), file);
            }
            tokens.put(identity, token);
        }
        return new Tokens(dir, tokens);
    }

    /** {@code <role>.token}. */
    public static String fileName(Identity identity) {
        return identity.role() + ".token";
    }

    /** {@code dataDir/tokens/<role>.token}. */
    public static Path tokenFile(Path dataDir, Identity identity) {
        return dataDir.resolve(TOKENS_DIR).resolve(fileName(identity));
    }

    /** A fresh token: 32 random bytes, base64url without padding. */
    public static String newToken() {
        byte[] b = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public String token(Identity identity) {
        String t = tokens.get(identity);
        if (t == null) {
            throw new IllegalArgumentException("unknown identity " + identity);
        }
        return t;
    }

    public String adminToken() {
        return token(Identity.ADMIN);
    }

    public String viewerToken() {
        return token(Identity.VIEWER);
    }

    public String componentsToken() {
        return token(Identity.COMPONENTS);
    }

    /** The directory holding the token files. */
    public Path directory() {
        return dir;
    }

    /** An authenticator accepting exactly these tokens. */
    public TokenAuthenticator authenticator() {
        return new TokenAuthenticator(tokens);
    }
}
