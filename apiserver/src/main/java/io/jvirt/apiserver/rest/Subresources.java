package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.HttpExchange;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.store.StoredObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * KubeVirt's {@code subresources.kubevirt.io/v1} API (virt-api's REST part): VM {@code start}, {@code stop},
 * {@code restart} change the VM through the same object semantics as any client would (runStrategy or
 * {@code status.stateChangeRequests}); VMI {@code pause}, {@code unpause}, {@code softreboot} and the guest agent's
 * {@code guestosinfo}, {@code userlist}, {@code filesystemlist} are forwarded to the node agent of the VMI's node.
 * Console and VNC (websockets) are served by {@link ConsoleProxy}.
 */
public final class Subresources {
    public static final String GROUP = "subresources.kubevirt.io";
    public static final String VERSION = "v1";
    static final List<String> VM_VERBS = List.of("start", "stop", "restart");
    static final List<String> VMI_VERBS = List.of("pause", "unpause", "softreboot", "guestosinfo", "userlist",
            "filesystemlist", "console", "vnc");
    /** VMI subresources read with GET (the rest take PUT). */
    private static final List<String> VMI_GET_VERBS = List.of("guestosinfo", "userlist", "filesystemlist", "console",
            "vnc");

    private final ObjectService service;
    private final ResourceType vms;
    private final ResourceType vmis;
    private final NodeEndpoints nodes;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public Subresources(ObjectService service, NodeEndpoints nodes) {
        this.service = service;
        this.vms = service.catalog().find("kubevirt.io", "v1", "virtualmachines").orElseThrow();
        this.vmis = service.catalog().find("kubevirt.io", "v1", "virtualmachineinstances").orElseThrow();
        this.nodes = nodes;
    }

    /** The APIResourceList of the group, for discovery. */
    public static ObjectNode discovery() {
        ObjectNode o = Json.object();
        o.put("kind", "APIResourceList");
        o.put("apiVersion", "v1");
        o.put("groupVersion", GROUP + "/" + VERSION);
        ArrayNode rs = o.putArray("resources");
        for (String v : VM_VERBS) {
            add(rs, "virtualmachines/" + v, "put");
        }
        for (String v : VMI_VERBS) {
            add(rs, "virtualmachineinstances/" + v, VMI_GET_VERBS.contains(v) ? "get" : "put");
        }
        return o;
    }

    private static void add(ArrayNode rs, String name, String verb) {
        ObjectNode r = rs.addObject();
        r.put("name", name);
        r.put("singularName", "");
        r.put("namespaced", true);
        r.put("kind", "");
        r.putArray("verbs").add(verb);
    }

    public void handle(HttpExchange ex, String ns, String resource, String name, String verb) {
        if (ns == null || name == null || verb == null) {
            throw ApiException.notFoundPath("the server could not find the requested resource: use "
                    + "/apis/" + GROUP + "/" + VERSION + "/namespaces/{ns}/virtualmachines/{name}/{start|stop|restart}"
                    + " or .../virtualmachineinstances/{name}/{pause|unpause|softreboot|guestosinfo|userlist|"
                    + "filesystemlist|console|vnc}");
        }
        switch (resource) {
            case "virtualmachines" -> {
                requireMethod(ex, "PUT", verb);
                JsonNode body = readOptionalBody(ex);
                switch (verb) {
                    case "start" -> start(ns, name);
                    case "stop" -> stop(ns, name, body);
                    case "restart" -> restart(ns, name, body);
                    default -> throw unknown(resource, verb);
                }
                ex.sendRaw(202, "text/plain; charset=utf-8", new byte[0]);
            }
            case "virtualmachineinstances" -> {
                switch (verb) {
                    case "pause", "unpause", "softreboot" -> {
                        requireMethod(ex, "PUT", verb);
                        forward(ex, ns, name, verb, "PUT");
                    }
                    case "guestosinfo", "userlist", "filesystemlist" -> {
                        requireMethod(ex, "GET", verb);
                        forward(ex, ns, name, verb, "GET");
                    }
                    case "console", "vnc" -> throw ApiException.badRequest(verb + " is a websocket: connect with an"
                            + " HTTP/1.1 Upgrade (e.g. `jvirt " + verb + " " + name + "`)");
                    default -> throw unknown(resource, verb);
                }
            }
            default -> throw ApiException.notFoundPath("the server could not find the requested resource: "
                    + GROUP + " has no resource \"" + resource + "\"");
        }
    }

    private static ApiException unknown(String resource, String verb) {
        return ApiException.notFoundPath("the server could not find the requested resource: " + resource
                + " has no subresource \"" + verb + "\"");
    }

    private static void requireMethod(HttpExchange ex, String method, String verb) {
        if (!ex.method().equals(method)) {
            throw ApiException.methodNotAllowed(verb + " takes " + method + ", not " + ex.method());
        }
    }

