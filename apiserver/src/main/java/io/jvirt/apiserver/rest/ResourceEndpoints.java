package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.HttpExchange;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.patch.PatchType;
import io.jvirt.apiserver.store.Store;
import io.jvirt.apiserver.store.StoredObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;

/** The verbs on resource paths: get, list, watch, create, update, patch, delete, deletecollection. */
public final class ResourceEndpoints {
    private final ObjectService service;
    private final WatchStreams watches;

    public ResourceEndpoints(ObjectService service, WatchStreams watches) {
        this.service = service;
        this.watches = watches;
    }

    public void get(HttpExchange ex, ResourceType rt, String ns, String name) {
        StoredObject o = service.get(rt, ns, name);
        if (ex.wantsTable()) {
            ObjectNode obj = Json.parseObject(o.json());
            ex.send(200, TableConverter.table(rt, List.of(obj), Long.toString(o.resourceVersion()), null,
                    ex.query("includeObject")));
        } else {
            ex.send(200, o.json());
        }
    }

    public void list(HttpExchange ex, ResourceType rt, String ns) {
        Predicate<StoredObject> filter = filter(ex, rt);
        int limit = parseLimit(ex.query("limit"));
        String after = null;
        String token = ex.query("continue");
        if (token != null && !token.isEmpty()) {
            after = decodeContinue(token);
        }
        Store.ListResult r = service.store().list(rt.storageKey(), ns, filter, after, limit);
        String next = null;
        if (r.more() && !r.items().isEmpty()) {
            next = encodeContinue(r.resourceVersion(), r.items().getLast().key().sortKey());
        }
        String rv = Long.toString(r.resourceVersion());
        if (ex.wantsTable()) {
            List<ObjectNode> objs = new ArrayList<>(r.items().size());
            for (StoredObject so : r.items()) {
                objs.add(Json.parseObject(so.json()));
            }
            ex.send(200, TableConverter.table(rt, objs, rv, next, ex.query("includeObject")));
            return;
        }
        // The list is the stored bytes themselves: no parse, no re-serialization, no joined copy.
        List<byte[]> parts = new ArrayList<>(r.items().size() * 2 + 2);
        parts.add(("{\"kind\":\"" + rt.listKind() + "\",\"apiVersion\":\"" + rt.apiVersion()
                + "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\""
                + (next == null ? "" : ",\"continue\":\"" + next + "\"") + "},\"items\":[")
                .getBytes(StandardCharsets.UTF_8));
        byte[] comma = {','};
        boolean first = true;
        for (StoredObject so : r.items()) {
            if (!first) {
                parts.add(comma);
            }
            first = false;
            parts.add(so.json());
        }
        parts.add("]}".getBytes(StandardCharsets.UTF_8));
        ex.sendParts(200, "application/json", parts);
    }

    public void watch(HttpExchange ex, ResourceType rt, String ns, String name) {
        watches.serve(ex, rt, ns, name, filter(ex, rt));
    }

    public void create(HttpExchange ex, ResourceType rt, String ns) {
        ObjectNode body = ex.bodyObject();
        ObjectService.Result r = service.create(rt, ns, body, options(ex));
        ex.addWarnings(r.warnings());
        ex.send(r.code(), r.object());
    }

    public void update(HttpExchange ex, ResourceType rt, String ns, String name, String sub) {
        ObjectNode body = ex.bodyObject();
        ObjectService.Result r = service.update(rt, ns, name, sub, body, options(ex));
        ex.addWarnings(r.warnings());
        ex.send(r.code(), r.object());
    }

    public void patch(HttpExchange ex, ResourceType rt, String ns, String name, String sub) {
        PatchType type = PatchType.fromContentType(ex.contentType());
        if (type == null) {
            throw ApiException.unsupportedMediaType("the body of the request was in an unknown format - accepted media "
                    + "types include: application/json-patch+json, application/merge-patch+json"
                    + (rt.strategicMerge() ? ", application/strategic-merge-patch+json" : "")
                    + ", application/apply-patch+yaml (got Content-Type \"" + ex.contentType() + "\")");
        }
        if (type == PatchType.APPLY_PATCH) {
            service.patch(rt, ns, name, sub, type, null, options(ex)); // answers 415 with an explanation
        }
        JsonNode patch = ex.bodyTree(type != PatchType.JSON_PATCH);
        ObjectService.Result r = service.patch(rt, ns, name, sub, type, patch, options(ex));
        ex.addWarnings(r.warnings());
        ex.send(r.code(), r.object());
    }

