package io.jvirt.apiserver.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Request bodies in Kubernetes' protobuf encoding ({@code application/vnd.kubernetes.protobuf}), decoded into the JSON
 * the server works with. Typed client-go clients send it for built-in kinds (kubectl 1.32+ does for {@code kubectl
 * create namespace|configmap|secret|serviceaccount|service}); responses stay JSON, which those clients accept too.
 * <p>
 * A body is the magic {@code k8s\0} followed by a {@code runtime.Unknown} envelope holding the TypeMeta and the
 * object's own message. Field numbers are those of {@code k8s.io/api/core/v1/generated.proto} and
 * {@code k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto}. Go always encodes non-pointer fields, so their zero
 * values are dropped here (as {@code omitempty} would); pointer fields are kept as sent. Unknown fields are skipped,
 * as Go's decoder does. Kinds without a table here answer 415: send them as JSON.
 */
public final class ProtobufBodies {
    public static final String CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
    private static final byte[] MAGIC = {'k', '8', 's', 0};

    private enum Type { STRING, INT, BOOL, MESSAGE, STRING_MAP, BYTES_MAP, TIME, INT_OR_STRING }

    private record Field(String name, Type type, boolean repeated, boolean pointer, Message message) {
    }

    /** One message type: its fields by number. */
    private static final class Message {
        private final Map<Integer, Field> fields = new HashMap<>();

        private Message add(int number, String name, Type type, boolean repeated, boolean pointer, Message m) {
            fields.put(number, new Field(name, type, repeated, pointer, m));
            return this;
        }

        Message string(int n, String name) {
            return add(n, name, Type.STRING, false, false, null);
        }

        Message stringPtr(int n, String name) {
            return add(n, name, Type.STRING, false, true, null);
        }

        Message strings(int n, String name) {
            return add(n, name, Type.STRING, true, false, null);
        }

        Message integer(int n, String name) {
            return add(n, name, Type.INT, false, false, null);
        }

        Message integerPtr(int n, String name) {
            return add(n, name, Type.INT, false, true, null);
        }

        Message bool(int n, String name) {
            return add(n, name, Type.BOOL, false, false, null);
        }

        Message boolPtr(int n, String name) {
            return add(n, name, Type.BOOL, false, true, null);
        }

        Message time(int n, String name) {
            return add(n, name, Type.TIME, false, false, null);
        }

        Message intOrString(int n, String name) {
            return add(n, name, Type.INT_OR_STRING, false, false, null);
        }

        Message stringMap(int n, String name) {
            return add(n, name, Type.STRING_MAP, false, false, null);
        }

        Message bytesMap(int n, String name) {
            return add(n, name, Type.BYTES_MAP, false, false, null);
        }

        Message message(int n, String name, Message m) {
            return add(n, name, Type.MESSAGE, false, false, m);
        }

        Message messages(int n, String name, Message m) {
            return add(n, name, Type.MESSAGE, true, false, m);
        }
    }

    // ---------------------------------------------------------------- k8s.io/apimachinery meta/v1
    private static final Message OWNER_REFERENCE = new Message()
            .string(5, "apiVersion").string(1, "kind").string(3, "name").string(4, "uid")
            .boolPtr(6, "controller").boolPtr(7, "blockOwnerDeletion");
    private static final Message OBJECT_META = new Message()
            .string(1, "name").string(2, "generateName").string(3, "namespace").string(4, "selfLink")
            .string(5, "uid").string(6, "resourceVersion").integer(7, "generation")
            .time(8, "creationTimestamp").time(9, "deletionTimestamp").integerPtr(10, "deletionGracePeriodSeconds")
            .stringMap(11, "labels").stringMap(12, "annotations").messages(13, "ownerReferences", OWNER_REFERENCE)
            .strings(14, "finalizers");
    private static final Message CONDITION = new Message()
            .string(1, "type").string(2, "status").integer(3, "observedGeneration").time(4, "lastTransitionTime")
            .string(5, "reason").string(6, "message");

