package io.jvirt.apiserver.admission.kubevirt;

import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.CATALOG;
import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.VMI;
import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.obj;
import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.vmi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.kubevirt.ClusterConfig;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.admission.AdmissionChain;
import io.jvirt.apiserver.admission.SchemaValidation;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.Json;
import io.jvirt.apiserver.rest.Fields;
import io.jvirt.apiserver.rest.ObjectService;
import io.jvirt.apiserver.rest.RequestOptions;
import io.jvirt.apiserver.store.SqliteStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The plugin wired as ApiServer will wire it: the cluster configuration read from the store
 * ({@link StoreClusterConfig}), the chain behind a real {@link ObjectService}.
 */
class KubevirtAdmissionStoreTest {
    private static final ResourceType NAMESPACES = CATALOG.find("", "v1", "namespaces").orElseThrow();
    private static final ResourceType CONFIGMAPS = CATALOG.find("", "v1", "configmaps").orElseThrow();
    private static final ResourceType KUBEVIRTS = CATALOG.find("kubevirt.io", "v1", "kubevirts").orElseThrow();
    private static final RequestOptions USER = new RequestOptions("jvirt-admin", false, "Strict");
    private static final RequestOptions SYSTEM = RequestOptions.internal();

    @TempDir
    Path dir;
    private SqliteStore store;
    private StoreClusterConfig config;
    private ObjectService objects;

    @BeforeEach
    void open() {
        store = SqliteStore.open(dir.resolve("data"), new Fields(CATALOG));
        config = new StoreClusterConfig(store);
        objects = new ObjectService(store, CATALOG,
                new AdmissionChain().add(new SchemaValidation()).add(new KubevirtAdmission(config)));
        for (String ns : new String[] {"default", "kubevirt"}) {
            objects.create(NAMESPACES, null, obj("{apiVersion: 'v1', kind: 'Namespace', metadata: {name: '" + ns
                    + "'}}"), SYSTEM);
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void defaultsWhenNothingIsStoredThenTheCrAndTheConfigMap() {
        assertThat(config.get()).isEqualTo(ClusterConfig.defaults());
        assertThat(config.get()).as("cached").isSameAs(config.get());

        objects.create(KUBEVIRTS, "kubevirt", obj("{apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: "
                + "{name: 'kubevirt'}, spec: {configuration: {developerConfiguration: {featureGates: ['HostDisk']},"
                + " cpuModel: 'Haswell'}}}"), SYSTEM);
        ClusterConfig withCr = config.get();
        assertThat(withCr.enabled("HostDisk")).isTrue();
        assertThat(withCr.cpuModel()).isEqualTo("Haswell");

        objects.create(CONFIGMAPS, "kubevirt", obj("{apiVersion: 'v1', kind: 'ConfigMap', metadata: "
                + "{name: 'kubevirt-config'}, data: {'feature-gates': 'VSOCK'}}"), SYSTEM);
        ClusterConfig merged = config.get();
        assertThat(merged).isNotSameAs(withCr);
        assertThat(merged.enabled("HostDisk")).isTrue();
        assertThat(merged.enabled("VSOCK")).isTrue();
    }

    @Test
    void vmiCreateThroughTheObjectService() {
        ObjectService.Result r = objects.create(VMI, "default", vmi("""
                {domain: {resources: {requests: {memory: '1Gi'}},
                          devices: {disks: [{name: 'root', disk: {bus: 'virtio'}}]}},
                 volumes: [{name: 'root', containerDisk: {image: 'quay.io/containerdisks/fedora:41'}}]}"""), USER);
        assertThat(r.code()).isEqualTo(201);
        assertThat(r.warnings()).isEmpty();
        ObjectNode stored = Json.parseObject(objects.get(VMI, "default", "v").json());
        assertThat(stored.at("/status/phase").asText()).isEqualTo("Pending");
        assertThat(stored.at("/spec/domain/cpu/maxSockets").asInt()).isEqualTo(4);
        assertThat(stored.at("/metadata/finalizers/0").asText()).isEqualTo("kubevirt.io/foregroundDeleteVirtualMachine");

        // users cannot change the spec; the system can
        ObjectNode changed = stored.deepCopy();
        ((ObjectNode) changed.at("/spec/domain/cpu")).put("sockets", 2);
        assertThatThrownBy(() -> objects.update(VMI, "default", "v", null, changed.deepCopy(), USER))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("VirtualMachineInstance.kubevirt.io \"v\" is invalid: update of VMI object is "
                                + "restricted"));
        assertThat(objects.update(VMI, "default", "v", null, changed.deepCopy(), SYSTEM).code()).isEqualTo(200);
    }

    @Test
    void gatesComeFromTheStoredCr() {
        ObjectNode hostDisk = vmi("{domain: {memory: {guest: '1Gi'}, devices: {disks: [{name: 'h'}]}},"
                + " volumes: [{name: 'h', hostDisk: {path: '/var/h.img', type: 'DiskOrCreate', capacity: '1Gi'}}]}");
        assertThatThrownBy(() -> objects.create(VMI, "default", hostDisk.deepCopy(), USER))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.causes()).extracting(
                        ApiException.Cause::message).containsExactly("HostDisk feature gate is not enabled"));
        objects.create(KUBEVIRTS, "kubevirt", obj("{apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: "
                + "{name: 'kubevirt'}, spec: {configuration: {developerConfiguration: {featureGates: ['HostDisk',"
                + " 'LiveMigration']}}}}"), SYSTEM);
        assertThat(objects.create(VMI, "default", hostDisk.deepCopy(), USER).code()).isEqualTo(201);
    }

    @Test
    void kubeVirtCrWarningsReachTheCaller() {
        ObjectService.Result r = objects.create(KUBEVIRTS, "kubevirt", obj("{apiVersion: 'kubevirt.io/v1', kind: "
                + "'KubeVirt', metadata: {name: 'kubevirt'}, spec: {configuration: {developerConfiguration: "
                + "{featureGates: ['NUMA']}}}}"), USER);
        assertThat(r.warnings()).singleElement().asString()
                .startsWith("feature gate NUMA is deprecated (feature state is \"General Availability\")");
    }
}
