package io.jvirt.apiserver.admission.kubevirt;

import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.CATALOG;
import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.VMI;
import static io.jvirt.apiserver.admission.kubevirt.KubevirtAdmissionTest.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.admission.AdmissionChain;
import io.jvirt.apiserver.admission.SchemaValidation;
import io.jvirt.apiserver.admission.kubevirt.PresetAdmission.Preset;
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
import java.util.List;

/** VirtualMachineInstancePresets: KubeVirt's merge rules (pure), then through a real ObjectService and store. */
class PresetAdmissionTest {
    private static final ResourceType NAMESPACES = CATALOG.find("", "v1", "namespaces").orElseThrow();
    private static final ResourceType PRESETS =
            CATALOG.find("kubevirt.io", "v1", "virtualmachineinstancepresets").orElseThrow();
    private static final RequestOptions USER = new RequestOptions("jvirt-admin", false, "Strict");
    private static final RequestOptions SYSTEM = RequestOptions.internal();

    static ObjectNode vmi(String labels, String spec) {
        return obj("{apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: {name: 'v',"
                + " namespace: 'default', labels: " + labels + "}, spec: " + spec + "}");
    }

    static Preset preset(String name, String selector, String domain) {
        return new Preset(name, obj(selector), obj(domain));
    }

    // ------------------------------------------------------------------------------------------ pure

    @Test
    void fillsWhatTheVmiLeavesUnsetAndRecordsThePreset() {
        ObjectNode v = vmi("{flavor: 'small'}", "{domain: {devices: {}}}");
        List<String> applied = PresetAdmission.apply(v, List.of(preset("small", "{matchLabels: {flavor: 'small'}}",
                "{resources: {requests: {memory: '128Mi'}}, cpu: {cores: 2}, firmware: {serial: 'abc'},"
                        + " features: {acpi: {}}, clock: {utc: {}, timer: {rtc: {tickPolicy: 'catchup'}}},"
                        + " devices: {watchdog: {name: 'w', i6300esb: {action: 'poweroff'}}},"
                        + " ioThreadsPolicy: 'auto', memory: {guest: '1Gi'}}")));
        assertThat(applied).containsExactly("small");
        assertThat(v.at("/spec/domain")).isEqualTo(obj("{devices: {watchdog: {name: 'w', i6300esb: {action: "
                + "'poweroff'}}}, resources: {requests: {memory: '128Mi'}}, cpu: {cores: 2}, firmware: {serial:"
                + " 'abc'}, features: {acpi: {}}, ioThreadsPolicy: 'auto', clock: {utc: {}, timer: {rtc:"
                + " {tickPolicy: 'catchup'}}}}"));
        assertThat(v.at("/spec/domain/memory").isMissingNode()).as("memory is not a preset field").isTrue();
        assertThat(v.at("/metadata/annotations")).isEqualTo(obj("{'virtualmachinepreset.kubevirt.io/small':"
                + " 'kubevirt.io/v1'}"));
    }

    @Test
    void theVmisOwnValuesWinAndAPresetThatChangesNothingIsNotRecorded() {
        ObjectNode v = vmi("{a: 'b'}", "{domain: {cpu: {cores: 4}, resources: {requests: {cpu: '1'}}}}");
        List<String> applied = PresetAdmission.apply(v, List.of(preset("p", "{}",
                "{cpu: {cores: 2}, resources: {requests: {memory: '1Gi'}}}")));
        assertThat(applied).isEmpty();
        assertThat(v.at("/spec/domain")).isEqualTo(obj("{cpu: {cores: 4}, resources: {requests: {cpu: '1'}}}"));
        assertThat(v.at("/metadata/annotations").isMissingNode()).isTrue();

        // one part equal is enough to count as applied; the conflicting part keeps the VMI's value
        ObjectNode w = vmi("{a: 'b'}", "{domain: {cpu: {cores: 4}}}");
        assertThat(PresetAdmission.apply(w, List.of(preset("p", "{}",
                "{cpu: {cores: 2}, firmware: {serial: 's'}}")))).containsExactly("p");
        assertThat(w.at("/spec/domain/cpu/cores").asInt()).isEqualTo(4);
        assertThat(w.at("/spec/domain/firmware/serial").asText()).isEqualTo("s");
    }