    // ---------------------------------------------------------------- k8s.io/api core/v1
    private static final Message OBJECT_REFERENCE = new Message()
            .string(1, "kind").string(2, "namespace").string(3, "name").string(4, "uid").string(5, "apiVersion")
            .string(6, "resourceVersion").string(7, "fieldPath");
    private static final Message LOCAL_OBJECT_REFERENCE = new Message().string(1, "name");
    private static final Message NAMESPACE_CONDITION = new Message()
            .string(1, "type").string(2, "status").time(4, "lastTransitionTime").string(5, "reason")
            .string(6, "message");
    private static final Message NAMESPACE = new Message()
            .message(1, "metadata", OBJECT_META)
            .message(2, "spec", new Message().strings(1, "finalizers"))
            .message(3, "status", new Message().string(1, "phase").messages(2, "conditions", NAMESPACE_CONDITION));
    private static final Message CONFIG_MAP = new Message()
            .message(1, "metadata", OBJECT_META).stringMap(2, "data").bytesMap(3, "binaryData")
            .boolPtr(4, "immutable");
    private static final Message SECRET = new Message()
            .message(1, "metadata", OBJECT_META).bytesMap(2, "data").string(3, "type").stringMap(4, "stringData")
            .boolPtr(5, "immutable");
    private static final Message SERVICE_ACCOUNT = new Message()
            .message(1, "metadata", OBJECT_META).messages(2, "secrets", OBJECT_REFERENCE)
            .messages(3, "imagePullSecrets", LOCAL_OBJECT_REFERENCE).boolPtr(4, "automountServiceAccountToken");
    private static final Message SERVICE_PORT = new Message()
            .string(1, "name").string(2, "protocol").integer(3, "port").intOrString(4, "targetPort")
            .integer(5, "nodePort").stringPtr(6, "appProtocol");
    private static final Message SERVICE_SPEC = new Message()
            .messages(1, "ports", SERVICE_PORT).stringMap(2, "selector").string(3, "clusterIP").string(4, "type")
            .strings(5, "externalIPs").string(7, "sessionAffinity").string(8, "loadBalancerIP")
            .strings(9, "loadBalancerSourceRanges").string(10, "externalName").string(11, "externalTrafficPolicy")
            .integer(12, "healthCheckNodePort").bool(13, "publishNotReadyAddresses")
            .message(14, "sessionAffinityConfig",
                    new Message().message(1, "clientIP", new Message().integerPtr(1, "timeoutSeconds")))
            .stringPtr(17, "ipFamilyPolicy").strings(18, "clusterIPs").strings(19, "ipFamilies")
            .boolPtr(20, "allocateLoadBalancerNodePorts").stringPtr(21, "loadBalancerClass")
            .stringPtr(22, "internalTrafficPolicy").stringPtr(23, "trafficDistribution");
    private static final Message SERVICE_STATUS = new Message()
            .message(1, "loadBalancer", new Message().messages(1, "ingress",
                    new Message().string(1, "ip").string(2, "hostname")))
            .messages(2, "conditions", CONDITION);
    private static final Message SERVICE = new Message()
            .message(1, "metadata", OBJECT_META).message(2, "spec", SERVICE_SPEC).message(3, "status", SERVICE_STATUS);

    /** The kinds decodable, by apiVersion/kind. */
    private static final Map<String, Message> KINDS = Map.of(
            "v1/Namespace", NAMESPACE,
            "v1/ConfigMap", CONFIG_MAP,
            "v1/Secret", SECRET,
            "v1/ServiceAccount", SERVICE_ACCOUNT,
            "v1/Service", SERVICE);

    private ProtobufBodies() {
    }

    /** Decodes a protobuf request body into the object's JSON form. */
    public static ObjectNode decode(byte[] body) {
        if (body.length < MAGIC.length || body[0] != MAGIC[0] || body[1] != MAGIC[1] || body[2] != MAGIC[2]
                || body[3] != MAGIC[3]) {
            throw ApiException.badRequest("the request body is not a Kubernetes protobuf object: it does not start "
                    + "with the 4-byte prefix \"k8s\\x00\"");
        }
        String apiVersion = "";
        String kind = "";
        byte[] raw = new byte[0];
        String encoding = "";
        Reader r = new Reader(body, MAGIC.length, body.length);
        while (r.more()) {
            long tag = r.varint();
            int number = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            switch (number) {
                case 1 -> {
                    Reader tm = r.sub(wire);
                    while (tm.more()) {
                        long t = tm.varint();
                        int n = (int) (t >>> 3);
                        if (n == 1) {
                            apiVersion = tm.string((int) (t & 7));
                        } else if (n == 2) {
                            kind = tm.string((int) (t & 7));
                        } else {
                            tm.skip((int) (t & 7));
                        }
                    }
                }
                case 2 -> raw = r.bytes(wire);
                case 3 -> encoding = r.string(wire);
                default -> r.skip(wire);
            }
        }
        if (!encoding.isEmpty()) {
            throw ApiException.unsupportedMediaType("the protobuf request body uses contentEncoding \"" + encoding
                    + "\", which is not supported; send it unencoded or as application/json");
        }
        Message m = KINDS.get(apiVersion + "/" + kind);
        if (m == null) {
            throw ApiException.unsupportedMediaType("the body of the request was in an unknown format - accepted "
                    + "media types include: application/json, application/yaml (" + CONTENT_TYPE + " only for v1 "
                    + "Namespace, ConfigMap, Secret, ServiceAccount and Service; got apiVersion \"" + apiVersion
                    + "\", kind \"" + kind + "\")");
        }
        ObjectNode o = Json.object();
        o.put("apiVersion", apiVersion);
        o.put("kind", kind);
        decodeInto(m, new Reader(raw, 0, raw.length), o);
        return o;
    }

