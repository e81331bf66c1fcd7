package io.jvirt.launcher.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Builds the cloud-init ISO of a {@code cloudInitNoCloud} or {@code cloudInitConfigDrive} volume, like KubeVirt's
 * {@code pkg/cloud-init}:
 * <ul>
 * <li>NoCloud: {@code noCloud.iso}, volume id {@code cidata}, files {@code meta-data} (JSON: {@code instance-id},
 * {@code local-hostname}, optional {@code instance-type}, {@code public-keys}), {@code user-data},
 * {@code network-config} (only when there is network data).</li>
 * <li>ConfigDrive: {@code configdrive.iso}, volume id {@code config-2}, files
 * {@code openstack/latest/meta_data.json} ({@code instance_id} = name.namespace, {@code uuid}, {@code hostname},
 * {@code name}, optional {@code instance_type}, {@code public_keys}), {@code openstack/latest/user_data},
 * {@code openstack/latest/network_data.json} (only when there is network data).</li>
 * </ul>
 * User/network data come from {@code userData} / {@code userDataBase64} / {@code secretRef} (alias
 * {@code userDataSecretRef}) and {@code networkData} / {@code networkDataBase64} / {@code networkDataSecretRef}; a
 * secret's data is read from key {@code userdata} or {@code userData} ({@code networkdata} / {@code networkData}),
 * as KubeVirt reads its mounted secret volumes. SSH keys of {@code spec.accessCredentials} whose
 * {@code propagationMethod} is {@code noCloud} / {@code configDrive} become {@code public-keys}. The image is made
 * with {@code xorrisofs -output X -volid ID -joliet -rock -partition_cyl_align on DIR}.
 */
public final class CloudInitIsoBuilder {

    public static final String NO_CLOUD = "cloudInitNoCloud";
    public static final String CONFIG_DRIVE = "cloudInitConfigDrive";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String xorrisofs;

    public CloudInitIsoBuilder() {
        this("xorrisofs");
    }

    public CloudInitIsoBuilder(String xorrisofs) {
        this.xorrisofs = xorrisofs;
    }