    private static JsonNode readOptionalBody(HttpExchange ex) {
        byte[] raw = ex.body();
        if (raw.length == 0) {
            return Json.object();
        }
        try {
            return Json.MAPPER.readTree(raw);
        } catch (IOException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getMessage());
        }
    }

    private ObjectNode vmi(String ns, String name) {
        StoredObject o = service.store().get(ObjectService.key(vmis, ns, name));
        return o == null ? null : Json.parseObject(o.json());
    }

    private static boolean active(ObjectNode vmi) {
        if (vmi == null) {
            return false;
        }
        String phase = vmi.path("status").path("phase").asText("");
        return !phase.equals("Succeeded") && !phase.equals("Failed");
    }

    private static String strategy(JsonNode vm) {
        JsonNode spec = vm.path("spec");
        if (spec.hasNonNull("runStrategy")) {
            return spec.get("runStrategy").asText();
        }
        return spec.path("running").asBoolean(false) ? "Always" : "Halted";
    }

    private void start(String ns, String name) {
        ObjectNode vm = Json.parseObject(service.get(vms, ns, name).json());
        if (active(vmi(ns, name))) {
            throw ApiException.conflict(vms, name, "VM is already running");
        }
        String strategy = strategy(vm);
        if (strategy.equals("Halted")) {
            setRunStrategy(ns, name, "Always");
        } else {
            addRequests(ns, name, List.of(request("Start", null)));
        }
    }

    private void stop(String ns, String name, JsonNode body) {
        ObjectNode vm = Json.parseObject(service.get(vms, ns, name).json());
        ObjectNode vmi = vmi(ns, name);
        String strategy = strategy(vm);
        if (strategy.equals("Halted") && !active(vmi)) {
            throw ApiException.conflict(vms, name, "VM is not running");
        }
        if (body.hasNonNull("gracePeriod") && vmi != null) {
            setGracePeriod(ns, name, body.get("gracePeriod").asLong());
        }
        if (strategy.equals("Manual")) {
            if (!active(vmi)) {
                throw ApiException.conflict(vms, name, "VM is not running");
            }
            addRequests(ns, name, List.of(request("Stop", vmi.path("metadata").path("uid").asText())));
        } else {
            setRunStrategy(ns, name, "Halted");
        }
    }

    private void restart(String ns, String name, JsonNode body) {
        ObjectNode vm = Json.parseObject(service.get(vms, ns, name).json());
        String strategy = strategy(vm);
        if (strategy.equals("Halted")) {
            throw ApiException.conflict(vms, name, "RunStategy Halted does not support manual restart requests");
        }
        ObjectNode vmi = vmi(ns, name);
        if (vmi == null) {
            throw ApiException.conflict(vms, name, "VM is not running");
        }
        if (body.hasNonNull("gracePeriodSeconds")) {
            setGracePeriod(ns, name, body.get("gracePeriodSeconds").asLong());
        }
        addRequests(ns, name, List.of(request("Stop", vmi.path("metadata").path("uid").asText()),
                request("Start", null)));
    }

    /** A stop/restart with a grace period overrides the VMI's own, as virtctl's --grace-period does. */
    private void setGracePeriod(String ns, String name, long seconds) {
        service.modify(vmis, ns, name, null, o -> {
            ((ObjectNode) o.path("spec")).put("terminationGracePeriodSeconds", seconds);
            return o;
        });
    }

    private static ObjectNode request(String action, String uid) {
        ObjectNode r = Json.object();
        r.put("action", action);
        if (uid != null) {
            r.put("uid", uid);
        }
        return r;
    }

    /** KubeVirt keeps the field the user chose: {@code running} stays {@code running}. */
    private void setRunStrategy(String ns, String name, String strategy) {
        service.modify(vms, ns, name, null, vm -> {
            ObjectNode spec = (ObjectNode) vm.path("spec");
            if (spec.has("running") && !spec.hasNonNull("runStrategy")) {
                spec.put("running", strategy.equals("Always"));
            } else {
                spec.put("runStrategy", strategy);
            }
            return vm;
        });
    }

    private void addRequests(String ns, String name, List<ObjectNode> requests) {
        service.modify(vms, ns, name, "status", vm -> {
            ObjectNode status = Json.with(vm, "status");
            JsonNode existing = status.path("stateChangeRequests");
            if (existing.isArray() && !existing.isEmpty()) {
                throw ApiException.conflict(vms, name, "the VM already has pending state change requests: "
                        + existing + "; wait for them to be processed");
            }
            ArrayNode arr = status.putArray("stateChangeRequests");
            requests.forEach(arr::add);
            return vm;
        });
    }

    private void forward(HttpExchange ex, String ns, String name, String verb, String method) {
        ObjectNode vmi = vmi(ns, name);
        if (vmi == null) {
            throw ApiException.notFound(vmis, name);
        }
        NodeEndpoints.Endpoint ep = nodes.forVmi(vmi)
                .orElseThrow(() -> ApiException.conflict(vmis, name, "VMI is not running on any node"));
        HttpRequest req = HttpRequest.newBuilder(URI.create(ep.url() + "/v1/namespaces/" + ns
                        + "/virtualmachineinstances/" + name + "/" + verb))
                .header("Authorization", "Bearer " + ep.token())
                .timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            String why = r.body().isEmpty() ? verb + " failed on the node" : r.body();
            if (r.statusCode() == 409) {
                // virt-api's errors.NewConflict(v1.Resource("virtualmachineinstance"), name, why)
                throw new ApiException(409, "Conflict", "Operation cannot be fulfilled on "
                        + "virtualmachineinstance.kubevirt.io \"" + name + "\": " + why, name, vmis, List.of(), null);
            }
            if (r.statusCode() >= 300) {
                throw new ApiException(500, "InternalError", why, name, vmis, List.of(), null);
            }
            ex.sendRaw(200, "application/json", r.body().isEmpty() ? new byte[0]
                    : r.body().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw ApiException.unavailable("the node agent of VMI " + ns + "/" + name + " did not answer: "
                    + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted");
        }
    }

    static String decode(JsonNode secretData, String key) {
        String v = secretData.path(key).asText("");
        return new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
    }
}
