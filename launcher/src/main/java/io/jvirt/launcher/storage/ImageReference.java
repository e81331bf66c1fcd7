package io.jvirt.launcher.storage;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A parsed container image reference, normalized as Docker and containerd do ({@code distribution/reference}'s
 * {@code ParseNormalizedNamed}): a first path component that contains {@code .} or {@code :} or is
 * {@code localhost} names the registry, otherwise the registry is {@code docker.io}; a one-component repository on
 * Docker Hub gets {@code library/}; no tag and no digest means {@code :latest}; with both, the digest decides what is
 * pulled.
 *
 * <pre>
 * cirros                                   → docker.io/library/cirros:latest
 * quay.io/kubevirt/cirros-container-disk-demo:v1.6
 * localhost:5000/jvirt/test-guest@sha256:… → registry localhost:5000, repository jvirt/test-guest, digest
 * </pre>
 *
 * @param registry   registry name as written ({@code docker.io}, {@code quay.io}, {@code 127.0.0.1:5000},
 *                   {@code [::1]:5000})
 * @param repository repository path ({@code library/cirros})
 * @param tag        tag, or null for a digest-only reference
 * @param digest     {@code algorithm:hex}, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {

    public static final String DOCKER_HUB = "docker.io";
    /** Where Docker Hub's registry API is served (its name {@code docker.io} is not an API host). */
    public static final String DOCKER_HUB_API = "registry-1.docker.io";

    // distribution/reference grammar (reference/regexp.go)
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})");
    private static final Pattern HOST = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                    + "|\\[[0-9a-fA-F:.]+])(?::[0-9]+)?");

    /**
     * Parses and normalizes {@code reference}.
     *
     * @throws IllegalArgumentException with a message saying what is wrong
     */
    public static ImageReference parse(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("image reference must not be empty");
        }
        String s = reference.strip();
        String digest = null;
        int at = s.indexOf('@');
        if (at >= 0) {
            digest = s.substring(at + 1);
            s = s.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw new IllegalArgumentException("invalid digest '" + digest + "' in image reference '"
                        + reference + "' (expected sha256:<64 hex digits>)");
            }
        }
        String tag = null;
        int colon = s.lastIndexOf(':');
        if (colon > s.lastIndexOf('/') && colon > s.lastIndexOf(']')) {
            tag = s.substring(colon + 1);
            s = s.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid tag '" + tag + "' in image reference '" + reference
                        + "'");
            }
        }
        String registry;
        String path;
        int slash = s.indexOf('/');
        String head = slash < 0 ? "" : s.substring(0, slash);
        if (slash > 0 && (head.contains(".") || head.contains(":") || head.equals("localhost")
                || head.startsWith("[") || !head.equals(head.toLowerCase(Locale.ROOT)))) {
            registry = head;
            path = s.substring(slash + 1);
            if (!HOST.matcher(registry).matches()) {
                throw new IllegalArgumentException("invalid registry '" + registry + "' in image reference '"
                        + reference + "'");
            }
        } else {
            registry = DOCKER_HUB;
            path = s;
        }
        if (registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("invalid image reference '" + reference + "': no repository");
        }
        for (String c : path.split("/", -1)) {
            if (!COMPONENT.matcher(c).matches()) {
                throw new IllegalArgumentException("invalid repository '" + path + "' in image reference '"
                        + reference + "' (components are lower-case letters, digits and . _ - separators)");
            }
        }
        if (path.length() + registry.length() + 1 > 255) {
            throw new IllegalArgumentException("image reference '" + reference + "' is longer than 255 characters");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(registry, path, tag, digest);
    }

    /** {@code registry/repository}. */
    public String name() {
        return registry + "/" + repository;
    }

    /** What a manifest is fetched by: the digest if there is one, else the tag. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** {@code host[:port]} of the registry's HTTP API ({@code docker.io} → {@code registry-1.docker.io}). */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry;
    }

    /** The registry's host without a port (IPv6 literals keep their brackets). */
    public String host() {
        return hostOf(registry);
    }

    /**
     * Whether the registry is on the loopback interface ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]}): such
     * registries are talked to over plain HTTP, as containerd does for loopback hosts.
     */
    public boolean loopback() {
        String h = host();
        return h.equals("localhost") || h.equals("[::1]") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    static String hostOf(String registry) {
        if (registry.startsWith("[")) {
            int end = registry.indexOf(']');
            return end < 0 ? registry : registry.substring(0, end + 1);
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

    /** The fully qualified form: {@code registry/repository[:tag][@digest]}. */
    @Override
    public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
