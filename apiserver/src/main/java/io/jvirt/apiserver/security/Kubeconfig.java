package io.jvirt.apiserver.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Client configuration files for kubectl (and any Kubernetes client): one cluster {@value #CLUSTER} (server URL and
 * the CA as {@code certificate-authority-data}), one user with a bearer token, and one context {@value #CONTEXT}
 * (namespace {@value #NAMESPACE}) set as {@code current-context}.
 *
 * <p>Files: {@code <dataDir>/kubeconfig} for the admin user, {@code <dataDir>/kubeconfig-viewer} for the viewer
 * (generally {@code kubeconfig-<role>}); mode 0600, replaced atomically (temporary file + rename).
 */
public final class Kubeconfig {

    public static final String CLUSTER = "jvirt";
    public static final String CONTEXT = "jvirt";
    public static final String NAMESPACE = "default";
    public static final String ADMIN_FILE = "kubeconfig";

    /**
     * Plain scalars where safe, quotes otherwise. Besides Jackson's defaults (booleans, null, special characters),
     * any value starting like a YAML number ({@code 0-9 + - .}) is quoted, so no parser (Go's yaml resolves
     * {@code 1e10} or {@code 0x1f} as numbers) can read a token or name as anything but a string.
     */
    private static final StringQuotingChecker QUOTING = new StringQuotingChecker.Default() {
        @Override
        public boolean needToQuoteValue(String value) {
            if (!value.isEmpty() && "0123456789+-.".indexOf(value.charAt(0)) >= 0) {
                return true;
            }
            return super.needToQuoteValue(value);
        }
    };

    private static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .stringQuotingChecker(QUOTING)
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .build())
            .build();

    private Kubeconfig() {
    }

    /**
     * The kubeconfig YAML.
     *
     * @param serverUrl e.g. {@code https://127.0.0.1:6443}
     * @param caPem     the CA certificate(s) as PEM; written base64-encoded as {@code certificate-authority-data}
     * @param user      the user entry's name, e.g. {@code jvirt-admin}
     * @param token     the bearer token
     */
    public static String render(String serverUrl, byte[] caPem, String user, String token) {
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("server", serverUrl);
        cluster.put("certificate-authority-data", Base64.getEncoder().encodeToString(caPem));

        Map<String, Object> context = new LinkedHashMap<>();
        context.put("cluster", CLUSTER);
        context.put("user", user);
        context.put("namespace", NAMESPACE);

        Map<String, Object> root = new LinkedHashMap<>();
        root.put("apiVersion", "v1");
        root.put("kind", "Config");
        root.put("preferences", Map.of());
        root.put("clusters", List.of(named(CLUSTER, "cluster", cluster)));
        root.put("users", List.of(named(user, "user", Map.of("token", token))));
        root.put("contexts", List.of(named(CONTEXT, "context", context)));
        root.put("current-context", CONTEXT);
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render kubeconfig", e);
        }
    }

    /** {@link #render(String, byte[], String, String)} for an {@link Identity} (user entry named by its user name). */
    public static String render(String serverUrl, byte[] caPem, Identity identity, String token) {
        return render(serverUrl, caPem, identity.userName(), token);
    }

    /**
     * Writes the kubeconfig for {@code user} to {@link #path(Path, String)} (mode 0600, atomically) and returns that
     * path. A missing {@code dataDir} is created with mode 0700.
     */
    public static Path write(Path dataDir, String serverUrl, byte[] caPem, String user, String token)
            throws IOException {
        Path file = path(dataDir, user);
        if (!Files.isDirectory(dataDir)) {
            SecureFiles.ensurePrivateDirectory(dataDir);
        }
        SecureFiles.writePrivate(file, render(serverUrl, caPem, user, token).getBytes(StandardCharsets.UTF_8));
        return file;
    }

    /** {@link #write(Path, String, byte[], String, String)} for an {@link Identity}. */
    public static Path write(Path dataDir, String serverUrl, byte[] caPem, Identity identity, String token)
            throws IOException {
        return write(dataDir, serverUrl, caPem, identity.userName(), token);
    }

    /**
     * Where the kubeconfig of {@code user} lives: {@code dataDir/kubeconfig} for the admin ({@code jvirt-admin} or
     * {@code admin}), {@code dataDir/kubeconfig-viewer} for the viewer, otherwise {@code dataDir/kubeconfig-<user>}
     * with a {@code jvirt-} prefix dropped.
     */
    public static Path path(Path dataDir, String user) {
        Identity known = Identity.byName(user);
        if (known == Identity.ADMIN) {
            return dataDir.resolve(ADMIN_FILE);
        }
        String suffix = known != null ? known.role() : user.startsWith("jvirt-") ? user.substring(6) : user;
        if (suffix.isEmpty() || !suffix.matches("[A-Za-z0-9._-]+") || suffix.startsWith(".")) {
            throw new IllegalArgumentException("user name not usable in a file name: " + user);
        }
        return dataDir.resolve(ADMIN_FILE + "-" + suffix);
    }

    /** {@link #path(Path, String)} for an {@link Identity}. */
    public static Path path(Path dataDir, Identity identity) {
        return path(dataDir, identity.userName());
    }

    /** Reads a kubeconfig written by this class back as a tree (for tools and tests). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Path file) throws IOException {
        return YAML.readValue(Files.readAllBytes(file), Map.class);
    }

    private static Map<String, Object> named(String name, String key, Map<String, Object> body) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put(key, body);
        return m;
    }
}
