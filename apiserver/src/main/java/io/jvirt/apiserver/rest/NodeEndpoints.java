package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.store.StoredObject;

import java.util.Optional;

/**
 * Where the node agent of a node listens and the token it expects: published by the agent in the Secret
 * {@code kubevirt/jvirt-node-agent-<node>} (keys {@code endpoint}, {@code token}), as a kubelet's address is
 * published in its Node.
 */
public final class NodeEndpoints {
    /** Namespace of the node agents' endpoint secrets. */
    static final String NAMESPACE = "kubevirt";

    public record Endpoint(String url, String token) {
    }

    private final ObjectService service;
    private final ResourceType secrets;

    public NodeEndpoints(ObjectService service) {
        this.service = service;
        this.secrets = service.catalog().find("", "v1", "secrets").orElseThrow();
    }

    public Optional<Endpoint> forNode(String node) {
        StoredObject s = service.store().get(ObjectService.key(secrets, NAMESPACE, "jvirt-node-agent-" + node));
        if (s == null) {
            return Optional.empty();
        }
        JsonNode data = Json.parseObject(s.json()).path("data");
        return Optional.of(new Endpoint(Subresources.decode(data, "endpoint"), Subresources.decode(data, "token")));
    }

    public Optional<Endpoint> forVmi(JsonNode vmi) {
        String node = vmi.path("status").path("nodeName").asText("");
        return node.isEmpty() ? Optional.empty() : forNode(node);
    }
}
