package io.jvirt.launcher.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A user name and password for one registry, taken from a Docker config: the {@code .dockerconfigjson} key of a
 * {@code kubernetes.io/dockerconfigjson} Secret (an {@code imagePullSecret}), the legacy {@code .dockercfg} key of a
 * {@code kubernetes.io/dockercfg} Secret, or a {@code ~/.docker/config.json}-style file.
 *
 * <p>Entries are matched as kubelet does: an {@code auths} key may carry a scheme and a path
 * ({@code https://index.docker.io/v1/}, {@code quay.io/kubevirt}); the registry host must match and the key's path,
 * if any, must be a prefix of the repository; the longest match wins. Docker Hub is also found under
 * {@code index.docker.io} and {@code registry-1.docker.io}. Identity tokens and credential helpers are not supported
 * (kubelet does not read them from Secrets either).
 *
 * @param source where the credentials came from, for messages ({@code imagePullSecret "regcred"})
 */
public record RegistryCredentials(String username, String password, String source) {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String toString() {
        return "RegistryCredentials[" + username + " from " + source + "]"; // never the password
    }

    /** The {@code Authorization: Basic} header value. */
    public String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The credentials for {@code ref} in a Secret's decoded data ({@code .dockerconfigjson} or {@code .dockercfg}).
     *
     * @throws IllegalArgumentException if the Secret holds neither key or its JSON cannot be read
     */
    public static Optional<RegistryCredentials> fromSecret(Map<String, String> data, ImageReference ref,
                                                           String source) {
        String json = data.get(".dockerconfigjson");
        boolean legacy = false;
        if (json == null) {
            json = data.get(".dockercfg");
            legacy = true;
        }
        if (json == null) {
            throw new IllegalArgumentException(source + " has neither .dockerconfigjson nor .dockercfg (it must be "
                    + "a Secret of type kubernetes.io/dockerconfigjson)");
        }
        return fromDockerConfig(json, legacy, ref, source);
    }

    /**
     * The credentials for {@code ref} in a Docker config JSON document: {@code {"auths": {...}}}, or, when
     * {@code legacy}, the bare map of {@code .dockercfg}.
     */
    public static Optional<RegistryCredentials> fromDockerConfig(String json, boolean legacy, ImageReference ref,
                                                                 String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode auths = legacy || !root.has("auths") ? root : root.path("auths");
        JsonNode best = null;
        int bestLen = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int len = matchLength(e.getKey(), ref);
            if (len > bestLen) {
                best = e.getValue();
                bestLen = len;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        String user = best.path("username").asText("");
        String pass = best.path("password").asText("");
        String auth = best.path("auth").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": the auth of its entry for " + ref.registry()
                        + " is not base64", e);
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(source + ": the auth of its entry for " + ref.registry()
                        + " is not user:password");
            }
            user = decoded.substring(0, colon);
            pass = decoded.substring(colon + 1);
        }
        if (user.isEmpty() && pass.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RegistryCredentials(user, pass, source));
    }

    /** How well an {@code auths} key matches (longer is better), or -1 if it does not. */
    static int matchLength(String key, ImageReference ref) {
        String k = key.strip();
        k = k.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
        int slash = k.indexOf('/');
        String host = slash < 0 ? k : k.substring(0, slash);
        String path = slash < 0 ? "" : k.substring(slash + 1).replaceAll("/+$", "");
        if (!sameRegistry(host, ref.registry())) {
            return -1;
        }
        if (host.equals("index.docker.io") && path.equals("v1")) {
            path = ""; // the classic Docker Hub key https://index.docker.io/v1/
        }
        if (path.isEmpty()) {
            return host.length();
        }
        String repo = ref.repository();
        if (repo.equals(path) || repo.startsWith(path + "/")) {
            return host.length() + 1 + path.length();
        }
        return -1;
    }

    private static boolean sameRegistry(String keyHost, String registry) {
        if (keyHost.equalsIgnoreCase(registry)) {
            return true;
        }
        return isDockerHub(keyHost) && isDockerHub(registry);
    }

    private static boolean isDockerHub(String host) {
        return host.equalsIgnoreCase(ImageReference.DOCKER_HUB) || host.equalsIgnoreCase("index.docker.io")
                || host.equalsIgnoreCase(ImageReference.DOCKER_HUB_API);
    }
}
