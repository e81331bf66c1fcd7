package io.jvirt.api.schema;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;

import java.util.ArrayList;
import java.util.List;

/**
 * The path items of one resource in a group-version document, shaped like kube-apiserver's: collection, item and
 * {@code /status} paths with get/put/post/delete/patch operations, each carrying {@code x-kubernetes-action} and
 * {@code x-kubernetes-group-version-kind}. As on Kubernetes, {@code name}, {@code namespace} and {@code pretty}
 * are path-level parameters, while {@code dryRun}, {@code fieldManager} and {@code fieldValidation} are parameters
 * of the write operations themselves: kubectl looks for {@code fieldValidation} in the PATCH operation's
 * parameters to decide that the server validates fields.
 */
final class OpenApiPaths {
    static final String STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
    static final String DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
    static final String PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
    static final String WATCH_EVENT = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    static final String JSON_PATCH = "application/json-patch+json";
    static final String MERGE_PATCH = "application/merge-patch+json";
    static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
    static final String APPLY_PATCH = "application/apply-patch+yaml";

    private final ResourceType type;
    private final String kindDef;
    private final String listDef;
    private final String prefix;
    private final String idSuffix;
    private final String tag;

    OpenApiPaths(ResourceType type, String kindDef, String listDef) {
        this.type = type;
        this.kindDef = kindDef;
        this.listDef = listDef;
        this.prefix = "/" + OpenApiV3.pathOf(type.group(), type.version());
        String groupId = OpenApiV3.groupId(type.group());
        String versionId = type.version().substring(0, 1).toUpperCase() + type.version().substring(1);
        this.idSuffix = groupId + versionId + (type.namespaced() ? "Namespaced" : "") + type.kind();
        this.tag = (type.group().isEmpty() ? "core" : Character.toLowerCase(groupId.charAt(0))
                + groupId.substring(1)) + "_" + type.version();
    }

    void addTo(ObjectNode paths) {
        String collection = prefix + (type.namespaced() ? "/namespaces/{namespace}/" : "/") + type.plural();
        String item = collection + "/{name}";

        ObjectNode c = pathItem(paths, collection, false);
        op(c, "get", "list", "list or watch objects of kind " + type.kind(), listResponse(), listParams());
        write(op(c, "post", "post", "create a " + type.kind(), objectResponse("200", "201", "202"), List.of()));
        op(c, "delete", "deletecollection", "delete collection of " + type.kind(), statusResponse(),
                deleteCollectionParams()).set("requestBody", body(DELETE_OPTIONS));

        ObjectNode i = pathItem(paths, item, true);
        op(i, "get", "get", "read the specified " + type.kind(), objectResponse("200"), List.of());
        write(op(i, "put", "put", "replace the specified " + type.kind(), objectResponse("200", "201"),
                List.of()));
        patch(i, "partially update the specified " + type.kind(), "");
        op(i, "delete", "delete", "delete a " + type.kind(), objectResponse("200", "202"), deleteParams())
                .set("requestBody", body(DELETE_OPTIONS));

        if (type.statusSubresource()) {
            ObjectNode s = pathItem(paths, item + "/status", true);
            op(s, "get", "get", "read status of the specified " + type.kind(), objectResponse("200"), List.of(),
                    "Status");
            write(op(s, "put", "put", "replace status of the specified " + type.kind(),
                    objectResponse("200", "201"), List.of(), "Status"));
            patch(s, "partially update status of the specified " + type.kind(), "Status");
        }
        if (type.namespaced()) {
            ObjectNode all = paths.putObject(prefix + "/" + type.plural());
            all.set("parameters", params(List.of(query("pretty", "string", PRETTY))));
            ObjectNode get = op(all, "get", "list", "list or watch objects of kind " + type.kind(),
                    listResponse(), listParams());
            get.put("operationId", "list" + idSuffix.replace("Namespaced", "") + "ForAllNamespaces");
        }
    }

