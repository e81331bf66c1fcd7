package io.jvirt.apiserver.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Maps an HTTP {@code Authorization} header to an {@link Identity}. Accepts {@code Bearer <token>} (scheme
 * case-insensitive, surrounding whitespace ignored). Tokens are compared in constant time: the SHA-256 digests of
 * the presented and each known token are compared with {@link MessageDigest#isEqual}, and every known token is
 * checked, so neither the position of the first differing byte nor which identity matched leaks through timing.
 * Thread-safe.
 */
public final class TokenAuthenticator {

    private record Entry(byte[] digest, Identity identity) {
    }

    private final List<Entry> entries;

    /** @param tokens token per identity; tokens must be distinct and non-empty */
    public TokenAuthenticator(Map<Identity, String> tokens) {
        List<Entry> list = new ArrayList<>();
        for (Map.Entry<Identity, String> e : tokens.entrySet()) {
            if (e.getValue() == null || e.getValue().isEmpty()) {
                throw new IllegalArgumentException("empty token for " + e.getKey().role());
            }
            byte[] d = sha256(e.getValue());
            for (Entry other : list) {
                if (MessageDigest.isEqual(other.digest, d)) {
                    throw new IllegalArgumentException("identities " + other.identity.role() + " and "
                            + e.getKey().role() + " share a token");
                }
            }
            list.add(new Entry(d, e.getKey()));
        }
        this.entries = List.copyOf(list);
    }

    /**
     * The identity owning the bearer token in {@code authorizationHeader}; empty when the header is null, blank, not
     * of the Bearer scheme, or carries an unknown token.
     */
    public Optional<Identity> authenticate(String authorizationHeader) {
        if (authorizationHeader == null) {
            return Optional.empty();
        }
        String h = authorizationHeader.strip();
        int sp = indexOfWhitespace(h);
        if (sp <= 0 || !h.substring(0, sp).equalsIgnoreCase("Bearer")) {
            return Optional.empty();
        }
        String token = h.substring(sp).strip();
        if (token.isEmpty()) {
            return Optional.empty();
        }
        byte[] presented = sha256(token);
        Identity match = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.digest, presented)) {
                match = e.identity;
            }
        }
        return Optional.ofNullable(match);
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
