package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Test helpers: lenient JSON (unquoted names, single quotes) for compact specs, VMIs, VMs and KubeVirt CRs. */
final class Specs {
    static final ObjectMapper LENIENT = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES)
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private Specs() {
    }

    static ObjectNode obj(String json) {
        try {
            return (ObjectNode) LENIENT.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A VMI named {@code v} with the given spec. */
    static ObjectNode vmi(String spec) {
        ObjectNode o = obj("{apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', "
                + "metadata: {name: 'v', namespace: 'default'}}");
        o.set("spec", obj(spec));
        return o;
    }

    /** A VM named {@code vm} with the given spec. */
    static ObjectNode vm(String spec) {
        ObjectNode o = obj("{apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', "
                + "metadata: {name: 'vm', namespace: 'default'}}");
        o.set("spec", obj(spec));
        return o;
    }

    /** A cluster config from a KubeVirt CR's {@code spec.configuration}. */
    static ClusterConfig config(String configuration) {
        ObjectNode cr = obj("{apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: {name: 'kubevirt', "
                + "namespace: 'kubevirt'}, spec: {}}");
        ((ObjectNode) cr.get("spec")).set("configuration", obj(configuration));
        return ClusterConfig.from(cr, null);
    }

    static ClusterConfig gates(String... gates) {
        StringBuilder sb = new StringBuilder("{developerConfiguration: {featureGates: [");
        for (int i = 0; i < gates.length; i++) {
            sb.append(i == 0 ? "" : ", ").append('\'').append(gates[i]).append('\'');
        }
        return config(sb.append("]}}").toString());
    }
}
