package io.jvirt.apiserver.http;

import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.api.schema.OpenApiV2Proto;
import io.jvirt.apiserver.rest.Discovery;
import io.jvirt.apiserver.rest.ResourceEndpoints;
import io.jvirt.apiserver.rest.Subresources;
import io.jvirt.apiserver.security.Identity;
import io.jvirt.apiserver.security.TokenAuthenticator;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The API server's single Jetty handler: authenticates, authorizes, parses the path like kube-apiserver and
 * dispatches to discovery, OpenAPI, health or resource endpoints. Every failure becomes a Status; nothing a client
 * sends can stop the server from serving the next request.
 */
public final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final Set<String> PUBLIC_PATHS = Set.of("/healthz", "/livez", "/readyz", "/version");
    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final ResourceCatalog catalog;
    private final Discovery discovery;
    private final ResourceEndpoints resources;
    private final TokenAuthenticator authenticator;
    private final Function<String, byte[]> openApi;
    private final Supplier<byte[]> openApiV2;
    private final Subresources subresources;
    private volatile boolean ready = true;

    /**
     * @param openApi maps a path below {@code /openapi/v3} ({@code ""} for the root) to the document's bytes, or
     *                null when there is none
     * @param openApiV2 the protobuf OpenAPI v2 document (kubectl 1.27/1.28 need it)
     */
    public ApiHandler(ResourceCatalog catalog, Discovery discovery, ResourceEndpoints resources,
                      TokenAuthenticator authenticator, Function<String, byte[]> openApi,
                      Supplier<byte[]> openApiV2, Subresources subresources) {
        this.catalog = catalog;
        this.discovery = discovery;
        this.resources = resources;
        this.authenticator = authenticator;
        this.openApi = openApi;
        this.openApiV2 = openApiV2;
        this.subresources = subresources;
    }

    public void setReady(boolean ready) {
        this.ready = ready;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        HttpExchange ex = new HttpExchange(request, response, callback);
        if (ex.wantsWebSocket()) {
            // Jetty switches the connection to the websocket only once handle() has returned, while a watch streams
            // for as long as it lasts: serve on another thread and return as soon as it upgraded (or answered).
            Thread.ofVirtual().name("websocket-request").start(() -> {
                serve(ex, callback);
                ex.handOff();
            });
            ex.awaitHandOff();
            return true;
        }
        serve(ex, callback);
        return true;
    }

    private void serve(HttpExchange ex, Callback callback) {
        try {
            dispatch(ex);
            if (!ex.callbackTaken()) {
                callback.succeeded();
            }
        } catch (ApiException e) {
            if (!ex.callbackTaken()) {
                respondError(ex, e, callback);
            }
        } catch (HttpExchange.ClientGoneException e) {
            if (!ex.callbackTaken()) {
                callback.failed(e);
            }
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", ex.method(), ex.path(), e);
            if (!ex.callbackTaken()) {
                respondError(ex, ApiException.internal(e.toString()), callback);
            }
        }
    }

    private static void respondError(HttpExchange ex, ApiException e, Callback callback) {
        try {
            ex.sendError(e);
            callback.succeeded();
        } catch (RuntimeException again) {
            // response already committed (e.g. mid-stream) or client gone
            callback.failed(again);
        }
    }

    private void dispatch(HttpExchange ex) {
        String path = ex.path();
        String method = ex.method();
        if (PUBLIC_PATHS.contains(path) || path.startsWith("/healthz/") || path.startsWith("/livez/")
                || path.startsWith("/readyz/")) {
            if (path.equals("/version")) {
                ex.send(200, discovery.version());
            } else if (path.startsWith("/readyz") && !ready) {
                ex.sendRaw(500, "text/plain; charset=utf-8", "not ready".getBytes(StandardCharsets.UTF_8));
            } else {
                ex.sendRaw(200, "text/plain; charset=utf-8", "ok".getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        Optional<Identity> who = authenticator.authenticate(ex.header("Authorization"));
        if (who.isEmpty()) {
            throw ApiException.unauthorized();
        }
        Identity id = who.get();
        ex.setUser(id.userName());
        if (path.equals("/openapi/v3") || path.startsWith("/openapi/v3/")) {
            String sub = path.length() > "/openapi/v3".length() ? path.substring("/openapi/v3/".length()) : "";
            byte[] doc = openApi.apply(sub);
            if (doc == null) {
                throw ApiException.notFoundPath("the server could not find the requested resource: no OpenAPI v3 "
                        + "document at " + path);
            }
            ex.send(200, doc);
            return;
        }
        if (path.equals("/openapi/v2")) {
            String accept = ex.header("Accept");
            if (accept != null && !accept.contains("protobuf") && !accept.contains("*/*")) {
                throw new ApiException(406, "NotAcceptable", "/openapi/v2 is served as " + OpenApiV2Proto.ACCEPT_TYPE
                        + " only; use /openapi/v3 for JSON", null, null, List.of(), null);
            }
            ex.sendRaw(200, OpenApiV2Proto.CONTENT_TYPE, openApiV2.get());
            return;
        }
        RequestInfo info = RequestInfo.parse(path);
        switch (info.kind()) {
            case LEGACY_VERSIONS -> ex.send(200, discovery.legacyVersions());
            case GROUPS -> ex.send(200, discovery.groups());
            case GROUP -> ex.send(200, orNotFound(discovery.group(info.group()), path));
            case LEGACY_RESOURCES, GROUP_RESOURCES ->
                    ex.send(200, orNotFound(discovery.resources(info.group(), info.version()), path));
            case RESOURCE -> resource(ex, info, id, method);
            case ROOT -> ex.send(200, rootPaths());
            default -> throw ApiException.notFoundPath("the server could not find the requested resource (" + path
                    + ")");
        }
    }

    private static <T> T orNotFound(T doc, String path) {
        if (doc == null) {
            throw ApiException.notFoundPath("the server could not find the requested resource (" + path + ")");
        }
        return doc;
    }

    private com.fasterxml.jackson.databind.node.ObjectNode rootPaths() {
        var o = Json.object();
        var arr = o.putArray("paths");
        List.of("/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/openapi/v3", "/version")
                .forEach(arr::add);
        catalog.groupVersions().forEach((g, vs) -> {
            if (!g.isEmpty()) {
                arr.add("/apis/" + g);
                vs.forEach(v -> arr.add("/apis/" + g + "/" + v));
            }
        });
        return o;
    }

    private void resource(HttpExchange ex, RequestInfo info, Identity id, String method) {
        if (info.group().equals(Subresources.GROUP)) {
            if (!READ_METHODS.contains(method) && !id.mayWrite()) {
                throw ApiException.forbidden(info.resource() + "/" + info.subresource() + " is forbidden: User \""
                        + id.userName() + "\" is read-only", info.name(), null);
            }
            subresources.handle(ex, info.namespace(), info.resource(), info.name(), info.subresource());
            return;
        }
        ResourceType rt = catalog.find(info.group(), info.version(), info.resource())
                .orElseThrow(() -> ApiException.notFoundPath("the server could not find the requested resource: "
                        + (info.group().isEmpty() ? "" : info.group() + "/") + info.version() + " has no resource \""
                        + info.resource() + "\""));
        String ns = info.namespace();
        String name = info.name();
        String sub = info.subresource();
        if (!rt.namespaced() && ns != null) {
            throw ApiException.notFoundPath("the server could not find the requested resource: " + rt.qualifiedName()
                    + " is cluster-scoped; drop namespaces/" + ns + " from the path");
        }
        if (rt.plural().equals("namespaces") && rt.group().isEmpty() && name == null && ns != null) {
            name = ns; // "/api/v1/namespaces/{name}/status" parses the name as the namespace
            ns = null;
        }
        if (sub != null && !(sub.equals("status") && rt.statusSubresource())
                && !(sub.equals("finalize") && rt.plural().equals("namespaces") && rt.group().isEmpty())) {
            throw ApiException.notFoundPath("the server could not find the requested resource: " + rt.qualifiedName()
                    + " has no subresource \"" + sub + "\"");
        }
        if (!READ_METHODS.contains(method) && !id.mayWrite()) {
            String verb = switch (method) {
                case "POST" -> "create";
                case "PUT" -> "update";
                case "PATCH" -> "patch";
                case "DELETE" -> name == null ? "deletecollection" : "delete";
                default -> method.toLowerCase();
            };
            throw ApiException.forbidden(rt.qualifiedName() + (name == null ? "" : " \"" + name + "\"")
                    + " is forbidden: User \"" + id.userName() + "\" cannot " + verb + " resource \"" + rt.plural()
                    + (sub == null ? "" : "/" + sub) + "\" in API group \"" + rt.group() + "\""
                    + (ns == null ? " at the cluster scope" : " in the namespace \"" + ns + "\"")
                    + "; this identity is read-only (use the admin kubeconfig to write)", name, rt);
        }
        boolean watch = info.watchPrefix() || ex.queryFlag("watch");
        String effectiveSub = "finalize".equals(sub) ? null : sub;
        switch (method) {
            case "GET", "HEAD" -> {
                if (watch) {
                    resources.watch(ex, rt, ns, name);
                } else if (name == null) {
                    resources.list(ex, rt, ns);
                } else {
                    resources.get(ex, rt, ns, name);
                }
            }
            case "POST" -> {
                if (name != null) {
                    throw ApiException.methodNotAllowed("POST is not allowed on a named " + rt.kind()
                            + "; use PUT or PATCH to change it");
                }
                resources.create(ex, rt, ns);
            }
            case "PUT" -> resources.update(ex, rt, ns, requireName(name, method), effectiveSub);
            case "PATCH" -> resources.patch(ex, rt, ns, requireName(name, method), effectiveSub);
            case "DELETE" -> {
                if (name == null) {
                    resources.deleteCollection(ex, rt, ns);
                } else {
                    resources.delete(ex, rt, ns, name);
                }
            }
            default -> throw ApiException.methodNotAllowed("method " + method + " is not supported");
        }
    }

    private static String requireName(String name, String method) {
        if (name == null) {
            throw ApiException.methodNotAllowed(method + " needs a named object in the path");
        }
        return name;
    }
}