    @Test
    void requestsAreCopiedOnlyIntoAVmiWithoutRequestsAndCompareByValue() {
        ObjectNode v = vmi("{}", "{domain: {resources: {requests: {memory: '1024Mi'}}}}");
        assertThat(PresetAdmission.apply(v, List.of(preset("p", "{}", "{resources: {requests: {memory: '1Gi'}}}"))))
                .as("1024Mi equals 1Gi").containsExactly("p");
        assertThat(v.at("/spec/domain/resources/requests/memory").asText()).isEqualTo("1024Mi");

        ObjectNode limitsOnly = vmi("{}", "{domain: {resources: {limits: {cpu: '2'}}}}");
        PresetAdmission.apply(limitsOnly, List.of(preset("p", "{}", "{resources: {requests: {memory: '64Mi'}}}")));
        assertThat(limitsOnly.at("/spec/domain/resources")).isEqualTo(obj("{limits: {cpu: '2'}, requests: {memory:"
                + " '64Mi'}}"));
    }

    @Test
    void selectorsMatchLabelsAndExpressions() {
        List<Preset> presets = List.of(
                preset("by-label", "{matchLabels: {tier: 'web'}}", "{cpu: {cores: 1}}"),
                preset("by-in", "{matchExpressions: [{key: 'zone', operator: 'In', values: ['a', 'b']}]}",
                        "{firmware: {serial: 'x'}}"),
                preset("by-notin", "{matchExpressions: [{key: 'zone', operator: 'NotIn', values: ['a']}]}",
                        "{features: {acpi: {}}}"),
                preset("by-exists", "{matchExpressions: [{key: 'gpu', operator: 'Exists'}]}",
                        "{ioThreadsPolicy: 'shared'}"),
                preset("by-absent", "{matchExpressions: [{key: 'gpu', operator: 'DoesNotExist'}]}",
                        "{ioThreadsPolicy: 'auto'}"),
                preset("everything", "{}", "{devices: {watchdog: {name: 'w', i6300esb: {}}}}"));
        ObjectNode v = vmi("{tier: 'web', zone: 'b'}", "{domain: {}}");
        assertThat(PresetAdmission.apply(v, presets))
                .containsExactly("by-absent", "by-in", "by-label", "by-notin", "everything");
        ObjectNode w = vmi("{tier: 'db', zone: 'c', gpu: 'yes'}", "{domain: {}}");
        assertThat(PresetAdmission.apply(w, presets)).containsExactly("by-exists", "by-notin", "everything");
    }

    @Test
    void badSelectorsAreRefusedWithTheApiMessage() {
        assertThatThrownBy(() -> PresetAdmission.selector(obj("{matchExpressions: [{key: 'a', operator: 'Has'}]}")))
                .hasMessage("\"Has\" is not a valid label selector operator");
        assertThatThrownBy(() -> PresetAdmission.selector(obj("{matchExpressions: [{key: 'a', operator: 'In'}]}")))
                .hasMessageContaining("for 'in', 'notin' operators, values set can't be empty");
    }

