package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Cause.INVALID;
import static io.jvirt.api.kubevirt.Cause.NOT_SUPPORTED;
import static io.jvirt.api.kubevirt.Cause.REQUIRED;
import static io.jvirt.api.kubevirt.Specs.config;
import static io.jvirt.api.kubevirt.Specs.gates;
import static io.jvirt.api.kubevirt.Specs.vm;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class VmValidationTest {
    private static final ClusterConfig DEFAULTS = ClusterConfig.defaults();
    private static final String TEMPLATE = "template: {spec: {domain: {memory: {guest: '1Gi'},"
            + " devices: {disks: [{name: 'root', disk: {bus: 'virtio'}}]}},"
            + " volumes: [{name: 'root', containerDisk: {image: 'quay.io/containerdisks/fedora:41'}}]}}";

    private static VmValidation.Result validate(String spec) {
        return VmValidation.validate(vm(spec), DEFAULTS);
    }

    private static Cause c(String type, String field, String message) {
        return new Cause(type, field, message);
    }

    @Test
    void aGoodVmPasses() {
        VmValidation.Result r = validate("{runStrategy: 'Always', " + TEMPLATE + "}");
        assertThat(r.causes()).isEmpty();
        assertThat(r.allowed()).isTrue();
        assertThat(r.warnings()).isEmpty();
    }

    @Test
    void theStoredVmIsNotDefaulted() {
        ObjectNode v = vm("{runStrategy: 'Always', " + TEMPLATE + "}");
        ObjectNode before = v.deepCopy();
        VmValidation.validate(v, DEFAULTS);
        assertThat(v).isEqualTo(before);
    }

    @Test
    void runningIsDeprecated() {
        VmValidation.Result r = validate("{running: true, " + TEMPLATE + "}");
        assertThat(r.causes()).isEmpty();
        assertThat(r.warnings()).containsExactly("spec.running is deprecated, please use spec.runStrategy instead.");
    }

    @Test
    void runningAndRunStrategyAreMutuallyExclusive() {
        assertThat(validate("{running: false, runStrategy: 'Halted', " + TEMPLATE + "}").causes()).containsExactly(
                c(INVALID, "spec.running", "Running and RunStrategy are mutually exclusive. Note that Running is "
                        + "deprecated, please use RunStrategy instead"));
    }

    @Test
    void oneOfThemIsRequired() {
        assertThat(validate("{" + TEMPLATE + "}").causes()).containsExactly(
                c(INVALID, "spec.running", "RunStrategy must be specified"));
    }

    @Test
    void runStrategyMustBeKnown() {
        assertThat(validate("{runStrategy: 'Sometimes', " + TEMPLATE + "}").causes()).containsExactly(
                c(INVALID, "spec.runStrategy", "Invalid RunStrategy (Sometimes)"));
        for (String s : VmValidation.RUN_STRATEGIES) {
            assertThat(validate("{runStrategy: '" + s + "', " + TEMPLATE + "}").causes()).isEmpty();
        }
    }

    @Test
    void waitAsReceiverNeedsDecentralizedLiveMigration() {
        assertThat(validate("{runStrategy: 'WaitAsReceiver', " + TEMPLATE + "}").causes()).as("beta: on").isEmpty();
        assertThat(VmValidation.validate(vm("{runStrategy: 'WaitAsReceiver', " + TEMPLATE + "}"),
                config("{developerConfiguration: {disabledFeatureGates: ['DecentralizedLiveMigration']}}")).causes())
                .containsExactly(c(INVALID, "spec.runStrategy", "Invalid RunStrategy (WaitAsReceiver), "
                        + "DecentralizedLiveMigration feature gate is not enabled in kubevirt resource"));
    }

    @Test
    void missingTemplate() {
        assertThat(validate("{runStrategy: 'Always'}").causes()).containsExactly(
                c(REQUIRED, "spec.template", "missing virtual machine template."));
    }

    @Test
    void templateSpecIsValidatedAfterDefaultingWithTheTemplateRoot() {
        VmValidation.Result r = validate("{runStrategy: 'Always', template: {spec: {domain: {"
                + "resources: {requests: {memory: '2Gi'}, limits: {memory: '1Gi'}}, machine: {type: 'pc'}}}}}");
        assertThat(r.causes()).containsExactly(
                c(INVALID, "spec.template.spec.domain.resources.requests.memory", "spec.template.spec.domain."
                        + "resources.requests.memory '2Gi' is greater than spec.template.spec.domain.resources.limits."
                        + "memory '1Gi'"),
                c(INVALID, "spec.template.spec.domain.machine.type", "spec.template.spec.domain.machine.type is not "
                        + "supported: pc (allowed values: [q35* pc-q35*])"));
    }

    @Test
    void noVolumeDiskMappingOrMandatoryMemoryForVms() {
        assertThat(validate("{runStrategy: 'Halted', template: {spec: {volumes: [{name: 'x', emptyDisk: "
                + "{capacity: '1Gi'}}]}}}").causes()).isEmpty();
    }

    @Test
    void templateMetadata() {
        VmValidation.Result r = validate("{runStrategy: 'Always', template: {metadata: {labels: "
                + "{'kubevirt.io/created-by': 'me'}, annotations: {'hooks.kubevirt.io/hookSidecars': '[]'}},"
                + " spec: {domain: {memory: {guest: '1Gi'}}}}}");
        assertThat(r.causes()).containsExactly(
                c(NOT_SUPPORTED, "spec.template.metadata.labels",
                        "creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited"),
                c(INVALID, "spec.template.metadata.annotations", "sidecar feature gate is not enabled in "
                        + "kubevirt-config, invalid entry spec.template.metadata.annotations."
                        + "hooks.kubevirt.io/hookSidecars"));
        assertThat(VmValidation.validate(vm("{runStrategy: 'Always', template: {metadata: {labels: "
                + "{'kubevirt.io/created-by': 'me'}}, spec: {domain: {memory: {guest: '1Gi'}}}}}"), DEFAULTS, true,
                true).causes()).isEmpty();
    }

    @Test
    void dataVolumeTemplates() {
        VmValidation.Result r = validate("""
                {runStrategy: 'Always',
                 dataVolumeTemplates: [
                   {metadata: {name: 'root'}, spec: {storage: {}, sourceRef: {kind: 'DataSource', name: 'f'}}},
                   {metadata: {}, spec: {}},
                   {metadata: {name: 'nostorage'}, spec: {}},
                   {metadata: {name: 'both'}, spec: {pvc: {}, storage: {}}},
                   {metadata: {name: 'nosource'}, spec: {storage: {}}},
                   {metadata: {name: 'two'}, spec: {storage: {}, source: {http: {url: 'x'}, blank: {}}}},
                   {metadata: {name: 'unused'}, spec: {storage: {}, source: {blank: {}}}}],
                 template: {spec: {domain: {memory: {guest: '1Gi'}},
                   volumes: [{name: 'root', dataVolume: {name: 'root'}}]}}}""");
        assertThat(r.causes()).containsExactly(
                c(REQUIRED, "spec.dataVolumeTemplate[1].name", "'name' field must not be empty for "
                        + "DataVolumeTemplate entry spec.dataVolumeTemplate[1].name."),
                c(INVALID, "spec.dataVolumeTemplate[2].PVC.Storage", "Missing Data volume PVC or Storage"),
                c(INVALID, "spec.dataVolumeTemplate[3].PVC.Storage",
                        "Duplicate storage definition, both target storage and target pvc defined"),
                c(INVALID, "spec.dataVolumeTemplate[4].source.sourceRef",
                        "Data volume should have either Source, SourceRef, or be externally populated"),
                c(INVALID, "spec.dataVolumeTemplate[5].source", "Multiple dataVolume sources"),
                c(REQUIRED, "spec.dataVolumeTemplate[6]", "DataVolumeTemplate entry spec.dataVolumeTemplate[6] "
                        + "must be referenced in the VMI template's 'volumes' list"));
    }

    @Test
    void liveUpdateChecks() {
        assertThat(validate("{runStrategy: 'Always', template: {spec: {domain: {memory: {guest: '1Gi'},"
                + " cpu: {sockets: 6, maxSockets: 4}}}}}").causes()).as("reported once, not twice")
                .containsExactly(c(INVALID, "spec.template.spec.domain.cpu.sockets",
                        "Number of sockets in CPU topology is greater than the maximum sockets allowed"));
        assertThat(validate("{runStrategy: 'Always', template: {spec: {domain: {memory: {guest: '1Gi',"
                + " maxGuest: '3001Mi'}}}}}").causes()).containsExactly(c(INVALID,
                "spec.template.spec.domain.memory.guest", "MaxGuest must be 2Mi aligned"));
        assertThat(validate("{runStrategy: 'Always', template: {spec: {domain: {memory: {guest: '8Gi',"
                + " maxGuest: '4Gi'}}}}}").causes()).containsExactly(c(INVALID,
                "spec.template.spec.domain.memory.guest", "Guest memory is greater than the configured maxGuest "
                        + "memory"));
        assertThat(validate("{runStrategy: 'Always', template: {spec: {domain: {memory: {guest: '512Mi',"
                + " maxGuest: '2Gi'}}}}}").causes()).containsExactly(c(INVALID,
                "spec.template.spec.domain.memory.guest",
                "Memory hotplug is only available for VMs with at least 1Gi of guest memory"));
        assertThat(VmValidation.validate(vm("{runStrategy: 'Always', template: {spec: {domain: {memory: "
                + "{guest: '8Gi', maxGuest: '4Gi'}}}}}"), config("{vmRolloutStrategy: 'Stage'}")).causes()).isEmpty();
    }

    @Test
    void discontinuedGatesOnCreateOnly() {
        String spec = "{runStrategy: 'Always', template: {spec: {domain: {memory: {guest: '1Gi'}, devices: "
                + "{interfaces: [{name: 'default', macvtap: {}}]}}, networks: [{name: 'default', multus: "
                + "{networkName: 'n'}}]}}}";
        assertThat(VmValidation.validate(vm(spec), gates("Macvtap"), true, false).causes()).containsExactly(
                c(NOT_SUPPORTED, "", "Macvtap network binding is discontinued since v1.3. Please refer to Kubevirt "
                        + "user guide for alternatives."));
        assertThat(VmValidation.validate(vm(spec), gates("Macvtap"), false, false).causes()).isEmpty();
    }

    @Test
    void aVmBeingDeletedIsNotValidated() {
        ObjectNode v = vm("{}");
        ((ObjectNode) v.get("metadata")).put("deletionTimestamp", "2026-01-01T00:00:00Z");
        assertThat(VmValidation.validate(v, DEFAULTS).causes()).isEmpty();
    }
}