    private static void decodeInto(Message m, Reader r, ObjectNode out) {
        while (r.more()) {
            long tag = r.varint();
            int wire = (int) (tag & 7);
            Field f = m.fields.get((int) (tag >>> 3));
            if (f == null) {
                r.skip(wire);
                continue;
            }
            switch (f.type()) {
                case STRING -> {
                    String s = r.string(wire);
                    if (f.repeated()) {
                        array(out, f.name()).add(s);
                    } else if (f.pointer() || !s.isEmpty()) {
                        out.put(f.name(), s);
                    }
                }
                case INT -> {
                    long v = r.number(wire);
                    if ((f.pointer() || v != 0) && v == (int) v) {
                        out.put(f.name(), (int) v);
                    } else if (f.pointer() || v != 0) {
                        out.put(f.name(), v);
                    }
                }
                case BOOL -> {
                    boolean v = r.number(wire) != 0;
                    if (f.pointer() || v) {
                        out.put(f.name(), v);
                    }
                }
                case TIME -> {
                    String t = time(r.sub(wire));
                    if (t != null) {
                        out.put(f.name(), t);
                    }
                }
                case INT_OR_STRING -> intOrString(r.sub(wire), out, f.name());
                case STRING_MAP, BYTES_MAP -> {
                    Reader e = r.sub(wire);
                    String key = "";
                    String value = "";
                    while (e.more()) {
                        long t = e.varint();
                        int n = (int) (t >>> 3);
                        if (n == 1) {
                            key = e.string((int) (t & 7));
                        } else if (n == 2) {
                            byte[] v = e.bytes((int) (t & 7));
                            value = f.type() == Type.BYTES_MAP ? Base64.getEncoder().encodeToString(v)
                                    : new String(v, StandardCharsets.UTF_8);
                        } else {
                            e.skip((int) (t & 7));
                        }
                    }
                    ObjectNode map = out.has(f.name()) ? (ObjectNode) out.get(f.name()) : out.putObject(f.name());
                    map.put(key, value);
                }
                case MESSAGE -> {
                    ObjectNode child = Json.object();
                    decodeInto(f.message(), r.sub(wire), child);
                    if (f.repeated()) {
                        array(out, f.name()).add(child);
                    } else if (!child.isEmpty()) {
                        out.set(f.name(), child);
                    }
                }
            }
        }
    }

    private static ArrayNode array(ObjectNode out, String name) {
        return out.has(name) ? (ArrayNode) out.get(name) : out.putArray(name);
    }

    /** A meta/v1 Time (seconds, nanos) as RFC 3339 with second precision; null for the zero time. */
    private static String time(Reader r) {
        long seconds = 0;
        long nanos = 0;
        while (r.more()) {
            long t = r.varint();
            int n = (int) (t >>> 3);
            if (n == 1) {
                seconds = r.number((int) (t & 7));
            } else if (n == 2) {
                nanos = r.number((int) (t & 7));
            } else {
                r.skip((int) (t & 7));
            }
        }
        if (seconds == 0 && nanos == 0) {
            return null;
        }
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(seconds).truncatedTo(ChronoUnit.SECONDS));
    }

    /** intstr.IntOrString: type (0 int, 1 string), intVal, strVal. The zero value (int 0) is left out. */
    private static void intOrString(Reader r, ObjectNode out, String name) {
        long type = 0;
        long intVal = 0;
        String strVal = "";
        while (r.more()) {
            long t = r.varint();
            int n = (int) (t >>> 3);
            switch (n) {
                case 1 -> type = r.number((int) (t & 7));
                case 2 -> intVal = r.number((int) (t & 7));
                case 3 -> strVal = r.string((int) (t & 7));
                default -> r.skip((int) (t & 7));
            }
        }
        if (type == 1) {
            out.put(name, strVal);
        } else if (intVal != 0) {
            out.put(name, (int) intVal);
        }
    }

    /** A protobuf wire-format reader over a slice of bytes; malformed input is a 400. */
    private static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        Reader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw malformed("truncated varint");
                }
                byte b = buf[pos++];
                v |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw malformed("varint longer than 10 bytes");
        }

        long number(int wire) {
            if (wire != 0) {
                throw malformed("expected a varint field, got wire type " + wire);
            }
            return varint();
        }

        private int length(int wire) {
            if (wire != 2) {
                throw malformed("expected a length-delimited field, got wire type " + wire);
            }
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw malformed("field length " + len + " runs past the end of its message");
            }
            return (int) len;
        }

        byte[] bytes(int wire) {
            int len = length(wire);
            byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return b;
        }

        String string(int wire) {
            int len = length(wire);
            String s = new String(buf, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        Reader sub(int wire) {
            int len = length(wire);
            Reader r = new Reader(buf, pos, pos + len);
            pos += len;
            return r;
        }

        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> advance(length(2));
                case 5 -> advance(4);
                default -> throw malformed("unsupported wire type " + wire);
            }
        }

        private void advance(int n) {
            if (n > end - pos) {
                throw malformed("truncated field");
            }
            pos += n;
        }

        private static ApiException malformed(String what) {
            return ApiException.badRequest("the protobuf request body is malformed: " + what);
        }
    }
}
