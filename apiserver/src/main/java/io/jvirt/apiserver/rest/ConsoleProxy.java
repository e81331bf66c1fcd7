package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.security.Identity;
import io.jvirt.apiserver.security.TokenAuthenticator;
import io.jvirt.apiserver.store.StoredObject;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VMI {@code console} and {@code vnc} subresources: websockets (subprotocol {@code plain.kubevirt.io}) that
 * the API server bridges to the node agent of the VMI's node, byte for byte, as virt-api does to virt-handler.
 * Idle client connections are kept alive with pings.
 */
public final class ConsoleProxy {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleProxy.class);
    static final String PATH_REGEX =
            "^/apis/subresources\\.kubevirt\\.io/v1/namespaces/([^/]+)/virtualmachineinstances/([^/]+)/(console|vnc)$";
    private static final Pattern PATH = Pattern.compile(PATH_REGEX);
    public static final String SUBPROTOCOL = "plain.kubevirt.io";
    private static final Duration PING_INTERVAL = Duration.ofSeconds(20);

    private final ObjectService service;
    private final NodeEndpoints nodes;
    private final TokenAuthenticator authenticator;
    private final ResourceType vmis;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "console-ping");
        t.setDaemon(true);
        return t;
    });

    public ConsoleProxy(ObjectService service, NodeEndpoints nodes, TokenAuthenticator authenticator) {
        this.service = service;
        this.nodes = nodes;
        this.authenticator = authenticator;
        this.vmis = service.catalog().find("kubevirt.io", "v1", "virtualmachineinstances").orElseThrow();
    }

    /** Registers the websocket mapping on the server's websocket container. */
    public void install(ServerWebSocketContainer container) {
        container.setIdleTimeout(Duration.ofHours(2));
        container.setMaxBinaryMessageSize(1 << 20);
        container.addMapping(PATH_REGEX, this::create);
    }

    private Object create(ServerUpgradeRequest rq, ServerUpgradeResponse rs, Callback cb) {
        Optional<Identity> who = authenticator.authenticate(rq.getHeaders().get(HttpHeader.AUTHORIZATION));
        if (who.isEmpty()) {
            Response.writeError(rq, rs, cb, 401, "Unauthorized");
            return null;
        }
        if (!who.get().mayWrite()) {
            Response.writeError(rq, rs, cb, 403, "User \"" + who.get().userName() + "\" may not attach to consoles "
                    + "(read-only identity)");
            return null;
        }
        Matcher m = PATH.matcher(Request.getPathInContext(rq));
        if (!m.matches()) {
            Response.writeError(rq, rs, cb, 404);
            return null;
        }
        String ns = m.group(1);
        String name = m.group(2);
        String kind = m.group(3);
        StoredObject so = service.store().get(ObjectService.key(vmis, ns, name));
        if (so == null) {
            Response.writeError(rq, rs, cb, 404, "virtualmachineinstances.kubevirt.io \"" + name + "\" not found");
            return null;
        }
        ObjectNode vmi = Json.parseObject(so.json());
        if (!vmi.path("status").path("phase").asText("").equals("Running")) {
            Response.writeError(rq, rs, cb, 409, "VMI " + ns + "/" + name + " is not running (phase "
                    + vmi.path("status").path("phase").asText("none") + ")");
            return null;
        }
        Optional<NodeEndpoints.Endpoint> ep = nodes.forVmi(vmi);
        if (ep.isEmpty()) {
            Response.writeError(rq, rs, cb, 503, "the node agent of VMI " + ns + "/" + name + " is not reachable");
            return null;
        }
        if (rq.getSubProtocols().contains(SUBPROTOCOL)) {
            rs.setAcceptedSubProtocol(SUBPROTOCOL);
        }
        String query = rq.getHttpURI().getQuery();
        URI upstream = URI.create(ep.get().url().replaceFirst("^http", "ws") + "/v1/namespaces/" + ns
                + "/virtualmachineinstances/" + name + "/" + kind + (query == null ? "" : "?" + query));
        return new Bridge(upstream, ep.get().token());
    }

    /** One client connection bridged to one node-agent connection. */
    public final class Bridge implements Session.Listener.AutoDemanding, WebSocket.Listener {
        private final URI upstreamUri;
        private final String token;
        private volatile Session client;
        private volatile WebSocket upstream;
        private ScheduledFuture<?> ping;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        Bridge(URI upstreamUri, String token) {
            this.upstreamUri = upstreamUri;
            this.token = token;
        }

        @Override
        public void onWebSocketOpen(Session session) {
            client = session;
            try {
                upstream = http.newWebSocketBuilder()
                        .header("Authorization", "Bearer " + token)
                        .subprotocols(SUBPROTOCOL)
                        .connectTimeout(Duration.ofSeconds(10))
                        .buildAsync(upstreamUri, this)
                        .get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.info("console connection to {} failed: {}", upstreamUri, e.toString());
                session.close(1011, "cannot reach the guest console on its node: " + e.getMessage(),
                        org.eclipse.jetty.websocket.api.Callback.NOOP);
                return;
            }
            ping = pinger.scheduleAtFixedRate(() -> {
                if (session.isOpen()) {
                    session.sendPing(ByteBuffer.allocate(0), org.eclipse.jetty.websocket.api.Callback.NOOP);
                }
            }, PING_INTERVAL.toMillis(), PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            WebSocket up = upstream;
            if (up == null) {
                callback.succeed();
                return;
            }
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            up.sendBinary(copy, true).whenComplete((ws, err) -> {
                if (err == null) {
                    callback.succeed();
                } else {
                    callback.fail(err);
                }
            });
        }

        @Override
        public void onWebSocketText(String message) {
            WebSocket up = upstream;
            if (up != null) {
                up.sendBinary(ByteBuffer.wrap(message.getBytes(java.nio.charset.StandardCharsets.UTF_8)), true);
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            if (ping != null) {
                ping.cancel(false);
            }
            WebSocket up = upstream;
            if (up != null) {
                up.sendClose(WebSocket.NORMAL_CLOSURE, "client closed");
            }
        }

        // ---- upstream (node agent) side

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            partial.writeBytes(chunk);
            CompletableFuture<Void> done = new CompletableFuture<>();
            if (last) {
                byte[] msg = partial.toByteArray();
                partial.reset();
                Session s = client;
                if (s != null && s.isOpen()) {
                    s.sendBinary(ByteBuffer.wrap(msg), new org.eclipse.jetty.websocket.api.Callback() {
                        @Override
                        public void succeed() {
                            done.complete(null);
                        }

                        @Override
                        public void fail(Throwable x) {
                            done.complete(null);
                        }
                    });
                } else {
                    done.complete(null);
                }
            } else {
                done.complete(null);
            }
            webSocket.request(1);
            return done;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            Session s = client;
            if (s != null && s.isOpen()) {
                s.close(1000, reason == null || reason.isEmpty() ? "the guest console closed" : reason,
                        org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            Session s = client;
            if (s != null && s.isOpen()) {
                s.close(1011, "console stream failed: " + error.getMessage(),
                        org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
        }
    }
}