    /**
     * Builds the ISO for volume {@code volumeName} of {@code vmi} into {@code outputDir}.
     *
     * @param secrets secret name → decoded secret data (key → value), or null when there is no such secret
     * @return the ISO file ({@code outputDir/noCloud.iso} or {@code outputDir/configdrive.iso})
     * @throws StorageException if the volume has no cloud-init source or no data, a secret is missing, or
     *                          xorrisofs fails
     */
    public Path build(JsonNode vmi, String volumeName, Path outputDir,
                      Function<String, Map<String, String>> secrets) {
        JsonNode volume = findVolume(vmi, volumeName);
        boolean noCloud = volume.has(NO_CLOUD);
        if (!noCloud && !volume.has(CONFIG_DRIVE)) {
            throw new StorageException("volume '" + volumeName + "' is not a cloud-init volume");
        }
        JsonNode source = volume.path(noCloud ? NO_CLOUD : CONFIG_DRIVE);
        String userData = data(source, "userData", "userDataBase64", volumeName);
        String networkData = data(source, "networkData", "networkDataBase64", volumeName);
        String userRef = secretName(source.path("secretRef"), source.path("userDataSecretRef"));
        if (userRef != null) {
            String v = secretValue(secrets, userRef, volumeName, "userdata", "userData");
            if (v != null) {
                userData = v;
            }
        }
        String networkRef = secretName(source.path("networkDataSecretRef"), null);
        if (networkRef != null) {
            String v = secretValue(secrets, networkRef, volumeName, "networkdata", "networkData");
            if (v != null) {
                networkData = v;
            }
        }
        if (userData.isEmpty() && networkData.isEmpty()) {
            if (userRef != null || networkRef != null) {
                throw new StorageException("volume '" + volumeName + "': no cloud-init data found in secret "
                        + (userRef != null ? userRef : networkRef)
                        + " (expected key userdata/userData or networkdata/networkData)");
            }
            throw new StorageException("volume '" + volumeName + "': userDataBase64, userData, networkDataBase64 "
                    + "or networkData is required for a cloud-init data source");
        }
        Map<String, String> keys = sshKeys(vmi, noCloud ? "noCloud" : "configDrive", secrets);
        try {
            Files.createDirectories(outputDir);
            Path data = outputDir.resolve("data");
            deleteTree(data);
            Path files = noCloud ? data : data.resolve("openstack").resolve("latest");
            Files.createDirectories(files);
            if (noCloud) {
                write(files.resolve("meta-data"), noCloudMetaData(vmi, keys));
                write(files.resolve("user-data"), userData);
                if (!networkData.isEmpty()) {
                    write(files.resolve("network-config"), networkData);
                }
            } else {
                write(files.resolve("meta_data.json"), configDriveMetaData(vmi, keys));
                write(files.resolve("user_data"), userData);
                if (!networkData.isEmpty()) {
                    write(files.resolve("network_data.json"), networkData);
                }
            }
            Path iso = outputDir.resolve(noCloud ? "noCloud.iso" : "configdrive.iso");
            Path staging = outputDir.resolve(iso.getFileName() + ".staging");
            Files.deleteIfExists(staging);
            try {
                Commands.run(List.of(xorrisofs, "-output", staging.toString(), "-volid",
                        noCloud ? "cidata" : "config-2", "-joliet", "-rock", "-partition_cyl_align", "on",
                        data.toString()), TIMEOUT);
                Files.move(staging, iso, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(staging);
                deleteTree(data); // user data may hold secrets: keep them only inside the ISO
            }
            return iso;
        } catch (IOException e) {
            throw new StorageException("volume '" + volumeName + "': cannot build cloud-init ISO in " + outputDir
                    + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code xorrisofs} can be run. */
    public boolean available() {
        try {
            return Commands.runAllowingFailure(List.of(xorrisofs, "-version"), Duration.ofSeconds(10))
                    .exitCode() == 0;
        } catch (StorageException e) {
            return false;
        }
    }

    // --------------------------------------------------------------------------------------------- meta-data

    /** KubeVirt's {@code dns.SanitizeHostname}: spec.hostname, else the VMI name up to its first dot (≤ 63). */
    static String hostname(JsonNode vmi) {
        String h = vmi.path("spec").path("hostname").asText("");
        if (!h.isEmpty()) {
            return h;
        }
        String name = vmi.path("metadata").path("name").asText("");
        int dot = name.indexOf('.');
        if (dot >= 0) {
            name = name.substring(0, dot);
        }
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** spec.domain.firmware.uuid (which KubeVirt always sets), else metadata.uid, else name.namespace. */
    static String instanceUuid(JsonNode vmi) {
        String fw = vmi.path("spec").path("domain").path("firmware").path("uuid").asText("");
        if (!fw.isEmpty()) {
            return fw;
        }
        String uid = vmi.path("metadata").path("uid").asText("");
        return uid.isEmpty() ? nameDotNamespace(vmi) : uid;
    }

    private static String nameDotNamespace(JsonNode vmi) {
        JsonNode md = vmi.path("metadata");
        return md.path("name").asText("") + "." + md.path("namespace").asText("default");
    }

    private static String instanceType(JsonNode vmi) {
        JsonNode ann = vmi.path("metadata").path("annotations");
        String t = ann.path("kubevirt.io/cluster-instancetype-name").asText("");
        return t.isEmpty() ? ann.path("kubevirt.io/instancetype-name").asText("") : t;
    }

    private static String noCloudMetaData(JsonNode vmi, Map<String, String> keys) throws JsonProcessingException {
        ObjectNode md = JSON.createObjectNode();
        String type = instanceType(vmi);
        if (!type.isEmpty()) {
            md.put("instance-type", type);
        }
        md.put("instance-id", instanceUuid(vmi));
        String host = hostname(vmi);
        if (!host.isEmpty()) {
            md.put("local-hostname", host);
        }
        if (!keys.isEmpty()) {
            md.set("public-keys", JSON.valueToTree(keys));
        }
        return JSON.writeValueAsString(md);
    }

    private static String configDriveMetaData(JsonNode vmi, Map<String, String> keys)
            throws JsonProcessingException {
        ObjectNode md = JSON.createObjectNode();
        String type = instanceType(vmi);
        if (!type.isEmpty()) {
            md.put("instance_type", type);
        }
        md.put("instance_id", nameDotNamespace(vmi));
        md.put("uuid", instanceUuid(vmi));
        String host = hostname(vmi);
        if (!host.isEmpty()) {
            md.put("hostname", host);
        }
        md.put("name", vmi.path("metadata").path("name").asText(""));
        if (!keys.isEmpty()) {
            md.set("public_keys", JSON.valueToTree(keys));
        }
        return JSON.writeValueAsString(md);
    }

    /** SSH keys from access credentials propagated by {@code method}: "0", "1", ... in secret-key order. */
    private static Map<String, String> sshKeys(JsonNode vmi, String method,
                                               Function<String, Map<String, String>> secrets) {
        Map<String, String> out = new TreeMap<>(Comparator.comparingInt(Integer::parseInt));
        int i = 0;
        for (JsonNode cred : vmi.path("spec").path("accessCredentials")) {
            JsonNode ssh = cred.path("sshPublicKey");
            if (!ssh.path("propagationMethod").has(method)) {
                continue;
            }
            String secret = ssh.path("source").path("secret").path("secretName").asText("");
            if (secret.isEmpty()) {
                continue;
            }
            Map<String, String> data = secrets == null ? null : secrets.apply(secret);
            if (data == null) {
                throw new StorageException("accessCredentials: secret '" + secret + "' not found");
            }
            for (String v : new TreeMap<>(data).values()) {
                if (v != null && !v.isEmpty()) {
                    out.put(Integer.toString(i++), v);
                }
            }
        }
        return out;
    }

    // --------------------------------------------------------------------------------------------- helpers

    private static JsonNode findVolume(JsonNode vmi, String name) {
        for (JsonNode v : vmi.path("spec").path("volumes")) {
            if (name.equals(v.path("name").asText())) {
                return v;
            }
        }
        throw new StorageException("volume '" + name + "' not found in spec.volumes");
    }

    private static String data(JsonNode source, String raw, String b64, String volume) {
        String r = source.path(raw).asText("");
        if (!r.isEmpty()) {
            return r;
        }
        String enc = source.path(b64).asText("");
        if (enc.isEmpty()) {
            return "";
        }
        try {
            return new String(Base64.getMimeDecoder().decode(enc), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new StorageException("volume '" + volume + "': " + b64 + " is not valid base64");
        }
    }

    private static String secretName(JsonNode ref, JsonNode alt) {
        String n = ref.path("name").asText("");
        if (n.isEmpty() && alt != null) {
            n = alt.path("name").asText("");
        }
        return n.isEmpty() ? null : n;
    }

    private static String secretValue(Function<String, Map<String, String>> secrets, String secret,
                                      String volume, String... keys) {
        Map<String, String> data = secrets == null ? null : secrets.apply(secret);
        if (data == null) {
            throw new StorageException("volume '" + volume + "': secret '" + secret + "' not found");
        }
        for (String k : keys) {
            String v = data.get(k);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
