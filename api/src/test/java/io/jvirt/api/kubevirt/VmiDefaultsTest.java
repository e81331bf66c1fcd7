package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Specs.config;
import static io.jvirt.api.kubevirt.Specs.obj;
import static io.jvirt.api.kubevirt.Specs.vm;
import static io.jvirt.api.kubevirt.Specs.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

class VmiDefaultsTest {
    private static final ClusterConfig DEFAULTS = ClusterConfig.defaults();

    private static ObjectNode defaulted(String spec) {
        return defaulted(spec, DEFAULTS);
    }

    private static ObjectNode defaulted(String spec, ClusterConfig config) {
        ObjectNode v = vmi(spec);
        assertThat(VmiDefaults.apply(v, config)).isEmpty();
        return v;
    }

    @Test
    void minimalVmiGetsKubeVirtsDefaults() {
        ObjectNode v = defaulted("""
                {domain: {resources: {requests: {memory: '1Gi'}},
                          devices: {disks: [{name: 'root'}]}},
                 volumes: [{name: 'root', containerDisk: {image: 'quay.io/containerdisks/fedora'}}]}""");
        JsonNode spec = v.get("spec");
        assertThat(spec.path("architecture").asText()).isEqualTo("amd64");
        assertThat(spec.at("/domain/machine/type").asText()).isEqualTo("q35");
        assertThat(spec.at("/domain/memory/guest").asText()).isEqualTo("1Gi");
        assertThat(spec.at("/domain/cpu")).isEqualTo(obj(
                "{sockets: 1, cores: 1, threads: 1, model: 'host-model', maxSockets: 4}"));
        assertThat(spec.at("/domain/memory/maxGuest").asText()).isEqualTo("4Gi");
        assertThat(spec.at("/domain/devices/interfaces")).isEqualTo(Specs.LENIENT.valueToTree(
                List.of(obj("{name: 'default', bridge: {}}"))));
        assertThat(spec.at("/networks")).isEqualTo(Specs.LENIENT.valueToTree(
                List.of(obj("{name: 'default', pod: {}}"))));
        assertThat(spec.at("/domain/devices/disks/0")).isEqualTo(obj("{name: 'root', disk: {bus: 'sata'}}"));
        assertThat(spec.at("/volumes/0/containerDisk/imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(v.at("/status/phase").asText()).isEqualTo("Pending");
        assertThat(v.at("/status/memory")).isEqualTo(obj(
                "{guestAtBoot: '1Gi', guestCurrent: '1Gi', guestRequested: '1Gi'}"));
        assertThat(v.at("/status/currentCPUTopology")).isEqualTo(obj("{sockets: 1, cores: 1, threads: 1}"));
        assertThat(v.at("/status/runtimeUser").asInt()).isEqualTo(107);
        assertThat(v.at("/metadata/finalizers")).isEqualTo(Specs.LENIENT.valueToTree(
                List.of("kubevirt.io/foregroundDeleteVirtualMachine")));
        assertThat(spec.has("evictionStrategy")).isFalse();
        assertThat(spec.at("/domain/resources/requests").has("cpu")).isFalse();
    }

    @Test
    void cpuRequestsFromLimitsAndTopologyFromTheLimit() {
        JsonNode spec = defaulted("{domain: {resources: {limits: {cpu: '2500m', memory: '2Gi'}}}}").get("spec");
        assertThat(spec.at("/domain/resources/requests/cpu").asText()).isEqualTo("2500m");
        assertThat(spec.at("/domain/resources/requests").has("memory"))
                .as("memory requests are the pod renderer's business").isFalse();
        assertThat(spec.at("/domain/memory/guest").asText()).as("guest from the limit").isEqualTo("2Gi");
        assertThat(spec.at("/domain/cpu/sockets").asInt()).as("rounded up").isEqualTo(3);
        assertThat(spec.at("/domain/cpu/cores").asInt()).isEqualTo(1);
        assertThat(spec.at("/domain/cpu/threads").asInt()).isEqualTo(1);
    }

    @Test
    void topologyFromTheRequestWhenThereIsNoLimit() {
        JsonNode spec = defaulted("{domain: {resources: {requests: {cpu: 4, memory: '1Gi'}}}}").get("spec");
        assertThat(spec.at("/domain/cpu/sockets").asInt()).isEqualTo(4);
        assertThat(spec.at("/domain/cpu/maxSockets").asInt()).isEqualTo(16);
    }

    @Test
    void givenTopologyIsKept() {
        JsonNode spec = defaulted("{domain: {cpu: {cores: 2}, resources: {requests: {cpu: 4, memory: '1Gi'}}}}")
                .get("spec");
        assertThat(spec.at("/domain/cpu/cores").asInt()).isEqualTo(2);
        assertThat(spec.at("/domain/cpu").has("sockets")).isFalse();
        assertThat(spec.at("/domain/cpu").has("maxSockets")).as("0 sockets × 4").isFalse();
    }

    @Test
    void clusterCpuRequestOnlyWhenChangedAndNeverForDedicatedCpus() {
        ClusterConfig c = config("{cpuRequest: '200m'}");
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}}}", c).at("/spec/domain/resources/requests/cpu")
                .asText()).isEqualTo("200m");
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}, cpu: {dedicatedCpuPlacement: true, cores: 2}}}", c)
                .at("/spec/domain/resources/requests").has("cpu")).isFalse();
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}}}", config("{cpuRequest: '100m'}"))
                .at("/spec/domain/resources/requests").has("cpu")).isFalse();
    }

    @Test
    void guestMemoryFromHugepagesAsTheLastResort() {
        JsonNode spec = defaulted("{domain: {memory: {hugepages: {pageSize: '1Gi'}}}}").get("spec");
        assertThat(spec.at("/domain/memory/guest").asText()).isEqualTo("1Gi");
        assertThat(spec.at("/domain/memory/maxGuest").asText()).as("1Gi hugepages align").isEqualTo("4Gi");
    }

    @Test
    void memoryHotplugOnlyWhenCompatible() {
        assertThat(defaulted("{domain: {memory: {guest: '512Mi'}}}").at("/spec/domain/memory").has("maxGuest"))
                .as("below 1Gi").isFalse();
        assertThat(defaulted("{domain: {memory: {guest: '1025Mi'}}}").at("/spec/domain/memory").has("maxGuest"))
                .as("not 2Mi aligned").isFalse();
        assertThat(defaulted("{domain: {memory: {guest: '2Gi'}, cpu: {dedicatedCpuPlacement: true, realtime: {},"
                + " numa: {guestMappingPassthrough: {}}}}}").at("/spec/domain/memory").has("maxGuest"))
                .as("realtime").isFalse();
        assertThat(defaulted("{domain: {memory: {guest: '2Gi'}}}", config("{liveUpdateConfiguration: "
                + "{maxGuest: '8Gi'}}")).at("/spec/domain/memory/maxGuest").asText()).isEqualTo("8Gi");
        assertThat(defaulted("{domain: {memory: {guest: '2Gi'}}}", config("{vmRolloutStrategy: 'Stage'}"))
                .at("/spec/domain/memory").has("maxGuest")).isFalse();
    }

    @Test
    void maxSocketsFromTheClusterOrTheRatioCappedAt512Vcpus() {
        assertThat(defaulted("{domain: {cpu: {sockets: 2}, memory: {guest: '1Gi'}}}",
                config("{liveUpdateConfiguration: {maxCpuSockets: 10}}")).at("/spec/domain/cpu/maxSockets").asInt())
                .isEqualTo(10);
        assertThat(defaulted("{domain: {cpu: {sockets: 12}, memory: {guest: '1Gi'}}}",
                config("{liveUpdateConfiguration: {maxCpuSockets: 10}}")).at("/spec/domain/cpu/maxSockets").asInt())
                .as("never below sockets").isEqualTo(12);
        assertThat(defaulted("{domain: {cpu: {sockets: 100, cores: 2, threads: 2}, memory: {guest: '1Gi'}}}")
                .at("/spec/domain/cpu/maxSockets").asInt()).as("512 / 4").isEqualTo(128);
        assertThat(defaulted("{domain: {cpu: {sockets: 200, cores: 4}, memory: {guest: '1Gi'}}}")
                .at("/spec/domain/cpu/maxSockets").asInt()).as("max(512/4, sockets)").isEqualTo(200);
        assertThat(defaulted("{domain: {cpu: {sockets: 2, maxSockets: 3}, memory: {guest: '1Gi'}}}")
                .at("/spec/domain/cpu/maxSockets").asInt()).as("kept").isEqualTo(3);
    }

    @Test
    void networkDefaults() {
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}}}", config("{network: {defaultNetworkInterface:"
                + " 'masquerade'}}")).at("/spec/domain/devices/interfaces/0")).isEqualTo(
                obj("{name: 'default', masquerade: {}}"));
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}, devices: {autoattachPodInterface: false}}}")
                .at("/spec").has("networks")).isFalse();
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}}, networks: [{name: 'n', pod: {}}]}")
                .at("/spec/domain/devices").has("interfaces")).as("only when nothing is specified").isFalse();
        ObjectNode v = vmi("{domain: {memory: {guest: '1Gi'}}}");
        assertThat(VmiDefaults.apply(v, config("{network: {permitBridgeInterfaceOnPodNetwork: false}}")))
                .containsExactly("bridge interface is not enabled in kubevirt-config");
        assertThat(VmiDefaults.apply(vmi("{}"), config("{network: {defaultNetworkInterface: 'slirp'}}")))
                .containsExactly("slirp interface is deprecated as of v1.3");
    }

    @Test
    void disksCdromsWatchdogProbesAndPullPolicies() {
        JsonNode spec = defaulted("""
                {domain: {memory: {guest: '1Gi'}, devices: {
                   disks: [{name: 'a', disk: {bus: 'virtio'}}, {name: 'b', cdrom: {}}, {name: 'c', lun: {}}],
                   watchdog: {name: 'w'}}},
                 readinessProbe: {tcpSocket: {port: 22}},
                 volumes: [{name: 'a', containerDisk: {image: 'r/img:1.0'}},
                           {name: 'b', containerDisk: {image: 'r/img:latest'}},
                           {name: 'c', persistentVolumeClaim: {claimName: 'pvc'}},
                           {name: 'd', containerDisk: {image: 'r/img@sha256:abc', imagePullPolicy: 'Never'}}]}""")
                .get("spec");
        assertThat(spec.at("/domain/devices/disks")).isEqualTo(Specs.LENIENT.valueToTree(List.of(
                obj("{name: 'a', disk: {bus: 'virtio'}}"),
                obj("{name: 'b', cdrom: {bus: 'sata', readOnly: true, tray: 'closed'}}"),
                obj("{name: 'c', lun: {bus: 'sata'}}"),
                obj("{name: 'd', disk: {bus: 'sata'}}"))));
        assertThat(spec.at("/domain/devices/watchdog")).isEqualTo(obj("{name: 'w', i6300esb: {action: 'reset'}}"));
        assertThat(spec.at("/readinessProbe")).isEqualTo(obj("{tcpSocket: {port: 22}, timeoutSeconds: 1,"
                + " periodSeconds: 10, successThreshold: 1, failureThreshold: 3}"));
        assertThat(spec.at("/volumes/0/containerDisk/imagePullPolicy").asText()).isEqualTo("IfNotPresent");
        assertThat(spec.at("/volumes/1/containerDisk/imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(spec.at("/volumes/3/containerDisk/imagePullPolicy").asText()).isEqualTo("Never");
    }

    @Test
    void arm64Defaults() {
        ObjectNode v = defaulted("{architecture: 'arm64', domain: {memory: {guest: '2Gi'},"
                + " devices: {disks: [{name: 'a'}]}}, volumes: [{name: 'a', emptyDisk: {capacity: '1Gi'}}]}");
        JsonNode spec = v.get("spec");
        assertThat(spec.at("/domain/machine/type").asText()).isEqualTo("virt");
        assertThat(spec.at("/domain/cpu/model").asText()).isEqualTo("host-passthrough");
        assertThat(spec.at("/domain/firmware/bootloader")).isEqualTo(obj("{efi: {secureBoot: false}}"));
        assertThat(spec.at("/domain/devices/disks/0/disk/bus").asText()).isEqualTo("virtio");
        assertThat(spec.at("/domain/cpu").has("maxSockets")).as("no CPU hotplug on arm64").isFalse();
        assertThat(spec.at("/domain/memory").has("maxGuest")).isFalse();
    }

    @Test
    void clusterCpuModelAndEvictionStrategyAndEvenParity() {
        ClusterConfig c = Specs.config("{cpuModel: 'Cascadelake-Server', evictionStrategy: 'LiveMigrate',"
                + " developerConfiguration: {featureGates: ['AlignCPUs']}}");
        ClusterConfig withAnnotation = ClusterConfig.from(obj("{metadata: {annotations:"
                + " {'alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity': ''}}, spec: {configuration: "
                + "{developerConfiguration: {featureGates: ['AlignCPUs']}}}}"), null);
        ObjectNode v = defaulted("{domain: {memory: {guest: '1Gi'}}}", c);
        assertThat(v.at("/spec/domain/cpu/model").asText()).isEqualTo("Cascadelake-Server");
        assertThat(v.at("/spec/evictionStrategy").asText()).isEqualTo("LiveMigrate");
        assertThat(v.at("/metadata").has("annotations")).isFalse();
        ObjectNode w = defaulted("{domain: {memory: {guest: '1Gi'}}}", withAnnotation);
        assertThat(w.at("/metadata/annotations").has(ClusterConfig.EVEN_PARITY_ANNOTATION)).isTrue();
        assertThat(defaulted("{domain: {cpu: {model: 'host-passthrough'}, memory: {guest: '1Gi'}}}", c)
                .at("/spec/domain/cpu/model").asText()).isEqualTo("host-passthrough");
    }

    @Test
    void rootGateLeavesTheRuntimeUserUnset() {
        assertThat(defaulted("{domain: {memory: {guest: '1Gi'}}}", Specs.gates("Root")).at("/status")
                .has("runtimeUser")).isFalse();
    }

    @Test
    void aVmTemplateGetsSpecDefaultsButNoVmiStatusFinalizerOrHotplug() {
        ObjectNode template = obj("{metadata: {labels: {a: 'b'}}, spec: {domain: {memory: {guest: '2Gi'}}}}");
        assertThat(VmiDefaults.apply(template, DEFAULTS)).isEmpty();
        assertThat(template.has("status")).isFalse();
        assertThat(template.at("/metadata").has("finalizers")).isFalse();
        assertThat(template.at("/spec/domain/cpu/sockets").asInt()).isEqualTo(1);
        assertThat(template.at("/spec/domain/cpu").has("maxSockets")).isFalse();
        assertThat(template.at("/spec/domain/memory").has("maxGuest")).isFalse();
    }

    @Test
    void vmMutatorOnlySetsKindsArchitectureAndMachineType() {
        ObjectNode v = vm("{runStrategy: 'Always', instancetype: {name: 'u1.small'}, preference: {name: 'fedora'},"
                + " template: {spec: {domain: {memory: {guest: '1Gi'}}}}}");
        VmiDefaults.applyVm(v, DEFAULTS);
        assertThat(v.at("/spec/instancetype/kind").asText()).isEqualTo("virtualmachineclusterinstancetype");
        assertThat(v.at("/spec/preference/kind").asText()).isEqualTo("virtualmachineclusterpreference");
        assertThat(v.at("/spec/template/spec")).isEqualTo(obj(
                "{domain: {memory: {guest: '1Gi'}, machine: {type: 'q35'}}, architecture: 'amd64'}"));
        ObjectNode noTemplate = vm("{running: true}");
        VmiDefaults.applyVm(noTemplate, DEFAULTS);
        assertThat(noTemplate.at("/spec").has("template")).isFalse();
    }

    /** Property: applying the defaults to their own output changes nothing, for a spread of specs and configs. */
    @Test
    void idempotent() {
        List<String> specs = List.of(
                "{}",
                "{domain: {resources: {requests: {memory: '1Gi'}}}}",
                "{domain: {resources: {limits: {cpu: 3, memory: '3Gi'}}}}",
                "{domain: {memory: {hugepages: {pageSize: '2Mi'}}}}",
                "{domain: {cpu: {sockets: 2, cores: 2, threads: 2, dedicatedCpuPlacement: true},"
                        + " memory: {guest: '4Gi'}}, volumes: [{name: 'x', emptyDisk: {capacity: '1Gi'}}]}",
                "{architecture: 'arm64', domain: {memory: {guest: '1Gi'}}}",
                "{architecture: 's390x', domain: {memory: {guest: '1Gi'}, devices: {disks: [{name: 'a'}]}},"
                        + " volumes: [{name: 'a', containerDisk: {image: 'x'}}]}",
                "{domain: {memory: {guest: '1Gi'}, devices: {watchdog: {name: 'w'}}},"
                        + " livenessProbe: {httpGet: {port: 80}}}");
        List<ClusterConfig> configs = List.of(DEFAULTS, config("{vmRolloutStrategy: 'Stage'}"),
                config("{cpuRequest: '300m', evictionStrategy: 'External', liveUpdateConfiguration: "
                        + "{maxCpuSockets: 6, maxGuest: '16Gi'}, network: {defaultNetworkInterface: 'masquerade'}}"),
                Specs.gates("Root"));
        for (String s : specs) {
            for (ClusterConfig c : configs) {
                ObjectNode once = vmi(s);
                VmiDefaults.apply(once, c);
                ObjectNode twice = once.deepCopy();
                VmiDefaults.apply(twice, c);
                assertThat(twice).as(s + " with " + c.featureGates()).isEqualTo(once);
                ObjectNode spec = (ObjectNode) vmi(s).get("spec");
                VmiDefaults.applySpec(spec, c);
                ObjectNode spec2 = spec.deepCopy();
                VmiDefaults.applySpec(spec2, c);
                assertThat(spec2).isEqualTo(spec);
            }
        }
    }
}
