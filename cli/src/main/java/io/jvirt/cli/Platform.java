package io.jvirt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.ApiServer;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.rest.RequestOptions;
import io.jvirt.controller.ControllerManager;
import io.jvirt.controller.kube.KubeApi;
import io.jvirt.launcher.libvirt.LibvirtDaemon;
import io.jvirt.launcher.libvirt.LibvirtHypervisor;
import io.jvirt.launcher.runtime.DomainXmlConverter;
import io.jvirt.launcher.runtime.KvmProbe;
import io.jvirt.launcher.runtime.VmiRuntime;
import io.jvirt.launcher.storage.DiskPreparer;
import io.jvirt.launcher.storage.ImagePuller;
import io.jvirt.launcher.storage.ImageStore;
import io.jvirt.node.HostFacts;
import io.jvirt.node.NodeAgent;
import io.jvirt.node.cpumanager.CpuManagerOptions;
import io.jvirt.node.cpumanager.NodePlacement;
import io.jvirt.node.sync.LibvirtGuestRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The all-in-one platform of {@code jvirt up}: the API server, the controllers and one node agent (with its own
 * libvirtd) in one process. The controllers and the node agent reach the API server only through its HTTPS API
 * with the admin kubeconfig, exactly as they would reach a real kube-apiserver.
 */