    @Test
    void presetsThatDisagreeRefuseTheVmi() {
        List<Preset> presets = List.of(
                preset("a", "{}", "{cpu: {cores: 2}, resources: {requests: {memory: '1Gi'}}}"),
                preset("b", "{}", "{cpu: {cores: 4}, resources: {requests: {memory: '1024Mi'}}}"),
                preset("c", "{}", "{ioThreadsPolicy: 'auto'}"));
        ObjectNode v = vmi("{}", "{domain: {}}");
        assertThatThrownBy(() -> PresetAdmission.apply(v, presets)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("VirtualMachinePresets cannot be applied due to conflicts: presets 'b' and 'a' conflict: "
                        + "spec.cpu: {\"cores\":4} != {\"cores\":2}");
        assertThat(v.at("/spec/domain")).as("untouched").isEqualTo(obj("{}"));
        // presets that agree merge together
        ObjectNode w = vmi("{}", "{domain: {}}");
        assertThat(PresetAdmission.apply(w, List.of(presets.get(0), presets.get(2)))).containsExactly("a", "c");
    }

    @Test
    void anExcludedVmiIsLeftAlone() {
        ObjectNode v = obj("{metadata: {name: 'v', annotations: {'virtualmachineinstancepresets.admission.kubevirt.io"
                + "/exclude': 'true'}}, spec: {domain: {}}}");
        assertThat(PresetAdmission.apply(v, List.of(preset("p", "{}", "{cpu: {cores: 2}}")))).isEmpty();
        assertThat(v.at("/spec/domain/cpu").isMissingNode()).isTrue();
    }

    // ------------------------------------------------------------------------------------------ wired as ApiServer

    @TempDir
    Path dir;
    private SqliteStore store;
    private ObjectService objects;

    @BeforeEach
    void open() {
        store = SqliteStore.open(dir.resolve("data"), new Fields(CATALOG));
        objects = new ObjectService(store, CATALOG, new AdmissionChain().add(new SchemaValidation())
                .add(new PresetAdmission(store)).add(new KubevirtAdmission(new StoreClusterConfig(store))));
        for (String ns : new String[] {"default", "other", "kubevirt"}) {
            objects.create(NAMESPACES, null, obj("{apiVersion: 'v1', kind: 'Namespace', metadata: {name: '" + ns
                    + "'}}"), SYSTEM);
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void createPreset(String ns, String name, String selector, String domain) {
        objects.create(PRESETS, ns, obj("{apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstancePreset',"
                + " metadata: {name: '" + name + "'}, spec: {selector: " + selector + ", domain: " + domain + "}}"),
                USER);
    }

    private static final String DISKLESS_VMI_SPEC = "{domain: {devices: {disks: [{name: 'root', disk: {bus: "
            + "'virtio'}}]}}, volumes: [{name: 'root', containerDisk: {image: 'quay.io/containerdisks/fedora:41'}}]}";

    @Test
    void aMatchingPresetIsAppliedBeforeTheDefaultsWithKubevirtsWarning() {
        createPreset("default", "small", "{matchLabels: {'kubevirt.io/flavor': 'small'}}",
                "{resources: {requests: {memory: '128Mi'}}, cpu: {cores: 2}, devices: {}}");
        createPreset("other", "elsewhere", "{}", "{firmware: {serial: 'x'}, devices: {}}");
        ObjectService.Result r = objects.create(VMI, "default", vmi("{'kubevirt.io/flavor': 'small'}",
                DISKLESS_VMI_SPEC), USER);
        assertThat(r.code()).isEqualTo(201);
        assertThat(r.warnings()).containsExactly(PresetAdmission.DEPRECATION_WARNING);
        ObjectNode stored = Json.parseObject(objects.get(VMI, "default", "v").json());
        assertThat(stored.at("/metadata/annotations/virtualmachinepreset.kubevirt.io~1small").asText())
                .isEqualTo("kubevirt.io/v1");
        assertThat(stored.at("/metadata/annotations/virtualmachinepreset.kubevirt.io~1elsewhere").isMissingNode())
                .as("presets of other namespaces").isTrue();
        assertThat(stored.at("/spec/domain/resources/requests/memory").asText()).isEqualTo("128Mi");
        assertThat(stored.at("/spec/domain/cpu/cores").asInt()).isEqualTo(2);
        assertThat(stored.at("/status/currentCPUTopology/cores").asInt()).as("the defaults saw the preset's CPU")
                .isEqualTo(2);
        assertThat(stored.at("/spec/domain/firmware/serial").isMissingNode()).isTrue();

        // a VMI the preset does not select needs its own memory and gets no warning
        assertThatThrownBy(() -> objects.create(VMI, "default", vmi("{}", DISKLESS_VMI_SPEC)
                .set("metadata", obj("{name: 'w', namespace: 'default'}")), USER))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("memory"));
    }

    @Test
    void conflictingPresetsAreA422() {
        createPreset("default", "a", "{}", "{cpu: {cores: 2}, devices: {}}");
        createPreset("default", "b", "{}", "{cpu: {cores: 4}, devices: {}}");
        assertThatThrownBy(() -> objects.create(VMI, "default", vmi("{}", DISKLESS_VMI_SPEC), USER))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(422);
                    assertThat(e.getMessage()).isEqualTo("VirtualMachinePresets cannot be applied due to conflicts: "
                            + "presets 'b' and 'a' conflict: spec.cpu: {\"cores\":4} != {\"cores\":2}");
                });
    }
}
