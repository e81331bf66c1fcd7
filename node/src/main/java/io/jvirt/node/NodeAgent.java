package io.jvirt.node;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.jvirt.controller.kube.Kind;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.node.console.AgentEndpoint;
import io.jvirt.node.console.ConsoleHubs;
import io.jvirt.node.cpumanager.NodePlacement;
import io.jvirt.node.sync.GuestRuntime;
import io.jvirt.node.sync.LauncherPodRunner;
import io.jvirt.node.sync.VmiSync;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One per node: registers the Node and keeps its heartbeat, runs the VMI sync loop and (in embedded mode) the
 * launcher pods, and serves the node endpoint (console, VNC, pause…) that the API server proxies to. It talks to
 * the platform only through the Kubernetes API; guests belong to libvirt and outlive this process.
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    /** Heartbeat period. KubeVirt's virt-handler uses one minute; a shorter one lets failures show sooner. */
    private static final long HEARTBEAT_S = 30;
    /** Namespace holding each node agent's endpoint secret. */
    public static final String SYSTEM_NAMESPACE = "kubevirt";

    private final KubeApi api;
    private final GuestRuntime runtime;
    private final ConsoleHubs hubs = new ConsoleHubs();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private AgentEndpoint endpoint;
    private NodeRegistration registration;
    private VmiSync sync;
    private LauncherPodRunner pods;

    private final NodePlacement placement;
    private final java.util.function.BooleanSupplier cpuManagerGate;

    /**
     * @param placement      the node's CPU manager / topology manager
     * @param cpuManagerGate whether the CPUManager feature gate is on (cluster configuration, read live)
     */
    public NodeAgent(KubeApi api, GuestRuntime runtime, NodePlacement placement,
                     java.util.function.BooleanSupplier cpuManagerGate) {
        this.api = api;
        this.runtime = runtime;
        this.placement = placement;
        this.cpuManagerGate = cpuManagerGate;
    }

    /** The Secret holding a node agent's endpoint token ({@code token}) and URL ({@code endpoint}). */
    public static String endpointSecretName(String nodeName) {
        return "jvirt-node-agent-" + nodeName;
    }

    public void start(HostFacts host) throws Exception {
        String token = newToken();
        endpoint = new AgentEndpoint(runtime, hubs, token);
        String url = endpoint.start(0);
        publishEndpoint(host.hostname(), url, token);
        registration = new NodeRegistration(api, host, runtime.kvm(), url, placement, cpuManagerGate);
        registration.register();
        timer.scheduleAtFixedRate(() -> {
            try {
                registration.heartbeat();
            } catch (RuntimeException e) {
                LOG.warn("heartbeat failed: {}", e.toString());
            }
        }, HEARTBEAT_S, HEARTBEAT_S, TimeUnit.SECONDS);
        // allocations of pods that are gone (e.g. deleted while the agent was down) are forgotten
        placement.retainOnly(api.list(Kind.POD, null).stream()
                .filter(p -> host.hostname().equals(p.path("spec").path("nodeName").asText("")))
                .map(KubeApi::uid).toList());
        sync = new VmiSync(api, runtime, host.hostname(), hubs, placement);
        sync.start();
        pods = new LauncherPodRunner(api, host.hostname(), host.internalIp(), sync, placement, () -> {
            try {
                registration.publishUsage();
            } catch (RuntimeException e) {
                LOG.warn("publishing CPU usage failed: {}", e.toString());
            }
        });
        pods.start();
        LOG.info("node agent for {} running ({}; endpoint {})", host.hostname(),
                runtime.kvm() ? "KVM" : "software emulation", url);
    }

    private void publishEndpoint(String node, String url, String token) {
        ObjectNode secret = JsonNodeFactory.instance.objectNode();
        ObjectNode meta = secret.putObject("metadata");
        meta.put("name", endpointSecretName(node));
        meta.put("namespace", SYSTEM_NAMESPACE);
        meta.putObject("labels").put("jvirt.io/node-agent", node);
        secret.put("type", "Opaque");
        ObjectNode data = secret.putObject("data");
        data.put("token", b64(token));
        data.put("endpoint", b64(url));
        try {
            api.create(Kind.SECRET, SYSTEM_NAMESPACE, secret);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            ObjectNode patch = JsonNodeFactory.instance.objectNode();
            patch.set("data", data);
            api.patch(Kind.SECRET, SYSTEM_NAMESPACE, endpointSecretName(node), patch);
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (pods != null) {
            pods.close();
        }
        if (sync != null) {
            sync.close();
        }
        if (registration != null) {
            try {
                registration.markUnschedulable();
            } catch (RuntimeException e) {
                LOG.debug("could not mark the node unschedulable: {}", e.toString());
            }
        }
        if (endpoint != null) {
            endpoint.close();
        }
        hubs.close();
    }
}
