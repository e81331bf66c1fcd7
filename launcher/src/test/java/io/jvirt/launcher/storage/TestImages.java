package io.jvirt.launcher.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

/** Builds containerDisk images for tests: layers, config, OCI / Docker schema 2 manifests and indexes. */
public final class TestImages {

    static final ObjectMapper JSON = new ObjectMapper();

    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

    /** Content plus its media type. */
    public record Blob(String mediaType, byte[] data) {
        public String digest() {
            return RegistryClient.digest("sha256", data);
        }

        ObjectNode descriptor() {
            ObjectNode d = JSON.createObjectNode();
            d.put("mediaType", mediaType);
            d.put("digest", digest());
            d.put("size", data.length);
            return d;
        }
    }

    private TestImages() {
    }

    /** A layer as KubeVirt's containerDisk Dockerfile makes it: {@code disk/} and one file in it. */
    public static byte[] diskLayer(String name, Path disk, boolean gzip) {
        return tar(t -> t.dir("disk").file("disk/" + name, disk), gzip);
    }

    static byte[] tar(Consumer<TestTar> content, boolean gzip) {
        byte[] tar = TestTar.bytes(content);
        return gzip ? gzip(tar) : tar;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static Blob config(boolean oci) {
        ObjectNode c = JSON.createObjectNode();
        c.put("architecture", "amd64");
        c.put("os", "linux");
        c.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        c.putObject("config");
        return new Blob(oci ? OCI_CONFIG : DOCKER_CONFIG, json(c));
    }

    /** An image manifest: OCI ({@code oci}) or Docker schema 2. */
    public static Blob manifest(boolean oci, Blob config, List<Blob> layers) {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", oci ? RegistryClient.OCI_MANIFEST : RegistryClient.DOCKER_MANIFEST);
        m.set("config", config.descriptor());
        ArrayNode ls = m.putArray("layers");
        layers.forEach(l -> ls.add(l.descriptor()));
        return new Blob(oci ? RegistryClient.OCI_MANIFEST : RegistryClient.DOCKER_MANIFEST, json(m));
    }

    /** An index (OCI) or manifest list (Docker) of {@code manifests}, each with its "os/arch" platform. */
    static Blob index(boolean oci, List<Blob> manifests, List<String> platforms) {
        ObjectNode ix = JSON.createObjectNode();
        ix.put("schemaVersion", 2);
        ix.put("mediaType", oci ? RegistryClient.OCI_INDEX : RegistryClient.DOCKER_MANIFEST_LIST);
        ArrayNode ms = ix.putArray("manifests");
        for (int i = 0; i < manifests.size(); i++) {
            ObjectNode d = manifests.get(i).descriptor();
            String[] p = platforms.get(i).split("/");
            d.putObject("platform").put("os", p[0]).put("architecture", p[1]);
            ms.add(d);
        }
        return new Blob(oci ? RegistryClient.OCI_INDEX : RegistryClient.DOCKER_MANIFEST_LIST, json(ix));
    }

    private static byte[] json(ObjectNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
