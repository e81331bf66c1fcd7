package io.jvirt.node.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.libvirt.DomainDevices;
import io.jvirt.node.sync.GuestAgentMapping;
import io.jvirt.node.sync.GuestRuntime;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node agent's endpoint for what must happen on the node (KubeVirt's virt-handler REST + console server):
 * pause, unpause, soft reboot, the guest agent's information (guest OS info, user list, file system list, asked from
 * the agent when requested), and the serial console and VNC as websockets. The API server proxies
 * {@code subresources.kubevirt.io} requests here; callers present the node's token. Listens on loopback only.
 */
public final class AgentEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentEndpoint.class);
    private static final Pattern PATH = Pattern.compile(
            "^/v1/namespaces/([^/]+)/virtualmachineinstances/([^/]+)/(console|vnc|pause|unpause|softreboot|guestosinfo"
                    + "|userlist|filesystemlist)$");
    /** virt-api's answer (409) when the VMI's guest agent is not connected. */
    static final String NO_AGENT = "VMI does not have guest agent connected";
    /** KubeVirt's websocket subprotocol for console and VNC streams. */
    public static final String SUBPROTOCOL = "plain.kubevirt.io";
    /** Idle websockets are kept alive with a ping this often. */
    private static final Duration PING_INTERVAL = Duration.ofSeconds(20);

    private final GuestRuntime runtime;
    private final ConsoleHubs hubs;
    private final byte[] token;
    private final Server server;
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ws-ping");
        t.setDaemon(true);
        return t;
    });
    private ServerConnector connector;

    public AgentEndpoint(GuestRuntime runtime, ConsoleHubs hubs, String token) {
        this.runtime = runtime;
        this.hubs = hubs;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("node-agent-endpoint");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        this.server = new Server(pool);
    }

    /** Starts listening on 127.0.0.1 (port 0: any free one) and returns the base URL. */
    public String start(int port) throws Exception {
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(TimeUnit.HOURS.toMillis(2));
        server.addConnector(connector);
        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(server, container -> {
            container.setIdleTimeout(Duration.ofHours(2));
            container.setMaxBinaryMessageSize(1 << 20);
            container.addMapping("^/v1/namespaces/[^/]+/virtualmachineinstances/[^/]+/(console|vnc)$",
                    this::createSocket);
        });
        ws.setHandler(new RestHandler());
        server.setHandler(ws);
        server.start();
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }

    private Object createSocket(ServerUpgradeRequest rq, ServerUpgradeResponse rs, Callback cb) {
        if (!authorized(rq.getHeaders().get(HttpHeader.AUTHORIZATION))) {
            Response.writeError(rq, rs, cb, 401, "node agent: missing or wrong token");
            return null;
        }
        Matcher m = PATH.matcher(Request.getPathInContext(rq));
        if (!m.matches()) {
            Response.writeError(rq, rs, cb, 404);
            return null;
        }
        if (rq.getSubProtocols().contains(SUBPROTOCOL)) {
            rs.setAcceptedSubProtocol(SUBPROTOCOL);
        }
        String ns = m.group(1);
        String name = m.group(2);
        if (runtime.status(ns, name).isEmpty()) {
            Response.writeError(rq, rs, cb, 404, "no running guest for VMI " + ns + "/" + name + " on this node");
            return null;
        }
        if (m.group(3).equals("console")) {
            return new ConsoleSocket(hubs.ensure(ns, name, runtime.serialSocket(ns, name)),
                    !"false".equals(Request.extractQueryParameters(rq).getValue("scrollback")));
        }
        return new VncSocket(runtime.vncSocket(ns, name));
    }

    private ScheduledFuture<?> keepAlive(Session session) {
        return pinger.scheduleAtFixedRate(() -> {
            if (session.isOpen()) {
                session.sendPing(ByteBuffer.allocate(0), org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
        }, PING_INTERVAL.toMillis(), PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A console viewer: scrollback first, then live output; whatever it sends is typed into the guest. */
    public final class ConsoleSocket implements Session.Listener.AutoDemanding, SerialHub.Viewer {
        private final SerialHub hub;
        private final boolean replay;
        private Session session;
        private ScheduledFuture<?> ping;

        ConsoleSocket(SerialHub hub, boolean replay) {
            this.hub = hub;
            this.replay = replay;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            ping = keepAlive(s);
            hub.attach(this, replay);
        }

        @Override
        public void output(byte[] data) {
            Session s = session;
            if (s != null && s.isOpen() && data.length > 0) {
                s.sendBinary(ByteBuffer.wrap(data), org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
        }

        @Override
        public void closed() {
            Session s = session;
            if (s != null && s.isOpen()) {
                s.close(1000, "the guest's console closed", org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            byte[] data = new byte[payload.remaining()];
            payload.get(data);
            type(data);
            callback.succeed();
        }

        @Override
        public void onWebSocketText(String message) {
            type(message.getBytes(StandardCharsets.UTF_8));
        }

        private void type(byte[] data) {
            try {
                hub.input(data);
            } catch (IOException e) {
                closed();
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            hub.detach(this);
            if (ping != null) {
                ping.cancel(false);
            }
        }
    }

    /** A VNC client: a byte pipe to the guest's VNC unix socket (QEMU accepts several clients). */
    public final class VncSocket implements Session.Listener.AutoDemanding {
        private final java.nio.file.Path socket;
        private SocketChannel channel;
        private ScheduledFuture<?> ping;

        VncSocket(java.nio.file.Path socket) {
            this.socket = socket;
        }

        @Override
        public void onWebSocketOpen(Session session) {
            try {
                channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                session.close(1011, "cannot reach the guest's VNC server: " + e.getMessage(),
                        org.eclipse.jetty.websocket.api.Callback.NOOP);
                return;
            }
            ping = keepAlive(session);
            Thread.ofVirtual().name("vnc-" + socket.getParent().getFileName()).start(() -> {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                try {
                    while (channel.read(buf.clear()) >= 0) {
                        buf.flip();
                        ByteBuffer copy = ByteBuffer.allocate(buf.remaining()).put(buf).flip();
                        session.sendBinary(copy, org.eclipse.jetty.websocket.api.Callback.NOOP);
                    }
                } catch (IOException e) {
                    LOG.debug("vnc pipe ended: {}", e.toString());
                }
                session.close(1000, "VNC connection closed", org.eclipse.jetty.websocket.api.Callback.NOOP);
            });
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            try {
                while (payload.hasRemaining()) {
                    channel.write(payload);
                }
                callback.succeed();
            } catch (IOException e) {
                callback.fail(e);
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            if (ping != null) {
                ping.cancel(false);
            }
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                LOG.debug("closing vnc socket: {}", e.toString());
            }
        }
    }

    /** pause / unpause / softreboot (PUT) and guestosinfo / userlist / filesystemlist (GET). */
    private final class RestHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!authorized(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
                Response.writeError(request, response, callback, 401, "node agent: missing or wrong token");
                return true;
            }
            Matcher m = PATH.matcher(Request.getPathInContext(request));
            if (!m.matches()) {
                Response.writeError(request, response, callback, 404);
                return true;
            }
            String ns = m.group(1);
            String name = m.group(2);
            String verb = m.group(3);
            try {
                if (runtime.status(ns, name).isEmpty()) {
                    reply(response, callback, 409, "VMI " + ns + "/" + name + " is not running on this node");
                    return true;
                }
                switch (verb) {
                    case "pause" -> runtime.pause(ns, name);
                    case "unpause" -> runtime.unpause(ns, name);
                    case "softreboot" -> runtime.softReboot(ns, name);
                    case "guestosinfo", "userlist", "filesystemlist" -> {
                        guestAgent(response, callback, ns, name, verb);
                        return true;
                    }
                    default -> {
                        reply(response, callback, 404, "unknown action " + verb);
                        return true;
                    }
                }
                reply(response, callback, 200, "");
            } catch (RuntimeException e) {
                reply(response, callback, 500, e.getMessage());
            }
            return true;
        }

        /** Asks the guest agent (each command bounded by the launcher's agent timeout); 409 without an agent. */
        private void guestAgent(Response response, Callback callback, String ns, String name, String verb) {
            if (!runtime.devices(ns, name).map(DomainDevices::agentConnected).orElse(false)) {
                reply(response, callback, 409, NO_AGENT);
                return;
            }
            ObjectNode body = switch (verb) {
                case "userlist" -> GuestAgentMapping.userList(agent(ns, name, "guest-get-users"));
                case "filesystemlist" -> GuestAgentMapping.fileSystemList(agent(ns, name, "guest-get-fsinfo"));
                default -> {
                    Map<String, JsonNode> replies = new HashMap<>();
                    for (String c : GuestAgentMapping.GUEST_INFO_COMMANDS) {
                        JsonNode r = agent(ns, name, c);
                        if (r != null) {
                            replies.put(c, r);
                        }
                    }
                    yield GuestAgentMapping.guestAgentInfo(replies);
                }
            };
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8)), callback);
        }

        /** A command's return value, or null if the agent did not answer it (as virt-launcher skips such data). */
        private JsonNode agent(String ns, String name, String command) {
            try {
                return runtime.agentCommand(ns, name, command);
            } catch (GuestRuntime.AgentException e) {
                LOG.debug("guest agent of {}/{}: {} failed: {}", ns, name, command, e.getMessage());
                return null;
            }
        }

        private void reply(Response response, Callback callback, int code, String message) {
            response.setStatus(code);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.write(true, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), callback);
        }
    }

    @Override
    public void close() {
        pinger.shutdownNow();
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the node agent endpoint: {}", e.toString());
        }
    }
}