    // ---------------------------------------------------------------- operations

    private ObjectNode pathItem(ObjectNode paths, String path, boolean named) {
        ObjectNode p = paths.putObject(path);
        ArrayNode params = p.putArray("parameters");
        if (named) {
            params.add(pathParam("name", "name of the " + type.kind()));
        }
        if (type.namespaced()) {
            params.add(pathParam("namespace", "object name and auth scope, such as for teams and projects"));
        }
        params.add(query("pretty", "string", PRETTY));
        return p;
    }

    private ObjectNode op(ObjectNode pathItem, String method, String action, String description,
                          ObjectNode responses, List<ObjectNode> params) {
        return op(pathItem, method, action, description, responses, params, "");
    }

    private ObjectNode op(ObjectNode pathItem, String method, String action, String description,
                          ObjectNode responses, List<ObjectNode> params, String subresourceSuffix) {
        ObjectNode o = pathItem.putObject(method);
        o.put("description", description);
        o.put("operationId", verb(action) + idSuffix + subresourceSuffix);
        o.putArray("tags").add(tag);
        if (!params.isEmpty()) {
            o.set("parameters", params(params));
        }
        o.set("responses", responses);
        o.put("x-kubernetes-action", action);
        SchemaJson.gvkNode(o.putObject("x-kubernetes-group-version-kind"), GroupVersionKind.of(type));
        return o;
    }

    private static String verb(String action) {
        return switch (action) {
            case "get" -> "read";
            case "put" -> "replace";
            case "post" -> "create";
            case "deletecollection" -> "deleteCollection";
            default -> action;
        };
    }

    /** Adds the write parameters and the object request body of a POST or PUT. */
    private ObjectNode write(ObjectNode op) {
        ArrayNode params = op.withArray("parameters");
        writeParams().forEach(params::add);
        op.set("requestBody", body(kindDef));
        return op;
    }

    private void patch(ObjectNode pathItem, String description, String subresourceSuffix) {
        ObjectNode op = op(pathItem, "patch", "patch", description, objectResponse("200", "201"),
                List.of(), subresourceSuffix);
        ArrayNode params = op.withArray("parameters");
        writeParams().forEach(params::add);
        params.add(query("force", "boolean", "Force is going to \"force\" Apply requests: it re-acquires "
                + "conflicting fields owned by other managers. Must be unset for non-apply patch requests."));
        ObjectNode content = F.objectNode();
        content.set(JSON_PATCH, schemaRef(PATCH));
        content.set(MERGE_PATCH, schemaRef(PATCH));
        if (type.strategicMerge()) {
            content.set(STRATEGIC_MERGE_PATCH, schemaRef(PATCH));
        }
        content.set(APPLY_PATCH, schemaRef(PATCH));
        ObjectNode body = op.putObject("requestBody");
        body.set("content", content);
        body.put("required", true);
    }

    // ---------------------------------------------------------------- parameters

    private static final String PRETTY = "If 'true', then the output is pretty printed. Defaults to 'false' "
            + "unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).";

