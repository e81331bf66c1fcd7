package io.jvirt.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bodies below are what kubectl 1.33 sends (captured with -v=9). */
class ProtobufBodiesTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s);
    }

    @Test
    void namespaceFromKubectlCreateNamespace() throws Exception {
        byte[] body = hex("6b 38 73 00 0a 0f 0a 02 76 31 12 09 4e 61 6d 65 73 70 61 63 65 12 1b 0a 13 0a 03 74 33 33"
                + " 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 12 00 1a 02 0a 00 1a 00 22 00");
        assertThat((JsonNode) ProtobufBodies.decode(body))
                .isEqualTo(json("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"t33\"}}"));
    }

    @Test
    void configMapWithData() throws Exception {
        byte[] body = hex("6b 38 73 00 0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70 12 33 0a 16 0a 03 63 6d 78"
                + " 12 00 1a 03 74 32 39 22 00 2a 00 32 00 38 00 42 00 12 0d 0a 05 63 6f 6c 6f 72 12 04 62 6c 75 65"
                + " 12 0a 0a 04 73 69 7a 65 12 02 31 30 1a 00 22 00");
        assertThat((JsonNode) ProtobufBodies.decode(body)).isEqualTo(json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                + "\"metadata\":{\"name\":\"cmx\",\"namespace\":\"t29\"},\"data\":{\"color\":\"blue\",\"size\":\"10\"}}"));
    }

    @Test
    void secretDataIsBase64() throws Exception {
        byte[] body = hex("6b 38 73 00 0a 0c 0a 02 76 31 12 06 53 65 63 72 65 74 12 27 0a 15 0a 02 73 78 12 00 1a 03"
                + " 74 32 39 22 00 2a 00 32 00 38 00 42 00 12 0c 0a 02 70 77 12 06 73 33 63 72 65 74 1a 00 1a 00 22 00");
        assertThat((JsonNode) ProtobufBodies.decode(body)).isEqualTo(json("{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
                + "\"metadata\":{\"name\":\"sx\",\"namespace\":\"t29\"},\"data\":{\"pw\":\"czNjcmV0\"}}"));
    }

    @Test
    void serviceWithPortsSelectorAndIntOrString() throws Exception {
        byte[] body = hex("6b 38 73 00 0a 0d 0a 02 76 31 12 07 53 65 72 76 69 63 65 12 6b 0a 22 0a 03 73 76 78 12 00"
                + " 1a 03 74 32 39 22 00 2a 00 32 00 38 00 42 00 5a 0a 0a 03 61 70 70 12 03 73 76 78 12 41 0a 1b 0a"
                + " 07 38 30 2d 38 30 38 30 12 03 54 43 50 18 50 22 07 08 00 10 90 3f 1a 00 28 00 12 0a 0a 03 61 70"
                + " 70 12 03 73 76 78 1a 00 22 08 4e 6f 64 65 50 6f 72 74 3a 00 42 00 52 00 5a 00 60 00 68 00 1a 02"
                + " 0a 00 1a 00 22 00");
        assertThat((JsonNode) ProtobufBodies.decode(body)).isEqualTo(json("{\"apiVersion\":\"v1\",\"kind\":\"Service\","
                + "\"metadata\":{\"name\":\"svx\",\"namespace\":\"t29\",\"labels\":{\"app\":\"svx\"}},"
                + "\"spec\":{\"ports\":[{\"name\":\"80-8080\",\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080}],"
                + "\"selector\":{\"app\":\"svx\"},\"type\":\"NodePort\"}}"));
    }

    @Test
    void serviceAccount() throws Exception {
        byte[] body = hex("6b 38 73 00 0a 14 0a 02 76 31 12 0e 53 65 72 76 69 63 65 41 63 63 6f 75 6e 74 12 18 0a 16"
                + " 0a 03 73 61 78 12 00 1a 03 74 32 39 22 00 2a 00 32 00 38 00 42 00 1a 00 22 00");
        assertThat((JsonNode) ProtobufBodies.decode(body)).isEqualTo(json("{\"apiVersion\":\"v1\","
                + "\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sax\",\"namespace\":\"t29\"}}"));
    }

    @Test
    void kindsWithoutATableAre415() {
        // envelope for v1/Pod with an empty raw object
        byte[] body = hex("6b 38 73 00 0a 09 0a 02 76 31 12 03 50 6f 64 12 00");
        assertThatThrownBy(() -> ProtobufBodies.decode(body)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.code()).isEqualTo(415));
    }

    @Test
    void malformedBodiesAre400() {
        assertThatThrownBy(() -> ProtobufBodies.decode("{}".getBytes())).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.code()).isEqualTo(400));
        // the TypeMeta claims 15 bytes but the body ends
        assertThatThrownBy(() -> ProtobufBodies.decode(hex("6b 38 73 00 0a 0f 0a 02 76 31")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
    }
}
