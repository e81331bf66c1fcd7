package io.jvirt.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OpenAPI v2 document as kubectl 1.27 and 1.28 require it: {@code GET /openapi/v2} with
 * {@code Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf}, a gnostic {@code openapi.v2.Document}
 * in protobuf encoding (they refuse to run apply or explain without it; later versions use v3 only).
 * <p>
 * Built from the v3 documents: every {@code components.schemas} entry becomes a {@code definitions} entry, with
 * {@code $ref}s rewritten to {@code #/definitions/…} and {@code x-kubernetes-*} extensions carried as vendor
 * extensions (gnostic stores their values as YAML text). Paths are left out: kubectl reads kinds from the
 * definitions' {@code x-kubernetes-group-version-kind}, and learns what the server supports from v3.
 * <p>
 * Field numbers are those of gnostic's {@code openapiv2/OpenAPIv2.proto}.
 */
public final class OpenApiV2Proto {
    /** What clients ask for in Accept. */
    public static final String ACCEPT_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    /** What kube-openapi answers with: Go's mime parser rejects the '@' of the request form in a Content-Type. */
    public static final String CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    // Document
    private static final int DOC_SWAGGER = 1;
    private static final int DOC_INFO = 2;
    private static final int DOC_PATHS = 8;
    private static final int DOC_DEFINITIONS = 9;
    // Info
    private static final int INFO_TITLE = 1;
    private static final int INFO_VERSION = 2;
    // Definitions / Properties: repeated NamedSchema additional_properties = 1
    private static final int NAMED_LIST = 1;
    // NamedSchema / NamedAny
    private static final int NAMED_NAME = 1;
    private static final int NAMED_VALUE = 2;
    // Any
    private static final int ANY_YAML = 2;
    // Schema
    private static final int S_REF = 1;
    private static final int S_FORMAT = 2;
    private static final int S_DESCRIPTION = 4;
    private static final int S_REQUIRED = 19;
    private static final int S_ENUM = 20;
    private static final int S_ADDITIONAL_PROPERTIES = 21;
    private static final int S_TYPE = 22;
    private static final int S_ITEMS = 23;
    private static final int S_ALL_OF = 24;
    private static final int S_PROPERTIES = 25;
    private static final int S_VENDOR_EXTENSION = 31;
    // AdditionalPropertiesItem (oneof)
    private static final int AP_SCHEMA = 1;
    private static final int AP_BOOLEAN = 2;
    // TypeItem / ItemsItem
    private static final int REPEATED_VALUE = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenApiV2Proto() {
    }

    /** Encodes the definitions of all v3 documents of {@code v3} into one v2 protobuf document. */
    public static byte[] fromV3(OpenApiV3 v3, String kubernetesVersion) {
        Map<String, JsonNode> definitions = new TreeMap<>();
        for (String path : v3.paths()) {
            byte[] doc = v3.document(path).orElseThrow();
            try {
                JsonNode schemas = JSON.readTree(doc).path("components").path("schemas");
                for (Iterator<Map.Entry<String, JsonNode>> it = schemas.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    definitions.putIfAbsent(e.getKey(), e.getValue());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return encode(definitions, kubernetesVersion);
    }

    static byte[] encode(Map<String, JsonNode> definitions, String version) {
        Proto doc = new Proto();
        doc.string(DOC_SWAGGER, "2.0");
        Proto info = new Proto();
        info.string(INFO_TITLE, "Kubernetes");
        info.string(INFO_VERSION, version);
        doc.message(DOC_INFO, info);
        doc.message(DOC_PATHS, new Proto());
        Proto defs = new Proto();
        for (Map.Entry<String, JsonNode> e : definitions.entrySet()) {
            defs.message(NAMED_LIST, named(e.getKey(), schema(e.getValue())));
        }
        doc.message(DOC_DEFINITIONS, defs);
        return doc.bytes();
    }

    private static Proto named(String name, Proto value) {
        Proto n = new Proto();
        n.string(NAMED_NAME, name);
        n.message(NAMED_VALUE, value);
        return n;
    }

    private static Proto schema(JsonNode s) {
        Proto p = new Proto();
        if (s.hasNonNull("$ref")) {
            p.string(S_REF, s.get("$ref").asText().replace("#/components/schemas/", "#/definitions/"));
        }
        if (s.hasNonNull("format")) {
            p.string(S_FORMAT, s.get("format").asText());
        }
        if (s.hasNonNull("description")) {
            p.string(S_DESCRIPTION, s.get("description").asText());
        }
        for (JsonNode r : s.path("required")) {
            p.string(S_REQUIRED, r.asText());
        }
        for (JsonNode v : s.path("enum")) {
            p.message(S_ENUM, any(v.isTextual() ? v.asText() : v.toString()));
        }
        JsonNode ap = s.get("additionalProperties");
        if (ap != null) {
            Proto item = new Proto();
            if (ap.isBoolean()) {
                item.bool(AP_BOOLEAN, ap.asBoolean());
            } else {
                item.message(AP_SCHEMA, schema(ap));
            }
            p.message(S_ADDITIONAL_PROPERTIES, item);
        }
        if (s.hasNonNull("type")) {
            Proto type = new Proto();
            type.string(REPEATED_VALUE, s.get("type").asText());
            p.message(S_TYPE, type);
        }
        if (s.has("items")) {
            Proto items = new Proto();
            items.message(REPEATED_VALUE, schema(s.get("items")));
            p.message(S_ITEMS, items);
        }
        for (JsonNode a : s.path("allOf")) {
            p.message(S_ALL_OF, schema(a));
        }
        JsonNode props = s.get("properties");
        if (props != null && props.isObject()) {
            Proto pp = new Proto();
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                pp.message(NAMED_LIST, named(e.getKey(), schema(e.getValue())));
            }
            p.message(S_PROPERTIES, pp);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("x-")) {
                Proto ext = new Proto();
                ext.string(NAMED_NAME, e.getKey());
                ext.message(NAMED_VALUE, any(yaml(e.getValue())));
                p.message(S_VENDOR_EXTENSION, ext);
            }
        }
        return p;
    }

    private static Proto any(String yaml) {
        Proto a = new Proto();
        a.string(ANY_YAML, yaml);
        return a;
    }

    /**
     * Vendor extension values as YAML text. JSON is valid YAML (flow style), which is all gnostic's YAML reader
     * needs: {@code true}, {@code "merge"}, {@code [{"group":"kubevirt.io",…}]}.
     */
    static String yaml(JsonNode v) {
        if (v instanceof ObjectNode || v.isArray()) {
            return v.toString() + "\n";
        }
        return (v.isTextual() ? JSON.valueToTree(v.asText()).toString() : v.toString()) + "\n";
    }

    /** A protobuf message being written: tag-length-value fields in order. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void string(int field, String value) {
            byte[] b = value.getBytes(StandardCharsets.UTF_8);
            tag(field, 2);
            varint(b.length);
            out.writeBytes(b);
        }

        void bool(int field, boolean value) {
            tag(field, 0);
            varint(value ? 1 : 0);
        }

        void message(int field, Proto m) {
            byte[] b = m.bytes();
            tag(field, 2);
            varint(b.length);
            out.writeBytes(b);
        }

        private void tag(int field, int wireType) {
            varint(((long) field << 3) | wireType);
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
