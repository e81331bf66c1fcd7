package io.jvirt.api.schema;

import static io.jvirt.api.schema.Manifests.at;
import static io.jvirt.api.schema.Manifests.parse;
import static io.jvirt.api.schema.Manifests.ptr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceCatalog;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.api.schema.ValidationResult.FieldError;
import org.junit.jupiter.api.Test;

class SchemaValidatorTest {
    private final SchemaValidator validator = SchemaValidator.standard();
    private final ResourceCatalog catalog = ResourceCatalog.standard();

    private ResourceType type(String apiVersion, String kind) {
        return catalog.findKind(apiVersion, kind).orElseThrow();
    }

    @Test
    void realisticCirrosVmIsClean() {
        ValidationResult r = validator.validate(type("kubevirt.io/v1", "VirtualMachine"), parse(Manifests.CIRROS_VM));
        assertThat(r.unknownFields()).isEmpty();
        assertThat(r.typeErrors()).isEmpty();
        assertThat(r.missingFields()).isEmpty();
        assertThat(r.isClean()).isTrue();
    }

    @Test
    void typoIsReportedWithItsFullPath() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "spec.template.spec.domain.cpu").put("corez", 4);
        ptr(vm, "/spec/template/spec/volumes/0/containerDisk").put("imag", "x");
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.unknownFields()).containsExactlyInAnyOrder("spec.template.spec.domain.cpu.corez",
                "spec.template.spec.volumes[0].containerDisk.imag");
        assertThat(r.unknownFieldMessages()).contains("unknown field \"spec.template.spec.domain.cpu.corez\"");
        assertThat(r.typeErrors()).isEmpty();
    }

    @Test
    void wrongTypeIsReportedLikeKube() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "spec.template.spec.domain.cpu").put("cores", "two");
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.typeErrors()).containsExactly(new FieldError("spec.template.spec.domain.cpu.cores",
                "Invalid value: \"string\": spec.template.spec.domain.cpu.cores in body must be of type integer: "
                        + "\"string\"", "FieldValueTypeInvalid"));
        assertThat(r.typeErrors().getFirst().describe())
                .startsWith("spec.template.spec.domain.cpu.cores: Invalid value: \"string\"");
        assertThat(r.unknownFields()).isEmpty();
    }

    @Test
    void enumViolationListsSupportedValues() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "spec").put("runStrategy", "Sometimes");
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.typeErrors()).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("spec.runStrategy");
            assertThat(e.reason()).isEqualTo("FieldValueNotSupported");
            assertThat(e.message()).isEqualTo("Unsupported value: \"Sometimes\": supported values: \"Always\", "
                    + "\"Halted\", \"Manual\", \"RerunOnFailure\", \"Once\", \"WaitAsReceiver\"");
        });
    }

    @Test
    void integerRejectsFractionsAndBooleansButQuantitiesAcceptNumbersAndStrings() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "spec.template.spec.domain.cpu").put("sockets", 1.5);
        at(vm, "spec.template.spec.domain.cpu").put("dedicatedCpuPlacement", "yes");
        at(vm, "spec.template.spec.domain.resources.requests").put("cpu", 1.5);
        at(vm, "spec.template.spec.domain.memory").put("guest", true);
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.typeErrors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.template.spec.domain.cpu.sockets",
                "spec.template.spec.domain.cpu.dedicatedCpuPlacement",
                "spec.template.spec.domain.memory.guest");
    }

    @Test
    void intOrStringAcceptsIntegersAndStringsOnly() {
        ObjectNode pool = parse("""
                {"apiVersion": "pool.kubevirt.io/v1beta1", "kind": "VirtualMachinePool",
                 "metadata": {"name": "p"},
                 "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}}, "maxUnavailable": "50%",
                          "virtualMachineTemplate": {"metadata": {"labels": {"a": "b"}},
                            "spec": {"runStrategy": "Halted",
                                     "template": {"spec": {"domain": {"devices": {}}}}}}}}
                """);
        assertThat(validator.validate("pool.kubevirt.io/v1beta1", "VirtualMachinePool", pool).isClean()).isTrue();
        at(pool, "spec").put("maxUnavailable", 3);
        assertThat(validator.validate("pool.kubevirt.io/v1beta1", "VirtualMachinePool", pool).isClean()).isTrue();
        at(pool, "spec").put("maxUnavailable", 0.5);
        assertThat(validator.validate("pool.kubevirt.io/v1beta1", "VirtualMachinePool", pool).typeErrors())
                .extracting(FieldError::field).containsExactly("spec.maxUnavailable");
    }

    @Test
    void nothingIsUnknownInsidePreservedSubtrees() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "spec.template.spec.domain.features").putObject("hyperv").put("futureEnlightenment", true);
        at(vm, "spec.template.spec.domain.clock").put("someNewClockKey", "x");
        at(vm, "spec").putArray("dataVolumeTemplates").addObject()
                .<ObjectNode>set("metadata", parse("{\"name\": \"root\"}"))
                .set("spec", parse("{\"source\": {\"http\": {\"url\": \"https://example.com/disk.img\", "
                        + "\"anything\": {\"deep\": 1}}}, \"storage\": {\"resources\": {\"requests\": "
                        + "{\"storage\": \"1Gi\"}}}}"));
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.isClean()).as(r.toString()).isTrue();
    }

    @Test
    void metadataIsCheckedAgainstObjectMeta() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "metadata").put("labelz", "x");
        at(vm, "metadata").withObject("/labels").put("n", 1);
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.unknownFields()).containsExactly("metadata.labelz");
        assertThat(r.typeErrors()).extracting(FieldError::field).containsExactly("metadata.labels[n]");
    }

    @Test
    void statusIsValidatedToo() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        vm.set("status", parse("{\"printableStatus\": \"Running\", \"ready\": \"yes\", \"createdd\": true, "
                + "\"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]}"));
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.unknownFields()).containsExactly("status.createdd");
        assertThat(r.typeErrors()).extracting(FieldError::field).containsExactly("status.ready");
    }

    @Test
    void missingRequiredFieldsAreListedSeparately() {
        ObjectNode vm = parse(Manifests.CIRROS_VM);
        at(vm, "spec.template.spec.domain").remove("devices");
        ptr(vm, "/spec/template/spec/volumes/0").remove("name");
        ValidationResult r = validator.validate("kubevirt.io/v1", "VirtualMachine", vm);
        assertThat(r.missingFields()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "spec.template.spec.domain.devices", "spec.template.spec.volumes[0].name");
        assertThat(r.missingFields()).allSatisfy(e -> assertThat(e.message()).isEqualTo("Required value"));
        assertThat(r.hasErrors()).isTrue();
    }

    @Test
    void podWithContainersEnvAndResourcesIsClean() {
        ValidationResult r = validator.validate(type("v1", "Pod"), parse(Manifests.POD));
        assertThat(r.isClean()).as(r.toString()).isTrue();
    }

    @Test
    void podTypoIsReported() {
        ObjectNode pod = parse(Manifests.POD);
        at(pod, "spec").set("containerz", pod.path("spec").path("containers"));
        ptr(pod, "/spec/containers/0").put("imagePullPolicyy", "Always");
        ValidationResult r = validator.validate("v1", "Pod", pod);
        assertThat(r.unknownFields()).containsExactlyInAnyOrder("spec.containerz",
                "spec.containers[0].imagePullPolicyy");
    }

    @Test
    void podWrongTypeIsReported() {
        ObjectNode pod = parse(Manifests.POD);
        ptr(pod, "/spec/containers/0/ports/0").put("containerPort", "eighty");
        ValidationResult r = validator.validate("v1", "Pod", pod);
        assertThat(r.typeErrors()).extracting(FieldError::field).containsExactly("spec.containers[0].ports[0]"
                + ".containerPort");
    }

    @Test
    void otherBuiltinKindsValidate() {
        assertThat(validator.validate("v1", "Secret", parse("""
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
                 "data": {"k": "dmFsdWU="}, "stringData": {"x": "y"}}
                """)).isClean()).isTrue();
        assertThat(validator.validate("v1", "ConfigMap", parse("""
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"},
                 "dataa": {}}
                """)).unknownFields()).containsExactly("dataa");
        assertThat(validator.validate("coordination.k8s.io/v1", "Lease", parse("""
                {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
                 "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15,
                          "renewTime": "2024-01-01T00:00:00.000000Z"}}
                """)).isClean()).isTrue();
        assertThat(validator.validate("events.k8s.io/v1", "Event", parse("""
                {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
                 "eventTime": "2024-01-01T00:00:00.000000Z", "reason": "Started", "type": "Normal",
                 "regarding": {"kind": "Pod", "name": "p"}, "reportingController": "x", "reportingInstance": "y",
                 "action": "Start", "note": "started"}
                """)).isClean()).isTrue();
        assertThat(validator.validate("storage.k8s.io/v1", "StorageClass", parse("""
                {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
                 "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer",
                 "parameters": {"a": "b"}}
                """)).isClean()).isTrue();
    }

    @Test
    void instancetypeAndPreferenceValidate() {
        ValidationResult it = validator.validate("instancetype.kubevirt.io/v1beta1", "VirtualMachineClusterInstancetype",
                parse("""
                        {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineClusterInstancetype",
                         "metadata": {"name": "cx1.medium"},
                         "spec": {"cpu": {"guest": 1, "dedicatedCPUPlacement": true,
                                          "numa": {"guestMappingPassthrough": {}}},
                                  "memory": {"guest": "2Gi", "hugepages": {"pageSize": "1Gi"}},
                                  "ioThreadsPolicy": "auto"}}
                        """));
        assertThat(it.isClean()).as(it.toString()).isTrue();
        ValidationResult pref = validator.validate("instancetype.kubevirt.io/v1beta1", "VirtualMachinePreference",
                parse("""
                        {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachinePreference",
                         "metadata": {"name": "fedora"},
                         "spec": {"cpu": {"preferredCPUTopology": "spread"},
                                  "devices": {"preferredDiskBus": "virtio", "preferredInterfaceModel": "virtio",
                                              "preferredDiskDedicatedIoThread": true,
                                              "preferredNetworkInterfaceMultiQueue": true},
                                  "firmware": {"preferredEfi": {"secureBoot": false}},
                                  "requirements": {"cpu": {"guest": 1}, "memory": {"guest": "1Gi"}}}}
                        """));
        assertThat(pref.isClean()).as(pref.toString()).isTrue();
    }

    @Test
    void schemaForAndUnknownKinds() {
        assertThat(validator.schemaFor("kubevirt.io", "v1", "VirtualMachine")).isPresent();
        assertThat(validator.schemaFor("kubevirt.io", "v1", "VirtualMachineList")).isPresent();
        assertThat(validator.schemaFor("", "v1", "Pod").orElseThrow().gvks())
                .containsExactly(new GroupVersionKind("", "v1", "Pod"));
        assertThat(validator.schemaFor("kubevirt.io", "v1", "Nope")).isEmpty();
        assertThatThrownBy(() -> validator.validate("kubevirt.io/v1", "Nope", parse("{}")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyServedKindAcceptsAMinimalObject() {
        for (ResourceType t : catalog.all()) {
            ObjectNode o = parse("{\"metadata\": {\"name\": \"x\"}}");
            o.put("apiVersion", t.apiVersion()).put("kind", t.kind());
            ValidationResult r = validator.validate(t, o);
            assertThat(r.unknownFields()).as(t.kind()).isEmpty();
            assertThat(r.typeErrors()).as(t.kind()).isEmpty();
        }
    }
}
