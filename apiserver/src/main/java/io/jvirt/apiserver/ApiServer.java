package io.jvirt.apiserver;

import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.schema.OpenApiV2Proto;
import io.jvirt.api.schema.OpenApiV3;
import io.jvirt.apiserver.admission.AdmissionChain;
import io.jvirt.apiserver.admission.SchemaValidation;
import io.jvirt.apiserver.admission.kubevirt.InstancetypeAdmission;
import io.jvirt.apiserver.admission.kubevirt.KubevirtAdmission;
import io.jvirt.apiserver.admission.kubevirt.StoreClusterConfig;
import io.jvirt.apiserver.http.ApiHandler;
import io.jvirt.apiserver.http.DelegatingHandler;
import io.jvirt.apiserver.lifecycle.GarbageCollector;
import io.jvirt.apiserver.lifecycle.NamespaceLifecycle;
import io.jvirt.apiserver.rest.ConsoleProxy;
import io.jvirt.apiserver.rest.Discovery;
import io.jvirt.apiserver.rest.NodeEndpoints;
import io.jvirt.apiserver.rest.Subresources;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import io.jvirt.apiserver.rest.Fields;
import io.jvirt.apiserver.rest.ObjectService;
import io.jvirt.apiserver.rest.ResourceEndpoints;
import io.jvirt.apiserver.rest.WatchStreams;
import io.jvirt.apiserver.security.Identity;
import io.jvirt.apiserver.security.Kubeconfig;
import io.jvirt.apiserver.security.SecureFiles;
import io.jvirt.apiserver.security.ServerCertificates;
import io.jvirt.apiserver.security.Tokens;
import io.jvirt.apiserver.store.SqliteStore;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executors;