public final class Platform implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);
    /** KubeVirt's install namespace and CR name. */
    public static final String INSTALL_NAMESPACE = "kubevirt";

    private final ApiServer server;
    private final KubernetesClient client;
    private final ControllerManager controllers;
    private final NodeAgent agent;
    private final LibvirtHypervisor hypervisor;

    private Platform(ApiServer server, KubernetesClient client, ControllerManager controllers, NodeAgent agent,
                     LibvirtHypervisor hypervisor) {
        this.server = server;
        this.client = client;
        this.controllers = controllers;
        this.agent = agent;
        this.hypervisor = hypervisor;
    }

    /** Where containerDisk images are kept for a data dir (`jvirt image import`). */
    public static Path imageDir(Path dataDir) {
        return dataDir.resolve("images");
    }

    public static Platform start(ApiServer.Config config) throws Exception {
        return start(config, java.util.List.of());
    }

    /**
     * @param kubeletArgs the node's CPU manager settings in the kubelet's flag syntax, e.g.
     *                    {@code --cpu-manager-policy=static --reserved-cpus=0
     *                    --cpu-manager-policy-options=full-pcpus-only=true}
     */
    public static Platform start(ApiServer.Config config, java.util.List<String> kubeletArgs) throws Exception {
        ApiServer server = ApiServer.start(config);
        try {
            ensureKubevirtCr(server);
            ensureDefaultInstancetypes(server);
            KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(Files.readString(server.componentsKubeconfig()))).build();
            KubeApi api = new KubeApi(client);
            ControllerManager controllers = new ControllerManager(api, INSTALL_NAMESPACE);
            controllers.start();

            Path dir = config.dataDir();
            importDemoImage(dir);
            LibvirtDaemon daemon = new LibvirtDaemon(dir);
            daemon.ensureStarted();
            LibvirtHypervisor hypervisor = LibvirtHypervisor.connect(daemon);
            // libvirtd probes QEMU's capabilities on first need (4-5 s on a fresh data dir): let that happen now, in
            // the background, rather than inside the first VM's start
            Thread.ofVirtual().name("libvirt-capabilities").start(() -> {
                try {
                    hypervisor.domainCapabilities(VmiRuntime.Firmware.debian().emulator(), "qemu");
                } catch (RuntimeException e) {
                    LOG.debug("warming libvirt's QEMU capabilities failed; the first guest start will do it", e);
                }
            });
            boolean kvmWorks = new KvmProbe(dir).works();
            // useEmulation in the KubeVirt CR is read at every guest start: no restart needed to change it
            java.util.function.BooleanSupplier kvm = () -> kvmWorks && !controllers.config().get().useEmulation();
            // containerDisks are pulled with the cluster's insecureRegistries as they are at each pull
            ImagePuller images = new ImagePuller(new ImageStore(imageDir(dir)),
                    () -> controllers.config().get().insecureRegistries());
            VmiRuntime runtime = new VmiRuntime(dir, hypervisor, new DiskPreparer(images), kvm,
                    DomainXmlConverter.DEFAULT, VmiRuntime.Firmware.debian());
            NodePlacement placement = NodePlacement.open(dir, java.nio.file.Path.of("/sys"),
                    CpuManagerOptions.parse(kubeletArgs));
            NodeAgent agent = new NodeAgent(api, new LibvirtGuestRuntime(runtime, hypervisor, kvm), placement,
                    () -> controllers.config().get().enabled("CPUManager"));
            agent.start(HostFacts.read());
            LOG.info("platform ready: API server, controllers and node agent ({})",
                    kvm.getAsBoolean() ? "KVM" : "software emulation");
            return new Platform(server, client, controllers, agent, hypervisor);
        } catch (Exception e) {
            server.close();
            throw e;
        }
    }

    /** The image KubeVirt's examples use; `jvirt up` points it at jvirt's test guest unless it is already set. */
    static final String DEMO_IMAGE = "quay.io/kubevirt/cirros-container-disk-demo";

    private static void importDemoImage(Path dataDir) {
        String disk = System.getenv("JVIRT_DEMO_DISK");
        if (disk == null || disk.isBlank()) {
            return;
        }
        ImageStore store = new ImageStore(imageDir(dataDir));
        if (store.find(DEMO_IMAGE).isEmpty()) {
            store.importImage(DEMO_IMAGE, Path.of(disk));
            LOG.info("imported the test guest {} as {}", disk, DEMO_IMAGE);
        }
    }

    /** The {@code KubeVirt} CR {@code kubevirt/kubevirt} exists from the start, as after KubeVirt's install. */
    private static void ensureKubevirtCr(ApiServer server) {
        ResourceType kv = server.objects().catalog().find("kubevirt.io", "v1", "kubevirts").orElseThrow();
        ObjectNode cr = Json.object();
        cr.put("apiVersion", "kubevirt.io/v1");
        cr.put("kind", "KubeVirt");
        cr.putObject("metadata").put("name", "kubevirt").put("namespace", INSTALL_NAMESPACE);
        ObjectNode conf = cr.putObject("spec").putObject("configuration");
        conf.putObject("developerConfiguration").putArray("featureGates");
        try {
            server.objects().create(kv, INSTALL_NAMESPACE, cr, RequestOptions.internal());
        } catch (ApiException e) {
            if (e.code() != 409) {
                throw e;
            }
        }
        server.objects().modify(kv, INSTALL_NAMESPACE, "kubevirt", "status", o -> {
            if ("Deployed".equals(o.path("status").path("phase").asText())) {
                return null;
            }
            Json.with(o, "status").put("phase", "Deployed");
            return o;
        });
    }

    /** The flavors of {@code default-instancetypes.yaml}, created when absent (an admin may change them later). */
    private static void ensureDefaultInstancetypes(ApiServer server) throws java.io.IOException {
        try (var in = Platform.class.getResourceAsStream("default-instancetypes.yaml");
             var parser = Json.YAML.getFactory().createParser(in)) {
            for (var it = Json.YAML.readValues(parser, ObjectNode.class); it.hasNext(); ) {
                ObjectNode obj = it.next();
                ResourceType rt = server.objects().catalog()
                        .findKind(obj.path("apiVersion").asText(), obj.path("kind").asText()).orElseThrow();
                try {
                    server.objects().create(rt, null, obj, RequestOptions.internal());
                } catch (ApiException e) {
                    if (e.code() != 409) {
                        throw e;
                    }
                }
            }
        }
    }

    public ApiServer server() {
        return server;
    }

    /** Stops this process's parts; guests keep running under libvirt and are re-adopted on the next start. */
    @Override
    public void close() {
        agent.close();
        controllers.close();
        client.close();
        try {
            hypervisor.close();
        } catch (Exception e) {
            LOG.debug("closing the libvirt connection: {}", e.toString());
        }
        server.close();
    }
}
