package io.jvirt.launcher.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.launcher.storage.ImagePullException.Failure;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * A client of the OCI distribution / Docker registry v2 HTTP API, as much as pulling a containerDisk needs: the
 * manifest of a tag or digest (an image index or Docker manifest list resolves to its linux/amd64 image), and layer
 * blobs as verified streams.
 *
 * <p>Transport: HTTPS with the JVM's trust store; plain HTTP only when the caller says the registry is insecure
 * (loopback registries and the configured insecure registries, see {@link ImagePuller}). Redirects (blob downloads
 * are often redirected to object storage) are followed by hand, so that the registry's credentials are never sent to
 * another host.
 *
 * <p>Authentication: a request is first sent without credentials; a {@code 401} with a {@code Bearer} challenge gets
 * a token from the challenge's realm ({@code GET realm?service=…&scope=…}, with Basic credentials if there are any,
 * anonymously otherwise: the Docker token protocol); a {@code Basic} challenge is answered with the credentials.
 * The token is kept for the rest of the {@link Session}.
 *
 * <p>Every failure is an {@link ImagePullException} whose message names the image and what failed.
 */
public final class RegistryClient {

    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final String ACCEPT = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST,
            DOCKER_MANIFEST);

    /** The platform containerDisks are taken for: jvirt runs x86-64 guests on Linux hosts. */
    static final String OS = "linux";
    static final String ARCHITECTURE = "amd64";

    /** Manifests larger than this are refused (containerd's limit for manifests and indexes is 4 MiB too). */
    static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 64 << 10;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A content descriptor (OCI image spec).
     *
     * @param mediaType media type of the content
     * @param digest    {@code algorithm:hex}
     * @param size      bytes
     */
    public record Descriptor(String mediaType, String digest, long size) {
    }

    /**
     * An image's manifest, resolved to one platform.
     *
     * @param digest    digest of what the reference names: the index or manifest list for a multi-platform tag,
     *                  the manifest itself otherwise (what {@code crictl images --digests} shows)
     * @param mediaType media type of the platform manifest
     * @param layers    layer descriptors, lowest first
     */
    public record Manifest(String digest, String mediaType, List<Descriptor> layers) {
    }

    private final HttpClient http;
    private final Duration requestTimeout;

    public RegistryClient() {
        this(HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build(), Duration.ofSeconds(60));
    }

    /**
     * @param requestTimeout how long to wait for a response's headers, and for the next bytes of a body (a blob may
     *                       take as long as it needs while data flows)
     */
    public RegistryClient(HttpClient http, Duration requestTimeout) {
        this.http = http;
        this.requestTimeout = requestTimeout;
    }

    /**
     * A session for pulling {@code ref}.
     *
     * @param plainHttp   talk HTTP instead of HTTPS (insecure registry)
     * @param credentials for the registry, if any
     */
    public Session open(ImageReference ref, boolean plainHttp, Optional<RegistryCredentials> credentials) {
        return new Session(ref, plainHttp, credentials);
    }

    /** Requests for one image, sharing the token the registry handed out. */
    public final class Session {
        private final ImageReference ref;
        private final String image;
        private final URI base;
        private final Optional<RegistryCredentials> credentials;
        private String authorization;

        private Session(ImageReference ref, boolean plainHttp, Optional<RegistryCredentials> credentials) {
            this.ref = ref;
            this.image = ref.toString();
            this.base = URI.create((plainHttp ? "http" : "https") + "://" + ref.apiHost() + "/v2/");
            this.credentials = credentials;
        }

        /**
         * The digest of what the reference names, from a {@code HEAD} request (registries do not count these
         * against pull rate limits); empty if the registry does not say.
         */
        public Optional<String> headDigest() {
            URI uri = base.resolve(ref.repository() + "/manifests/" + ref.manifestReference());
            HttpResponse<InputStream> r = send(uri, "HEAD", ACCEPT);
            try (InputStream ignored = r.body()) {
                if (r.statusCode() == 200) {
                    return r.headers().firstValue("Docker-Content-Digest").filter(d -> d.contains(":"));
                }
                if (r.statusCode() == 404) {
                    throw notFound(null);
                }
                checkAuthorized(r, null);
                return Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        /** The manifest of the reference, resolved to linux/amd64 when it names an index. */
        public Manifest manifest() {
            Fetched top = fetchManifest(ref.manifestReference());
            if (ref.digest() != null && !ref.digest().equals(top.digest())) {
                throw new ImagePullException(image, Failure.DIGEST_MISMATCH, "failed to pull image \"" + image
                        + "\": the registry's manifest has digest " + top.digest() + ", not " + ref.digest());
            }
            Fetched platform = top;
            if (isIndex(top.mediaType())) {
                String child = pickPlatform(top.json());
                platform = fetchManifest(child);
                if (!platform.digest().equals(child)) {
                    throw new ImagePullException(image, Failure.DIGEST_MISMATCH, "failed to pull image \"" + image
                            + "\": manifest " + child + " arrived with digest " + platform.digest());
                }
                if (isIndex(platform.mediaType())) {
                    throw protocol("its " + OS + "/" + ARCHITECTURE + " entry is another image index, which is "
                            + "not supported");
                }
            }
            if (!platform.mediaType().equals(OCI_MANIFEST) && !platform.mediaType().equals(DOCKER_MANIFEST)) {
                throw protocol("unsupported manifest type " + platform.mediaType()
                        + (platform.json().path("schemaVersion").asInt() == 1
                        ? " (Docker schema 1 manifests are not supported; push the image again with a current tool)"
                        : ""));
            }
            List<Descriptor> layers = new ArrayList<>();
            for (JsonNode l : platform.json().path("layers")) {
                Descriptor d = new Descriptor(l.path("mediaType").asText(""), l.path("digest").asText(""),
                        l.path("size").asLong(-1));
                if (!d.digest().matches("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}") || d.size() < 0) {
                    throw protocol("layer descriptor without a valid digest and size: " + l);
                }
                if (d.mediaType().contains("zstd")) {
                    throw protocol("layer " + d.digest() + " is zstd-compressed (" + d.mediaType()
                            + "), which is not supported; push it with gzip");
                }
                if (!d.mediaType().isEmpty() && !d.mediaType().contains("tar")) {
                    throw protocol("layer " + d.digest() + " has media type " + d.mediaType()
                            + ", not a tar layer");
                }
                layers.add(d);
            }
            return new Manifest(top.digest(), platform.mediaType(), List.copyOf(layers));
        }

        /**
         * The bytes of a blob. The stream refuses to read past {@code d.size()}; call
         * {@link VerifiedStream#verify()} after reading it to the end.
         */
        public VerifiedStream blob(Descriptor d) {
            URI uri = base.resolve(ref.repository() + "/blobs/" + d.digest());
            HttpResponse<InputStream> r = send(uri, "GET", "*/*");
            if (r.statusCode() != 200) {
                String body = errorBody(r);
                if (r.statusCode() == 404) {
                    throw new ImagePullException(image, Failure.NOT_FOUND, "failed to pull image \"" + image
                            + "\": blob unknown: the registry has no layer " + d.digest() + describe(body));
                }
                checkAuthorized(r, body);
                throw unexpected(uri, r.statusCode(), body);
            }
            return new VerifiedStream(new IdleTimeoutInputStream(r.body(), requestTimeout), d, image);
        }

        // ------------------------------------------------------------------------------------- manifests

        private record Fetched(String digest, String mediaType, JsonNode json) {
        }

        private Fetched fetchManifest(String reference) {
            URI uri = base.resolve(ref.repository() + "/manifests/" + reference);
            HttpResponse<InputStream> r = send(uri, "GET", ACCEPT);
            byte[] body;
            try (InputStream in = new IdleTimeoutInputStream(r.body(), requestTimeout)) {
                body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            } catch (IOException e) {
                throw unreachable("lost the connection while reading the manifest", e);
            }
            if (r.statusCode() == 404) {
                throw notFound(new String(body, 0, Math.min(body.length, MAX_ERROR_BODY), StandardCharsets.UTF_8));
            }
            if (r.statusCode() != 200) {
                String text = new String(body, 0, Math.min(body.length, MAX_ERROR_BODY), StandardCharsets.UTF_8);
                checkAuthorized(r, text);
                throw unexpected(uri, r.statusCode(), text);
            }
            if (body.length > MAX_MANIFEST_BYTES) {
                throw protocol("its manifest is larger than " + MAX_MANIFEST_BYTES + " bytes");
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw protocol("its manifest is not JSON: " + e.getMessage());
            }
            String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip())
                    .filter(t -> !t.isEmpty() && !t.equals("application/json")
                            && !t.equals("application/octet-stream"))
                    .orElse(json.path("mediaType").asText(""));
            if (type.isEmpty()) {
                // OCI manifests may omit mediaType; tell them apart by shape
                type = json.has("manifests") ? OCI_INDEX : json.has("layers") ? OCI_MANIFEST : "";
            }
            String algorithm = reference.startsWith("sha512:") ? "sha512" : "sha256";
            return new Fetched(digest(algorithm, body), type, json);
        }

        private String pickPlatform(JsonNode index) {
            List<String> seen = new ArrayList<>();
            JsonNode manifests = index.path("manifests");
            for (JsonNode m : manifests) {
                JsonNode p = m.path("platform");
                String os = p.path("os").asText("");
                String arch = p.path("architecture").asText("");
                if (OS.equals(os) && ARCHITECTURE.equals(arch)) {
                    return m.path("digest").asText();
                }
                seen.add(os.isEmpty() && arch.isEmpty() ? "(no platform)" : os + "/" + arch);
            }
            if (manifests.size() == 1 && manifests.get(0).path("platform").isMissingNode()) {
                return manifests.get(0).path("digest").asText(); // single-image index without platform
            }
            throw new ImagePullException(image, Failure.NOT_FOUND, "failed to pull image \"" + image
                    + "\": no " + OS + "/" + ARCHITECTURE + " image in its index (it has " + seen + ")");
        }

        // ------------------------------------------------------------------------------------- HTTP

        /** Sends a request, authenticating on a 401 challenge and following redirects without leaking credentials. */
        private HttpResponse<InputStream> send(URI uri, String method, String accept) {
            URI target = uri;
            boolean authenticated = false; // per request: a cached token may have expired (Docker Hub's last 5 min)
            for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
                HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(requestTimeout)
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .header("Accept", accept)
                        .header("User-Agent", "jvirt");
                if (target.getScheme().equals("http")) {
                    b.version(HttpClient.Version.HTTP_1_1); // no h2c upgrade dance with plain-HTTP registries
                }
                boolean sameHost = sameOrigin(target, base);
                if (authorization != null && sameHost) {
                    b.header("Authorization", authorization);
                }
                HttpResponse<InputStream> r = exchange(b.build());
                int code = r.statusCode();
                if (code == 401 && sameHost && !authenticated) {
                    List<AuthChallenge> challenges = AuthChallenge.parseAll(r.headers().allValues(
                            "WWW-Authenticate"));
                    closeQuietly(r);
                    authorization = authenticate(challenges);
                    authenticated = true;
                    hop--; // the same request again, not a redirect
                    continue;
                }
                if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
                    String location = r.headers().firstValue("Location").orElse(null);
                    closeQuietly(r);
                    if (location == null) {
                        throw protocol("redirect " + code + " without a Location from " + target);
                    }
                    URI next = target.resolve(location);
                    if (target.getScheme().equals("https") && !next.getScheme().equals("https")) {
                        throw protocol("the registry redirected from HTTPS to " + next.getScheme() + " (" + next
                                + "); refused");
                    }
                    target = next;
                    continue;
                }
                return r;
            }
            throw protocol("more than " + MAX_REDIRECTS + " redirects from " + uri);
        }

        /** The Authorization header value for a challenge. */
        private String authenticate(List<AuthChallenge> challenges) {
            AuthChallenge bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst()
                    .orElse(null);
            if (bearer != null && bearer.param("realm") != null) {
                return "Bearer " + token(bearer);
            }
            if (challenges.stream().anyMatch(c -> c.scheme().equals("basic"))) {
                if (credentials.isEmpty()) {
                    throw unauthorized("the registry wants a user name and password and no imagePullSecret is set");
                }
                return credentials.get().basicHeader();
            }
            throw unauthorized("the registry answered 401 with no challenge jvirt understands ("
                    + challenges.stream().map(AuthChallenge::scheme).toList() + ")");
        }

        /** A token from the Docker token protocol endpoint. */
        private String token(AuthChallenge c) {
            String scope = c.param("scope") != null ? c.param("scope") : "repository:" + ref.repository() + ":pull";
            StringBuilder q = new StringBuilder();
            if (c.param("service") != null) {
                q.append("service=").append(URLEncoder.encode(c.param("service"), StandardCharsets.UTF_8));
            }
            for (String s : scope.split(" ")) {
                if (!s.isBlank()) {
                    q.append(q.isEmpty() ? "" : "&").append("scope=").append(URLEncoder.encode(s,
                            StandardCharsets.UTF_8));
                }
            }
            URI realm;
            try {
                realm = URI.create(c.param("realm"));
            } catch (IllegalArgumentException e) {
                throw protocol("invalid token realm '" + c.param("realm") + "'");
            }
            if (realm.getScheme() == null || !(realm.getScheme().equals("https") || realm.getScheme().equals("http")
                    && base.getScheme().equals("http"))) {
                throw protocol("the registry's token realm " + realm + " is not HTTPS; refused");
            }
            URI uri = URI.create(realm + (realm.getRawQuery() == null ? "?" : "&") + q);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET()
                    .header("User-Agent", "jvirt");
            if (uri.getScheme().equals("http")) {
                b.version(HttpClient.Version.HTTP_1_1);
            }
            credentials.ifPresent(cr -> b.header("Authorization", cr.basicHeader()));
            HttpResponse<InputStream> r = exchange(b.build());
            byte[] body;
            try (InputStream in = new IdleTimeoutInputStream(r.body(), requestTimeout)) {
                body = in.readNBytes(1 << 20);
            } catch (IOException e) {
                throw unreachable("lost the connection to the token service " + realm.getHost(), e);
            }
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw unauthorized("the token service " + realm.getHost() + " refused "
                        + credentials.map(cr -> "the credentials from " + cr.source()).orElse("anonymous access"));
            }
            if (r.statusCode() != 200) {
                throw unexpected(uri, r.statusCode(), new String(body, StandardCharsets.UTF_8));
            }
            try {
                JsonNode t = JSON.readTree(body);
                String token = t.path("token").asText(t.path("access_token").asText(""));
                if (token.isEmpty()) {
                    throw protocol("the token service " + realm.getHost() + " answered without a token");
                }
                return token;
            } catch (IOException e) {
                throw protocol("the token service " + realm.getHost() + " answered with something other than JSON");
            }
        }

        private HttpResponse<InputStream> exchange(HttpRequest request) {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (HttpConnectTimeoutException e) {
                throw unreachable("connection to " + request.uri().getAuthority() + " timed out", e);
            } catch (HttpTimeoutException e) {
                throw unreachable(request.uri().getAuthority() + " did not answer within "
                        + requestTimeout.toSeconds() + " s", e);
            } catch (ConnectException e) {
                throw unreachable(connectFailure(e, request.uri()), e);
            } catch (SSLException e) {
                throw unreachable("TLS with " + request.uri().getAuthority() + " failed (" + rootMessage(e)
                        + "); a registry without TLS must be listed as insecure", e);
            } catch (IOException e) {
                throw unreachable("request to " + request.uri().getAuthority() + " failed (" + rootMessage(e) + ")",
                        e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImagePullException(image, Failure.PROTOCOL, "pull of image \"" + image
                        + "\" interrupted", e);
            }
        }

        private void checkAuthorized(HttpResponse<?> r, String body) {
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                String detail = credentials.map(c -> "the registry refused the credentials from " + c.source())
                        .orElse("the registry refused anonymous access and no imagePullSecret is set; the "
                                + "repository may also not exist");
                throw unauthorized(detail + describe(body));
            }
        }

        private ImagePullException notFound(String body) {
            String what = ref.digest() != null ? ref.repository() + "@" + ref.digest()
                    : ref.repository() + ":" + ref.tag();
            return new ImagePullException(image, Failure.NOT_FOUND, "failed to pull image \"" + image
                    + "\": manifest unknown: " + ref.registry() + " has no " + what + describe(body));
        }

        private ImagePullException unauthorized(String detail) {
            return new ImagePullException(image, Failure.UNAUTHORIZED, "failed to pull image \"" + image
                    + "\": unauthorized: check imagePullSecret (" + detail + ")");
        }

        private ImagePullException unreachable(String detail, Throwable cause) {
            return new ImagePullException(image, Failure.UNREACHABLE, "failed to pull image \"" + image
                    + "\": registry " + ref.registry() + " unreachable: " + detail, cause);
        }

        private ImagePullException protocol(String detail) {
            return new ImagePullException(image, Failure.PROTOCOL, "failed to pull image \"" + image + "\": "
                    + detail);
        }

        private ImagePullException unexpected(URI uri, int code, String body) {
            String hint = code == 429 ? " (too many requests: the registry rate-limits pulls)" : "";
            return protocol("HTTP " + code + hint + " from " + uri + describe(body));
        }

        private String errorBody(HttpResponse<InputStream> r) {
            try (InputStream in = new IdleTimeoutInputStream(r.body(), requestTimeout)) {
                return new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }
    }

    /**
     * A blob's bytes, counted and hashed as they are read. Reading past the descriptor's size fails;
     * {@link #verify()} checks size and digest once the stream has been read to its end.
     */
    public static final class VerifiedStream extends FilterInputStream {
        private final Descriptor descriptor;
        private final String image;
        private final MessageDigest md;
        private long count;

        VerifiedStream(InputStream in, Descriptor descriptor, String image) {
            super(in);
            this.descriptor = descriptor;
            this.image = image;
            this.md = newDigest(descriptor.digest().substring(0, descriptor.digest().indexOf(':')));
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                md.update((byte) b);
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                md.update(buf, off, n);
                counted(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            int r = read(buf, 0, buf.length);
            return Math.max(r, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        private void counted(int n) throws IOException {
            count += n;
            if (count > descriptor.size()) {
                throw new IOException("blob " + descriptor.digest() + " is larger than its descriptor's "
                        + descriptor.size() + " bytes");
            }
        }

        /** Reads whatever is left (up to the descriptor's size), then {@link #verify()}. */
        public void drainAndVerify() throws IOException {
            byte[] buf = new byte[1 << 16];
            while (read(buf, 0, buf.length) >= 0) {
                // hashing is the point
            }
            verify();
        }

        /** @throws ImagePullException ({@code DIGEST_MISMATCH}) if size or digest differ from the descriptor */
        public void verify() {
            String actual = descriptor.digest().substring(0, descriptor.digest().indexOf(':')) + ":"
                    + HexFormat.of().formatHex(md.digest());
            if (count != descriptor.size() || !actual.equals(descriptor.digest())) {
                throw new ImagePullException(image, Failure.DIGEST_MISMATCH, "failed to pull image \"" + image
                        + "\": layer " + descriptor.digest() + " does not match its digest (got " + actual + ", "
                        + count + " of " + descriptor.size() + " bytes)");
            }
        }
    }

    // ----------------------------------------------------------------------------------------------- helpers

    static boolean isIndex(String mediaType) {
        return mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_MANIFEST_LIST);
    }

    static String digest(String algorithm, byte[] data) {
        return algorithm + ":" + HexFormat.of().formatHex(newDigest(algorithm).digest(data));
    }

    private static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm.toUpperCase(Locale.ROOT).replace("SHA", "SHA-"));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equals("https") ? 443 : 80;
    }

    private static void closeQuietly(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException ignored) {
            // the response is done with
        }
    }

    private static String describe(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                List<String> parts = new ArrayList<>();
                for (JsonNode e : errors) {
                    parts.add(e.path("code").asText("") + (e.hasNonNull("message") ? ": "
                            + e.path("message").asText() : ""));
                }
                return " (registry says " + String.join("; ", parts) + ")";
            }
        } catch (IOException | RuntimeException ignored) {
            // not the registry's JSON error format
        }
        String s = body.strip().replaceAll("\\s+", " ");
        return " (" + (s.length() > 200 ? s.substring(0, 200) + "…" : s) + ")";
    }

    /** Why a connection failed, in words: the JDK reports a refused connection as a bare ClosedChannelException. */
    static String connectFailure(Throwable e, URI uri) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof UnresolvedAddressException || c instanceof UnknownHostException) {
                return "cannot resolve host " + uri.getHost();
            }
        }
        String m = e.getMessage();
        if (m != null && !m.isBlank()) {
            return "cannot connect to " + uri.getAuthority() + " (" + m + ")";
        }
        return "cannot connect to " + uri.getAuthority() + " (connection refused)";
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return c.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
