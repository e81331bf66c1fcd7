package io.jvirt.apiserver.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One request and its response, with the Kubernetes-flavoured reading and writing helpers the endpoints need. */
public final class HttpExchange {
    /** kube-apiserver's MaxRequestBodyBytes: 3 MiB. */
    public static final int MAX_BODY_BYTES = 3 * 1024 * 1024;

    private final Request request;
    private final Response response;
    private final Fields query;
    private final List<String> warnings = new ArrayList<>();
    private OutputStream stream;
    private String user = "system:anonymous";
    /** The request's completion callback, when the exchange may take it over (a websocket upgrade). */
    private final org.eclipse.jetty.util.Callback callback;
    private boolean callbackTaken;
    private final java.util.concurrent.CountDownLatch handedOff = new java.util.concurrent.CountDownLatch(1);

    public HttpExchange(Request request, Response response) {
        this(request, response, null);
    }

    public HttpExchange(Request request, Response response, org.eclipse.jetty.util.Callback callback) {
        this.request = request;
        this.response = response;
        this.query = Request.extractQueryParameters(request);
        this.callback = callback;
    }

    /** True once a websocket upgrade completed the request's callback: the handler must not complete it again. */
    public boolean callbackTaken() {
        return callbackTaken;
    }

    /** Whether the client asks for a websocket (and this exchange may upgrade to one). */
    public boolean wantsWebSocket() {
        return callback != null && WebSocketLines.isUpgradeRequest(request);
    }

    /** Signals that the request was answered or upgraded: the thread Jetty called the handler on may return. */
    public void handOff() {
        handedOff.countDown();
    }

    public void awaitHandOff() {
        try {
            handedOff.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The authenticated user name, set by the handler after authentication. */
    public String user() {
        return user;
    }

    public void setUser(String user) {
        this.user = user;
    }

    /** Whether the request came over HTTP/1.x (chunked responses) rather than HTTP/2 (DATA frames). */
    public boolean http1() {
        return request.getConnectionMetaData().getHttpVersion().getVersion() < 20;
    }

    public String method() {
        return request.getMethod();
    }

    public String path() {
        return request.getHttpURI().getDecodedPath();
    }

    public String query(String name) {
        Fields.Field f = query.get(name);
        return f == null ? null : f.getValue();
    }

    public boolean queryFlag(String name) {
        String v = query(name);
        // the true spellings of Go's strconv.ParseBool, which kube-apiserver uses (the Python client sends "True")
        return v != null && (v.equals("true") || v.equals("1") || v.equals("True") || v.equals("TRUE")
                || v.equals("t") || v.equals("T"));
    }

    public String header(String name) {
        return request.getHeaders().get(name);
    }

    public String contentType() {
        String ct = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (ct == null) {
            return "application/json";
        }
        int semi = ct.indexOf(';');
        return (semi >= 0 ? ct.substring(0, semi) : ct).trim().toLowerCase(Locale.ROOT);
    }

    public void addWarning(String warning) {
        warnings.add(warning);
    }

    public void addWarnings(List<String> ws) {
        warnings.addAll(ws);
    }

    /** The raw body, at most {@link #MAX_BODY_BYTES}; 413 beyond. */
    public byte[] body() {
        long declared = request.getLength();
        if (declared > MAX_BODY_BYTES) {
            throw ApiException.tooLarge(MAX_BODY_BYTES);
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] data = in.readNBytes(MAX_BODY_BYTES + 1);
            if (data.length > MAX_BODY_BYTES) {
                throw ApiException.tooLarge(MAX_BODY_BYTES);
            }
            return data;
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    /** The body parsed as JSON or YAML (by Content-Type); 400 with the parser's position when malformed. */
    public JsonNode bodyTree(boolean requireObject) {
        byte[] data = body();
        if (data.length == 0) {
            throw ApiException.badRequest("the request body is empty; send a JSON or YAML object");
        }
        String ct = contentType();
        if (ct.equals(ProtobufBodies.CONTENT_TYPE)) {
            return ProtobufBodies.decode(data); // typed client-go clients (kubectl >= 1.32 create ...) send these
        }
        boolean yaml = ct.equals("application/yaml") || ct.equals("application/x-yaml") || ct.equals("text/yaml")
                || ct.equals("application/apply-patch+yaml");
        JsonNode tree;
        try {
            tree = (yaml ? Json.YAML : Json.MAPPER).readTree(data);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw ApiException.badRequest("the request body is not valid " + (yaml ? "YAML" : "JSON") + where + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
        if (tree == null || tree.isMissingNode()) {
            throw ApiException.badRequest("the request body is empty; send a JSON or YAML object");
        }
        if (requireObject && !tree.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object (got " + tree.getNodeType()
                    .toString().toLowerCase(Locale.ROOT) + ")");
        }
        return tree;
    }

    public ObjectNode bodyObject() {
        return (ObjectNode) bodyTree(true);
    }

    /** Whether the client asked for a server-side-printed Table. */
    public boolean wantsTable() {
        String accept = header("Accept");
        return accept != null && accept.contains("as=Table");
    }

    private void commitHeaders(int code, String contentType) {
        response.setStatus(code);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put("Cache-Control", "no-cache, private");
        for (String w : warnings) {
            // RFC 7234 warn-code 299, as kube-apiserver sends them; kubectl prints "Warning: <text>"
            response.getHeaders().add("Warning", "299 - \"" + w.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
    }

    public void send(int code, JsonNode body) {
        send(code, Json.bytes(body));
    }

    public void send(int code, byte[] json) {
        sendRaw(code, "application/json", json);
    }

    /**
     * Sends a body made of parts without joining them first (list responses: the stored documents are written
     * as they are, with the total length known up front).
     */
    public void sendParts(int code, String contentType, java.util.List<byte[]> parts) {
        long total = 0;
        for (byte[] p : parts) {
            total += p.length;
        }
        commitHeaders(code, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, total);
        try (OutputStream out = new java.io.BufferedOutputStream(Content.Sink.asOutputStream(response), 64 * 1024)) {
            for (byte[] p : parts) {
                out.write(p);
            }
        } catch (IOException e) {
            throw new ClientGoneException(e);
        }
    }

    public void sendRaw(int code, String contentType, byte[] bytes) {
        commitHeaders(code, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new ClientGoneException(e);
        }
    }

    public void sendError(ApiException e) {
        send(e.code(), e.toStatus());
    }

    /**
     * Starts a streamed (chunked / HTTP/2 DATA frames) 200 response for watches; or, when the client asked for a
     * websocket (as kube-apiserver allows for watches), upgrades and streams one message per line.
     */
    public OutputStream startStream(String contentType) {
        if (wantsWebSocket()) {
            try {
                WebSocketLines ws = WebSocketLines.upgrade(request, response, callback);
                if (ws != null) {
                    callbackTaken = true;
                    stream = ws;
                    handOff(); // the connection switches once the handler thread returns
                    ws.awaitOpen();
                    return ws;
                }
            } catch (IOException e) {
                callbackTaken = true;
                throw new ClientGoneException(e);
            }
        }
        commitHeaders(200, contentType);
        stream = Content.Sink.asOutputStream(response);
        return stream;
    }

    public void endStream() {
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException e) {
                // the client went away first; nothing left to tell it
            }
        }
    }

    /** The client closed the connection while we were writing. */
    public static final class ClientGoneException extends RuntimeException {
        public ClientGoneException(IOException cause) {
            super(cause);
        }
    }
}
