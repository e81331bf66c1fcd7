package io.jvirt.apiserver.admission.kubevirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.kubevirt.ClusterConfig;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.admission.AdmissionChain;
import io.jvirt.apiserver.admission.AdmissionRequest;
import io.jvirt.apiserver.admission.AdmissionRequest.Operation;
import io.jvirt.apiserver.admission.SchemaValidation;
import io.jvirt.apiserver.http.ApiException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** The plugin through the real {@link AdmissionChain}, with the schema check in front as in ApiServer. */
class KubevirtAdmissionTest {
    static final ObjectMapper LENIENT = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES, JsonReadFeature.ALLOW_SINGLE_QUOTES).build();
    static final ResourceCatalog CATALOG = ResourceCatalog.standard();
    static final ResourceType VMI = CATALOG.find("kubevirt.io", "v1", "virtualmachineinstances").orElseThrow();
    static final ResourceType VM = CATALOG.find("kubevirt.io", "v1", "virtualmachines").orElseThrow();
    static final ResourceType KV = CATALOG.find("kubevirt.io", "v1", "kubevirts").orElseThrow();
    static final String USER = "jvirt-admin";

    private final AtomicReference<ClusterConfig> config = new AtomicReference<>(ClusterConfig.defaults());
    private final AdmissionChain chain = new AdmissionChain().add(new SchemaValidation())
            .add(new KubevirtAdmission(config::get));

    static ObjectNode obj(String json) {
        try {
            return (ObjectNode) LENIENT.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode vmi(String spec) {
        ObjectNode o = obj("{apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',"
                + " metadata: {name: 'v', namespace: 'default'}}");
        o.set("spec", obj(spec));
        return o;
    }

    static ObjectNode vm(String spec) {
        ObjectNode o = obj("{apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine',"
                + " metadata: {name: 'vm', namespace: 'default'}}");
        o.set("spec", obj(spec));
        return o;
    }

    private List<String> admit(Operation op, ResourceType rt, ObjectNode object, ObjectNode old, String user) {
        return chain.admit(new AdmissionRequest(op, rt, null, object, old, user, false, "Strict"));
    }

    private List<String> create(ResourceType rt, ObjectNode object) {
        return admit(Operation.CREATE, rt, object, null, USER);
    }

    private static final String GOOD_SPEC = "{domain: {resources: {requests: {memory: '1Gi'}},"
            + " devices: {disks: [{name: 'root', disk: {bus: 'virtio'}}]}},"
            + " volumes: [{name: 'root', containerDisk: {image: 'quay.io/containerdisks/fedora:41'}}]}";

    @Test
    void vmiCreateIsDefaultedAndAdmitted() {
        ObjectNode v = vmi(GOOD_SPEC);
        assertThat(create(VMI, v)).as("no unknown fields, no warnings").isEmpty();
        assertThat(v.at("/status/phase").asText()).isEqualTo("Pending");
        assertThat(v.at("/metadata/finalizers/0").asText()).isEqualTo("kubevirt.io/foregroundDeleteVirtualMachine");
        assertThat(v.at("/spec/domain/machine/type").asText()).isEqualTo("q35");
        assertThat(v.at("/spec/domain/cpu/model").asText()).isEqualTo("host-model");
        assertThat(v.at("/spec/networks/0/pod").isObject()).isTrue();
    }

    @Test
    void invalidVmiIsOne422WithEveryCause() {
        ObjectNode v = vmi("{domain: {resources: {requests: {memory: '2Gi', cpu: '-1'}, limits: {memory: '1Gi'}},"
                + " cpu: {isolateEmulatorThread: true}}}");
        assertThatThrownBy(() -> create(VMI, v)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code()).isEqualTo(422);
            assertThat(e.causes()).containsExactly(
                    new ApiException.Cause("FieldValueInvalid", "spec.domain.resources.requests.memory",
                            "spec.domain.resources.requests.memory '2Gi' is greater than "
                                    + "spec.domain.resources.limits.memory '1Gi'"),
                    new ApiException.Cause("FieldValueInvalid", "spec.domain.resources.requests.cpu",
                            "spec.domain.resources.requests.cpu '-1': must be greater than or equal to 0."),
                    new ApiException.Cause("FieldValueInvalid", "spec.domain.cpu.isolateEmulatorThread",
                            "IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement"));
            assertThat(e.getMessage()).startsWith("VirtualMachineInstance.kubevirt.io \"v\" is invalid: "
                    + "[spec.domain.resources.requests.memory: spec.domain.resources.requests.memory '2Gi' is "
                    + "greater than");
            assertThat(e.toStatus().at("/details/causes/0/reason").asText()).isEqualTo("FieldValueInvalid");
        });
    }

    @Test
    void causesWithoutFieldHaveNoFieldInTheStatus() {
        ObjectNode v = vmi("{domain: {devices: {autoattachPodInterface: false}}}");
        assertThatThrownBy(() -> create(VMI, v)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.causes()).containsExactly(new ApiException.Cause("FieldValueRequired", null, "no memory "
                    + "requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' "
                    + "or 'spec.domain.resources.requests.memory' must be set"));
            assertThat(e.getMessage()).isEqualTo("VirtualMachineInstance.kubevirt.io \"v\" is invalid: no memory "
                    + "requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' "
                    + "or 'spec.domain.resources.requests.memory' must be set");
            assertThat(e.toStatus().at("/details/causes/0").has("field")).isFalse();
        });
    }

    @Test
    void defaultingProblemIsA400() {
        config.set(ClusterConfig.from(obj("{spec: {configuration: {network: "
                + "{permitBridgeInterfaceOnPodNetwork: false}}}}"), null));
        assertThatThrownBy(() -> create(VMI, vmi(GOOD_SPEC))).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code()).isEqualTo(400);
            assertThat(e.getMessage()).isEqualTo("bridge interface is not enabled in kubevirt-config");
        });
    }

    @Test
    void theConfigIsReadPerRequest() {
        ObjectNode dm = vmi("{domain: {memory: {guest: '1Gi'}, devices: {downwardMetrics: {}}}}");
        assertThatThrownBy(() -> create(VMI, dm.deepCopy())).isInstanceOf(ApiException.class);
        config.set(ClusterConfig.from(obj("{spec: {configuration: {developerConfiguration: "
                + "{featureGates: ['DownwardMetrics']}}}}"), null));
        assertThat(create(VMI, dm.deepCopy())).isEmpty();
    }

    @Test
    void vmiSpecIsImmutableForUsers() {
        ObjectNode old = vmi(GOOD_SPEC);
        create(VMI, old);
        ObjectNode changed = old.deepCopy();
        ((ObjectNode) changed.at("/spec/domain/cpu")).put("sockets", 2);
        assertThatThrownBy(() -> admit(Operation.UPDATE, VMI, changed, old, USER))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(422);
                    assertThat(e.causes()).containsExactly(new ApiException.Cause("FieldValueNotSupported", null,
                            "update of VMI object is restricted"));
                    assertThat(e.getMessage()).isEqualTo("VirtualMachineInstance.kubevirt.io \"v\" is invalid: "
                            + "update of VMI object is restricted");
                });
        assertThat(admit(Operation.UPDATE, VMI, changed.deepCopy(), old, "system:jvirt")).isEmpty();
        assertThat(admit(Operation.UPDATE, VMI, changed.deepCopy(), old,
                "system:serviceaccount:kubevirt:kubevirt-controller")).isEmpty();
    }

    @Test
    void metadataChangesAreFineButReservedLabelsAreNot() {
        ObjectNode old = vmi(GOOD_SPEC);
        create(VMI, old);
        ObjectNode labelled = old.deepCopy();
        ((ObjectNode) labelled.get("metadata")).putObject("labels").put("app", "web");
        assertThat(admit(Operation.UPDATE, VMI, labelled, old, USER)).isEmpty();
        ObjectNode reserved = old.deepCopy();
        ((ObjectNode) reserved.get("metadata")).putObject("labels").put("kubevirt.io/nodeName", "n1");
        assertThatThrownBy(() -> admit(Operation.UPDATE, VMI, reserved, old, USER))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.causes()).containsExactly(
                        new ApiException.Cause("FieldValueNotSupported", null,
                                "modification of the following reserved kubevirt.io/ labels on a VMI object is "
                                        + "prohibited")));
        assertThat(admit(Operation.UPDATE, VMI, reserved, old, "system:jvirt")).isEmpty();
    }

    @Test
    void reservedLabelsOnCreateOnlyForKubeVirt() {
        ObjectNode v = vmi(GOOD_SPEC);
        ((ObjectNode) v.get("metadata")).putObject("labels").put("kubevirt.io/created-by", "uid");
        assertThatThrownBy(() -> create(VMI, v.deepCopy())).isInstanceOf(ApiException.class);
        assertThat(admit(Operation.CREATE, VMI, v.deepCopy(), null, "system:jvirt")).isEmpty();
    }

    @Test
    void statusWritesAndDeletesAreNotTouched() {
        ObjectNode old = vmi(GOOD_SPEC);
        create(VMI, old);
        ObjectNode status = old.deepCopy();
        ((ObjectNode) status.get("status")).put("phase", "Running");
        ((ObjectNode) status.at("/spec/domain/cpu")).put("sockets", 9); // would be rejected on the main resource
        assertThat(chain.admit(new AdmissionRequest(Operation.UPDATE, VMI, "status", status, old, USER, false,
                "Strict"))).isEmpty();
        assertThat(chain.admit(new AdmissionRequest(Operation.DELETE, VMI, null, old, old, USER, false, "Strict")))
                .isEmpty();
    }

    @Test
    void vmCreateIsMutatedValidatedAndWarned() {
        ObjectNode v = vm("{running: true, template: " + GOOD_SPEC.replace("{domain", "{spec: {domain") + "}}");
        assertThat(create(VM, v)).containsExactly("spec.running is deprecated, please use spec.runStrategy instead.");
        assertThat(v.at("/spec/template/spec/domain/machine/type").asText()).isEqualTo("q35");
        assertThat(v.at("/spec/template/spec/architecture").asText()).isEqualTo("amd64");
        assertThat(v.at("/spec/template/spec/domain").has("cpu")).as("the rest is defaulted on a copy only")
                .isFalse();
    }

    @Test
    void vmWithoutRunStrategy() {
        ObjectNode v = vm("{template: {spec: {domain: {memory: {guest: '1Gi'}, devices: {}}}}}");
        assertThatThrownBy(() -> create(VM, v)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.causes()).containsExactly(new ApiException.Cause("FieldValueInvalid", "spec.running",
                    "RunStrategy must be specified"));
            assertThat(e.getMessage()).isEqualTo("VirtualMachine.kubevirt.io \"vm\" is invalid: spec.running: "
                    + "RunStrategy must be specified");
        });
    }

    @Test
    void aFieldTheSchemaAlreadyRejectedIsReportedOnce() {
        ObjectNode v = vm("{runStrategy: 'Sometimes', template: {spec: {domain: {memory: {guest: '1Gi'},"
                + " devices: {}, ioThreadsPolicy: 'dedicated'}}}}");
        assertThatThrownBy(() -> create(VM, v)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.causes()).extracting(ApiException.Cause::field).containsExactlyInAnyOrder(
                    "spec.runStrategy", "spec.template.spec.domain.ioThreadsPolicy");
            assertThat(e.causes()).extracting(ApiException.Cause::type).containsOnly("FieldValueNotSupported");
        });
    }

    @Test
    void vmUpdateByUserIsValidatedToo() {
        ObjectNode old = vm("{runStrategy: 'Halted', template: {spec: {domain: {memory: {guest: '1Gi'},"
                + " devices: {}}}}}");
        create(VM, old);
        ObjectNode next = old.deepCopy();
        ((ObjectNode) next.get("spec")).put("running", true);
        assertThatThrownBy(() -> admit(Operation.UPDATE, VM, next, old, USER))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.causes()).extracting(
                        ApiException.Cause::message).containsExactly("Running and RunStrategy are mutually exclusive. "
                        + "Note that Running is deprecated, please use RunStrategy instead"));
    }

    @Test
    void kubeVirtCrWarnsAboutRedundantGates() {
        ObjectNode kv = obj("{apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: {name: 'kubevirt',"
                + " namespace: 'kubevirt'}, spec: {configuration: {developerConfiguration: {featureGates: "
                + "['LiveMigration', 'HostDisk']}}}}");
        String warning = "feature gate LiveMigration is deprecated (feature state is \"General Availability\"), "
                + "therefore it can be safely removed and is redundant. For more info, please look at: "
                + "https://github.com/kubevirt/kubevirt/blob/main/docs/deprecation.md";
        assertThat(create(KV, kv)).containsExactly(warning);
        ObjectNode same = kv.deepCopy();
        ((ObjectNode) same.get("spec")).put("imageTag", "v1.6.0");
        assertThat(admit(Operation.UPDATE, KV, same, kv, USER)).as("gates unchanged").isEmpty();
        ObjectNode changed = kv.deepCopy();
        ((com.fasterxml.jackson.databind.node.ArrayNode) changed.at(
                "/spec/configuration/developerConfiguration/featureGates")).add("NUMA");
        assertThat(admit(Operation.UPDATE, KV, changed, kv, USER)).hasSize(2);
    }

    @Test
    void otherResourcesAreIgnored() {
        KubevirtAdmission plugin = new KubevirtAdmission(config::get);
        ResourceType pods = CATALOG.find("", "v1", "pods").orElseThrow();
        ResourceType migrations = CATALOG.find("kubevirt.io", "v1", "virtualmachineinstancemigrations").orElseThrow();
        assertThat(plugin.handles(new AdmissionRequest(Operation.CREATE, pods, null, obj("{}"), null, USER, false,
                "Warn"))).isFalse();
        assertThat(plugin.handles(new AdmissionRequest(Operation.CREATE, migrations, null, obj("{}"), null, USER,
                false, "Warn"))).isFalse();
        assertThat(plugin.handles(new AdmissionRequest(Operation.CREATE, VMI, null, obj("{}"), null, USER, false,
                "Warn"))).isTrue();
    }
}
