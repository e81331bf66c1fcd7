package io.jvirt.node.cpumanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The kubelet's CPU manager checkpoint ({@code pkg/kubelet/cm/cpumanager/state/checkpoint.go},
 * {@code CPUManagerCheckpointV2}), byte for byte:
 * <pre>{"policyName":"static","defaultCpuSet":"0-1,4-19","entries":{"POD-UID":{"compute":"2-3"}},"checksum":2779859136}</pre>
 * {@code entries} is left out when empty ({@code omitempty}); map keys are sorted as Go's {@code encoding/json}
 * sorts them.
 *
 * <p><b>Checksum.</b> The kubelet's {@code checksum.New} hashes the checkpoint (with {@code checksum} 0) with
 * FNV-1a 32-bit over {@code hashutil.DeepHashObject}'s rendering: go-spew {@code %#v} with sorted keys and
 * methods disabled. For this struct that rendering is
 * <pre>(*state.CPUManagerCheckpoint){PolicyName:(string)static DefaultCPUSet:(string)0-19 Entries:(map[string]map[string]string)map[] Checksum:(checksum.Checksum)0}</pre>
 * with entries as {@code map[UID:map[compute:2-3] UID2:map[...]]} (keys sorted, no types inside maps, strings
 * unquoted). {@link #computeChecksum()} reproduces it; it is checked against real kubelet files (Harvester's
 * {@code {"policyName":"static","defaultCpuSet":"0-19","checksum":31209605}}, the {@code 2779859136} one above,
 * and {@code {"policyName":"none","defaultCpuSet":"","checksum":1353318690}}). As in the kubelet, a checksum of 0
 * is accepted without verification (old file backend).
 */
public record CpuManagerCheckpoint(String policyName, String defaultCpuSet, Map<String, Map<String, String>> entries,
                                   long checksum) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public CpuManagerCheckpoint {
        TreeMap<String, Map<String, String>> copy = new TreeMap<>();
        entries.forEach((pod, containers) -> copy.put(pod, Collections.unmodifiableMap(new TreeMap<>(containers))));
        entries = Collections.unmodifiableMap(copy);
    }

    /** A checkpoint with its checksum computed, as the kubelet's {@code MarshalCheckpoint} writes it. */
    public static CpuManagerCheckpoint of(String policyName, String defaultCpuSet,
                                          Map<String, Map<String, String>> entries) {
        return new CpuManagerCheckpoint(policyName, defaultCpuSet, entries, 0).withChecksum();
    }

    private CpuManagerCheckpoint withChecksum() {
        return new CpuManagerCheckpoint(policyName, defaultCpuSet, entries, computeChecksum());
    }

    /** The kubelet's checksum of this checkpoint's content (ignoring the stored {@link #checksum()}). */
    public long computeChecksum() {
        StringBuilder sb = new StringBuilder("(*state.CPUManagerCheckpoint){PolicyName:(string)").append(policyName)
                .append(" DefaultCPUSet:(string)").append(defaultCpuSet)
                .append(" Entries:(map[string]map[string]string)map[");
        boolean firstPod = true;
        for (Map.Entry<String, Map<String, String>> pod : entries.entrySet()) {
            if (!firstPod) {
                sb.append(' ');
            }
            firstPod = false;
            sb.append(pod.getKey()).append(":map[");
            boolean first = true;
            for (Map.Entry<String, String> c : pod.getValue().entrySet()) {
                if (!first) {
                    sb.append(' ');
                }
                first = false;
                sb.append(c.getKey()).append(':').append(c.getValue());
            }
            sb.append(']');
        }
        sb.append("] Checksum:(checksum.Checksum)0}");
        return fnv32a(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The kubelet's {@code VerifyChecksum}: true when the stored checksum is 0 or matches the content. */
    public boolean checksumValid() {
        return checksum == 0 || checksum == computeChecksum();
    }

    /** The file content, as Go's {@code json.Marshal} of the kubelet's struct produces it (no trailing newline). */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"policyName\":");
        goString(sb, policyName);
        sb.append(",\"defaultCpuSet\":");
        goString(sb, defaultCpuSet);
        if (!entries.isEmpty()) {
            sb.append(",\"entries\":{");
            boolean firstPod = true;
            for (Map.Entry<String, Map<String, String>> pod : entries.entrySet()) {
                if (!firstPod) {
                    sb.append(',');
                }
                firstPod = false;
                goString(sb, pod.getKey());
                sb.append(":{");
                boolean first = true;
                for (Map.Entry<String, String> c : pod.getValue().entrySet()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    goString(sb, c.getKey());
                    sb.append(':');
                    goString(sb, c.getValue());
                }
                sb.append('}');
            }
            sb.append('}');
        }
        sb.append(",\"checksum\":").append(checksum).append('}');
        return sb.toString();
    }

    /**
     * Reads a checkpoint file's content. Fields the kubelet does not write are ignored, as Go does.
     *
     * @throws IOException with the reason when the content is not a V2 checkpoint
     */
    public static CpuManagerCheckpoint parse(String json) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("checkpoint is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IOException("checkpoint is not a JSON object");
        }
        String policy = text(root, "policyName");
        String def = text(root, "defaultCpuSet");
        Map<String, Map<String, String>> entries = new TreeMap<>();
        JsonNode e = root.get("entries");
        if (e != null && !e.isNull()) {
            if (!e.isObject()) {
                throw new IOException("checkpoint \"entries\" is not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> pod = it.next();
                if (!pod.getValue().isObject()) {
                    throw new IOException("checkpoint entry \"" + pod.getKey() + "\" is not an object of container "
                            + "cpusets (a pre-1.18 V1 checkpoint?)");
                }
                Map<String, String> containers = new TreeMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> ci = pod.getValue().fields(); ci.hasNext(); ) {
                    Map.Entry<String, JsonNode> c = ci.next();
                    if (!c.getValue().isTextual()) {
                        throw new IOException("checkpoint cpuset of " + pod.getKey() + "/" + c.getKey()
                                + " is not a string");
                    }
                    containers.put(c.getKey(), c.getValue().asText());
                }
                entries.put(pod.getKey(), containers);
            }
        }
        JsonNode ck = root.get("checksum");
        long checksum = 0;
        if (ck != null && !ck.isNull()) {
            if (!ck.canConvertToLong() || !ck.isIntegralNumber() || ck.asLong() < 0) {
                throw new IOException("checkpoint \"checksum\" is not an unsigned integer");
            }
            checksum = ck.asLong();
        }
        return new CpuManagerCheckpoint(policy, def, entries, checksum);
    }

    private static String text(JsonNode root, String field) throws IOException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return "";
        }
        if (!n.isTextual()) {
            throw new IOException("checkpoint \"" + field + "\" is not a string");
        }
        return n.asText();
    }

    /** FNV-1a, 32 bits (Go's {@code hash/fnv.New32a}). */
    static long fnv32a(byte[] data) {
        int h = 0x811c9dc5;
        for (byte b : data) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return h & 0xffffffffL;
    }

    /** A JSON string as Go's {@code encoding/json} escapes it (HTML-safe: {@code < > &} as \\u00XX). */
    static void goString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