    private static List<ObjectNode> writeParams() {
        return List.of(
                query("dryRun", "string", "When present, indicates that modifications should not be persisted. "
                        + "Valid values are: - All: all dry run stages will be processed"),
                query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that "
                        + "is making these changes. Required for apply requests."),
                query("fieldValidation", "string", "fieldValidation instructs the server on how to handle "
                        + "objects in the request containing unknown or duplicate fields. Valid values are: "
                        + "- Ignore: drop unknown fields silently. - Warn: drop unknown fields and return a "
                        + "warning for each (the default). - Strict: fail the request on unknown or duplicate "
                        + "fields."));
    }

    private static List<ObjectNode> listParams() {
        return List.of(
                query("allowWatchBookmarks", "boolean", "Request BOOKMARK watch events."),
                query("continue", "string", "Continue token returned by a previous paged list call."),
                query("fieldSelector", "string", "Restrict the returned objects by their fields."),
                query("labelSelector", "string", "Restrict the returned objects by their labels."),
                query("limit", "integer", "Maximum number of objects to return in one page."),
                query("resourceVersion", "string", "Resource version constraint of the list or the version to "
                        + "watch from."),
                query("resourceVersionMatch", "string", "How resourceVersion is applied: Exact or NotOlderThan."),
                query("sendInitialEvents", "boolean", "Start a watch with synthetic events for existing objects."),
                query("timeoutSeconds", "integer", "Timeout of the list or watch call."),
                query("watch", "boolean", "Watch for changes and return them as a stream of events."));
    }

    private static List<ObjectNode> deleteParams() {
        return List.of(
                query("dryRun", "string", "When present, indicates that modifications should not be persisted."),
                query("gracePeriodSeconds", "integer", "Seconds before the object should be deleted; zero "
                        + "deletes immediately."),
                query("propagationPolicy", "string", "Whether and how garbage collection is performed: Orphan, "
                        + "Background or Foreground."));
    }

    private static List<ObjectNode> deleteCollectionParams() {
        List<ObjectNode> params = new ArrayList<>(deleteParams());
        params.addAll(listParams());
        return params;
    }

    private static ArrayNode params(List<ObjectNode> list) {
        ArrayNode a = F.arrayNode();
        list.forEach(a::add);
        return a;
    }

    private static ObjectNode query(String name, String schemaType, String description) {
        ObjectNode p = F.objectNode();
        p.put("name", name);
        p.put("in", "query");
        p.put("description", description);
        ObjectNode s = p.putObject("schema");
        s.put("type", schemaType);
        s.put("uniqueItems", true);
        return p;
    }

    private static ObjectNode pathParam(String name, String description) {
        ObjectNode p = F.objectNode();
        p.put("name", name);
        p.put("in", "path");
        p.put("description", description);
        p.put("required", true);
        ObjectNode s = p.putObject("schema");
        s.put("type", "string");
        s.put("uniqueItems", true);
        return p;
    }

    // ---------------------------------------------------------------- bodies and responses

    private static ObjectNode schemaRef(String definition) {
        ObjectNode media = F.objectNode();
        media.putObject("schema").put("$ref", "#/components/schemas/" + definition);
        return media;
    }

    private static ObjectNode body(String definition) {
        ObjectNode b = F.objectNode();
        b.putObject("content").set("*/*", schemaRef(definition));
        b.put("required", true);
        return b;
    }

    private ObjectNode objectResponse(String... codes) {
        ObjectNode r = F.objectNode();
        for (String code : codes) {
            ObjectNode resp = r.putObject(code);
            resp.put("description", switch (code) {
                case "201" -> "Created";
                case "202" -> "Accepted";
                default -> "OK";
            });
            ObjectNode content = resp.putObject("content");
            content.set("application/json", schemaRef(kindDef));
            content.set("application/yaml", schemaRef(kindDef));
        }
        r.putObject("401").put("description", "Unauthorized");
        return r;
    }

    private ObjectNode listResponse() {
        ObjectNode r = F.objectNode();
        ObjectNode content = r.putObject("200").put("description", "OK").putObject("content");
        content.set("application/json", schemaRef(listDef));
        content.set("application/yaml", schemaRef(listDef));
        content.set("application/json;stream=watch", schemaRef(WATCH_EVENT));
        r.putObject("401").put("description", "Unauthorized");
        return r;
    }

    private static ObjectNode statusResponse() {
        ObjectNode r = F.objectNode();
        ObjectNode content = r.putObject("200").put("description", "OK").putObject("content");
        content.set("application/json", schemaRef(STATUS));
        content.set("application/yaml", schemaRef(STATUS));
        r.putObject("401").put("description", "Unauthorized");
        return r;
    }

}