/**
 * The embedded Kubernetes-compatible API server: HTTPS only (HTTP/2 and HTTP/1.1 via ALPN), bearer tokens,
 * the durable store, admission, garbage collection and namespace lifecycle. {@link #start} returns once it
 * serves and its kubeconfig is written.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** Long-lived watches must not be cut by the connector's idle timeout; they end by their own timeout. */
    private static final long IDLE_TIMEOUT_MS = 2 * 60 * 60 * 1000L;

    /**
     * @param dataDir where the store, certificates, tokens and kubeconfigs live
     * @param host    address to listen on
     * @param port    0 picks a free port
     */
    public record Config(Path dataDir, String host, int port) {
        public static final int DEFAULT_PORT = 6443;
    }

    private final Config config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final SqliteStore store;
    private final ObjectService objects;
    private final AdmissionChain admission;
    private final WatchStreams watches;
    private final GarbageCollector gc;
    private final NamespaceLifecycle namespaces;
    private final Server jetty;
    private final ApiHandler handler;
    private final String url;
    private final Path kubeconfig;
    private final Path componentsKubeconfig;
    private final Tokens tokens;
    private final byte[] caPem;
    private volatile boolean closed;

    private ApiServer(Config config) throws Exception {
        this.config = config;
        Path dir = config.dataDir();
        SecureFiles.ensurePrivateDirectory(dir);
        lockChannel = FileChannel.open(dir.resolve("apiserver.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("another jvirt API server is already using " + dir
                    + "; stop it first or pass a different --data-dir");
        }
        ServerCertificates certs = ServerCertificates.loadOrCreate(dir);
        tokens = Tokens.loadOrCreate(dir);
        caPem = certs.caPem();
        ResourceCatalog catalog = ResourceCatalog.standard();
        store = SqliteStore.open(dir, new Fields(catalog));
        admission = new AdmissionChain().add(new SchemaValidation())
                .add(new io.jvirt.apiserver.admission.kubevirt.PresetAdmission(store)) // before the defaults
                .add(new KubevirtAdmission(new StoreClusterConfig(store)))
                .add(new InstancetypeAdmission(store));
        objects = new ObjectService(store, catalog, admission);
        watches = new WatchStreams(store);
        namespaces = new NamespaceLifecycle(objects);
        namespaces.ensureSystemNamespaces();
        gc = new GarbageCollector(objects);

        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("apiserver");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        jetty = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
        h2.setMaxConcurrentStreams(1000);
        h2.setStreamIdleTimeout(IDLE_TIMEOUT_MS);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(h1.getProtocol());
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(certs.keyStore());
        ssl.setKeyStorePassword(certs.keyStorePassword());
        ssl.setCipherComparator(HTTP2Cipher.COMPARATOR);
        SslConnectionFactory tls = new SslConnectionFactory(ssl, alpn.getProtocol());
        ServerConnector connector = new ServerConnector(jetty, tls, alpn, h2, h1);
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        jetty.addConnector(connector);
        // The address is known only once bound, and discovery names it: serve 503 until the handler is in place.
        DelegatingHandler front = new DelegatingHandler();
        NodeEndpoints nodeEndpoints = new NodeEndpoints(objects);
        ConsoleProxy consoles = new ConsoleProxy(objects, nodeEndpoints, tokens.authenticator());
        WebSocketUpgradeHandler websockets = WebSocketUpgradeHandler.from(jetty, consoles::install);
        websockets.setHandler(front);
        jetty.setHandler(websockets);

        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        OpenApiV3 openApi = new OpenApiV3(catalog);
        jetty.start();
        int port = connector.getLocalPort();
        url = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        handler = new ApiHandler(catalog, new Discovery(catalog, host + ":" + port),
                new ResourceEndpoints(objects, watches), tokens.authenticator(),
                path -> path.isEmpty() ? openApi.root() : openApi.document(path).orElse(null),
                new Lazy<>(() -> OpenApiV2Proto.fromV3(openApi, Discovery.KUBE_MAJOR + "." + Discovery.KUBE_MINOR)),
                new Subresources(objects, nodeEndpoints));
        front.delegate(handler);
        gc.start();
        namespaces.start();
        Kubeconfig.write(dir, url, caPem, Identity.VIEWER, tokens.viewerToken());
        componentsKubeconfig = Kubeconfig.write(dir, url, caPem, Identity.COMPONENTS, tokens.componentsToken());
        kubeconfig = Kubeconfig.write(dir, url, caPem, Identity.ADMIN, tokens.adminToken());
        LOG.info("API server serving at {} (data dir {})", url, dir);
    }

    /** Computes a value once, on first use (the v2 document is only fetched by old kubectl versions). */
    private static final class Lazy<T> implements java.util.function.Supplier<T> {
        private final java.util.function.Supplier<T> compute;
        private volatile T value;

        Lazy(java.util.function.Supplier<T> compute) {
            this.compute = compute;
        }

        @Override
        public T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        value = v = compute.get();
                    }
                }
            }
            return v;
        }
    }

    public static ApiServer start(Config config) throws Exception {
        return new ApiServer(config);
    }

    public String url() {
        return url;
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    /** The kubeconfig of jvirt's own components (controllers, node agent). */
    public Path componentsKubeconfig() {
        return componentsKubeconfig;
    }

    public Path dataDir() {
        return config.dataDir();
    }

    public String adminToken() {
        return tokens.adminToken();
    }

    public String viewerToken() {
        return tokens.viewerToken();
    }

    public byte[] caPem() {
        return caPem.clone();
    }

    /** In-process access to the objects with full REST semantics (for bootstrap and embedded components). */
    public ObjectService objects() {
        return objects;
    }

    public AdmissionChain admission() {
        return admission;
    }

    /** Stops serving: open watches end, in-flight writes finish, the store closes. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        handler.setReady(false);
        watches.closeAll();
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server: {}", e.toString());
        }
        gc.close();
        namespaces.close();
        store.close();
        try {
            lock.release();
            lockChannel.close();
            Files.deleteIfExists(config.dataDir().resolve("apiserver.lock"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.info("API server stopped");
    }
}