    public void delete(HttpExchange ex, ResourceType rt, String ns, String name) {
        JsonNode body = null;
        byte[] raw = ex.body();
        if (raw.length > 0) {
            try {
                body = Json.MAPPER.readTree(raw);
            } catch (java.io.IOException e) {
                throw ApiException.badRequest("the DeleteOptions in the request body are not valid JSON: "
                        + e.getMessage());
            }
        }
        DeleteOptions opts = DeleteOptions.of(body, ex.query("propagationPolicy"), ex.query("gracePeriodSeconds"));
        ObjectService.Result r = service.delete(rt, ns, name, opts, options(ex));
        ex.addWarnings(r.warnings());
        ex.send(r.code(), r.object());
    }

    public void deleteCollection(HttpExchange ex, ResourceType rt, String ns) {
        Predicate<StoredObject> filter = filter(ex, rt);
        DeleteOptions opts = DeleteOptions.of(null, ex.query("propagationPolicy"), ex.query("gracePeriodSeconds"));
        Store.ListResult r = service.store().list(rt.storageKey(), ns, filter, null, 0);
        List<JsonNode> deleted = new ArrayList<>();
        for (StoredObject so : r.items()) {
            try {
                deleted.add(service.delete(rt, so.key().namespace(), so.key().name(), opts, options(ex)).object());
            } catch (ApiException e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
        ObjectNode list = Json.object();
        list.put("kind", rt.listKind());
        list.put("apiVersion", rt.apiVersion());
        list.putObject("metadata").put("resourceVersion", Long.toString(service.store().currentResourceVersion()));
        list.putArray("items").addAll(deleted);
        ex.send(200, list);
    }

    private static RequestOptions options(HttpExchange ex) {
        String dry = ex.query("dryRun");
        if (dry != null && !dry.isEmpty() && !dry.equals("All")) {
            throw ApiException.badRequest("dryRun: Unsupported value: \"" + dry + "\": supported values: \"All\"");
        }
        String fv = ex.query("fieldValidation");
        if (fv == null || fv.isEmpty()) {
            fv = "Warn";
        }
        if (!fv.equals("Strict") && !fv.equals("Warn") && !fv.equals("Ignore")) {
            throw ApiException.badRequest("fieldValidation: Unsupported value: \"" + fv
                    + "\": supported values: \"Ignore\", \"Warn\", \"Strict\"");
        }
        return new RequestOptions(ex.user(), "All".equals(dry), fv);
    }

    static Predicate<StoredObject> filter(HttpExchange ex, ResourceType rt) {
        LabelSelector ls = LabelSelector.parse(ex.query("labelSelector"));
        FieldSelector fs = FieldSelector.parse(ex.query("fieldSelector"), rt);
        if (ls.isEmpty() && fs.isEmpty()) {
            return o -> true;
        }
        return o -> ls.matches(o.labels()) && fs.matches(o.fields());
    }

    private static int parseLimit(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        try {
            int v = Integer.parseInt(s);
            return Math.max(v, 0);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit: Invalid value: \"" + s + "\": must be a non-negative integer");
        }
    }

    private static String encodeContinue(long rv, String lastKey) {
        ObjectNode t = Json.object();
        t.put("v", "meta.k8s.io/v1");
        t.put("rv", rv);
        t.put("start", lastKey);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.bytes(t));
    }

    private static String decodeContinue(String token) {
        try {
            JsonNode t = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token));
            String start = t.path("start").asText(null);
            if (start == null) {
                throw new IllegalArgumentException("no start key");
            }
            return start;
        } catch (RuntimeException | java.io.IOException e) {
            throw ApiException.badRequest("continue: Invalid value: \"" + token
                    + "\": continue key is not valid; pass the token from the previous list response unchanged");
        }
    }
}
