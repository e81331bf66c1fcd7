package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Cause.INVALID;
import static io.jvirt.api.kubevirt.Cause.NOT_FOUND;
import static io.jvirt.api.kubevirt.Cause.NOT_SUPPORTED;
import static io.jvirt.api.kubevirt.Cause.REQUIRED;
import static io.jvirt.api.kubevirt.Specs.config;
import static io.jvirt.api.kubevirt.Specs.gates;
import static io.jvirt.api.kubevirt.Specs.obj;
import static io.jvirt.api.kubevirt.Specs.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

class VmiValidationTest {
    private static final ClusterConfig DEFAULTS = ClusterConfig.defaults();
    private static final String QTY_ERR = Quantity.FORMAT_ERROR;

    static List<Cause> spec(String json) {
        return spec(json, DEFAULTS);
    }

    static List<Cause> spec(String json, ClusterConfig config) {
        return VmiValidation.validateSpec(obj(json), "spec", config);
    }

    static Cause c(String type, String field, String message) {
        return new Cause(type, field, message);
    }

    @Test
    void aDefaultedRealisticVmiIsClean() {
        ObjectNode v = vmi("""
                {domain: {cpu: {cores: 2}, resources: {requests: {memory: '2Gi'}},
                          devices: {disks: [{name: 'root', disk: {bus: 'virtio'}}, {name: 'ci', disk: {bus: 'virtio'}}],
                                    interfaces: [{name: 'default', masquerade: {}}]}},
                 networks: [{name: 'default', pod: {}}],
                 readinessProbe: {tcpSocket: {port: 22}},
                 volumes: [{name: 'root', containerDisk: {image: 'quay.io/containerdisks/fedora:41'}},
                           {name: 'ci', cloudInitNoCloud: {userData: '#cloud-config\\npassword: fedora'}}]}""");
        assertThat(VmiDefaults.apply(v, DEFAULTS)).isEmpty();
        assertThat(VmiValidation.validateCreate(v, DEFAULTS)).isEmpty();
    }

    @Test
    void fieldRootIsHonoured() {
        assertThat(VmiValidation.validateSpec(obj("{domain: {resources: {requests: {memory: '-1'}}}}"),
                "spec.template.spec", DEFAULTS)).containsExactly(c(INVALID,
                "spec.template.spec.domain.resources.requests.memory",
                "spec.template.spec.domain.resources.requests.memory '-1': must be greater than or equal to 0."));
    }

    @Nested
    class Memory {
        @Test
        void negativeAndTinyRequestsAndLimits() {
            assertThat(spec("{domain: {resources: {requests: {memory: '-1Gi'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.requests.memory",
                    "spec.domain.resources.requests.memory '-1Gi': must be greater than or equal to 0."));
            assertThat(spec("{domain: {resources: {requests: {memory: '512k'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.requests.memory",
                    "spec.domain.resources.requests.memory '512k': must be greater than or equal to 1M."));
            assertThat(spec("{domain: {resources: {limits: {memory: '-64Mi'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.limits.memory",
                    "spec.domain.resources.limits.memory '-64Mi': must be greater than or equal to 0."));
            assertThat(spec("{domain: {resources: {requests: {memory: '1M'}}}}")).isEmpty();
        }

        @Test
        void requestAboveLimit() {
            assertThat(spec("{domain: {resources: {requests: {memory: '2Gi'}, limits: {memory: '1Gi'}}}}"))
                    .containsExactly(c(INVALID, "spec.domain.resources.requests.memory",
                            "spec.domain.resources.requests.memory '2Gi' is greater than "
                                    + "spec.domain.resources.limits.memory '1Gi'"));
        }

        @Test
        void hugepages() {
            assertThat(spec("{domain: {memory: {hugepages: {pageSize: 'huge'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.memory.hugepages.pageSize",
                    "spec.domain.memory.hugepages.pageSize 'huge': " + QTY_ERR));
            assertThat(spec("{domain: {memory: {hugepages: {pageSize: '1Gi'}},"
                    + " resources: {requests: {memory: '512Mi'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.requests.memory",
                    "spec.domain.resources.requests.memory '512Mi' must be equal to or larger than page size "
                            + "spec.domain.memory.hugepages.pageSize '1Gi'"));
            assertThat(spec("{domain: {memory: {hugepages: {pageSize: '2Mi'}},"
                    + " resources: {requests: {memory: '3Mi'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.requests.memory",
                    "spec.domain.resources.requests.memory '3Mi' is not a multiple of the page size "
                            + "spec.domain.memory.hugepages.pageSize '2Mi'"));
            // the guest (then the limit) stands in for a missing request; the message still shows the request
            assertThat(spec("{domain: {memory: {guest: '1025Mi', hugepages: {pageSize: '2Mi'}}}}"))
                    .containsExactly(c(INVALID, "spec.domain.resources.requests.memory",
                            "spec.domain.resources.requests.memory '0' is not a multiple of the page size "
                                    + "spec.domain.memory.hugepages.pageSize '2Mi'"));
            assertThat(spec("{domain: {memory: {hugepages: {pageSize: '1Gi'}},"
                    + " resources: {limits: {memory: '512Mi'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.requests.memory",
                    "spec.domain.resources.requests.memory '0' must be equal to or larger than page size "
                            + "spec.domain.memory.hugepages.pageSize '1Gi'"));
            assertThat(spec("{domain: {memory: {guest: '4Gi', hugepages: {pageSize: '1Gi'}}}}")).isEmpty();
        }

        @Test
        void guestAboveLimitOnlyUnderStage() {
            String s = "{domain: {memory: {guest: '2Gi'}, resources: {limits: {memory: '1Gi'}}}}";
            assertThat(spec(s)).isEmpty();
            assertThat(spec(s, config("{vmRolloutStrategy: 'Stage'}"))).containsExactly(c(INVALID,
                    "spec.domain.memory.guest", "spec.domain.memory.guest '2Gi' must be equal to or less than the "
                            + "memory limit spec.domain.resources.limits.memory '1Gi'"));
        }

        @Test
        void reservedOverheadNeedsItsGate() {
            String s = "{domain: {memory: {guest: '1Gi', reservedOverhead: {addedOverhead: '1Gi'}}}}";
            assertThat(spec(s)).containsExactly(c(INVALID, "spec.domain.memory.reservedOverhead",
                    "Reserved overhead memlock feature gate is not enabled in kubevirt-config"));
            assertThat(spec(s, gates("ReservedOverheadMemlock"))).isEmpty();
        }

        @Test
        void malformedQuantitiesAreReportedLikeTheCrdPatternCheck() {
            assertThat(spec("{domain: {resources: {requests: {memory: 'lots'}}, memory: {guest: '1 Gi'}}}"))
                    .containsExactly(
                            c(INVALID, "spec.domain.resources.requests.memory", "Invalid value: \"lots\": "
                                    + "spec.domain.resources.requests.memory in body should match '"
                                    + VmiValidation.QUANTITY_PATTERN + "'"),
                            c(INVALID, "spec.domain.memory.guest", "Invalid value: \"1 Gi\": "
                                    + "spec.domain.memory.guest in body should match '"
                                    + VmiValidation.QUANTITY_PATTERN + "'"));
        }
    }

    @Nested
    class Cpu {
        @Test
        void negativeAndInvertedRequests() {
            assertThat(spec("{domain: {resources: {requests: {cpu: '-1'}, limits: {cpu: '-500m'}}}}"))
                    .containsExactly(
                            c(INVALID, "spec.domain.resources.requests.cpu",
                                    "spec.domain.resources.requests.cpu '-1': must be greater than or equal to 0."),
                            c(INVALID, "spec.domain.resources.limits.cpu",
                                    "spec.domain.resources.limits.cpu '-500m': must be greater than or equal to 0."));
            assertThat(spec("{domain: {resources: {requests: {cpu: 2}, limits: {cpu: '1500m'}}}}"))
                    .containsExactly(c(INVALID, "spec.domain.resources.requests.cpu",
                            "spec.domain.resources.requests.cpu '2' is greater than "
                                    + "spec.domain.resources.limits.cpu '1500m'"));
        }

        @Test
        void dedicatedCpusNeedMemory() {
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true, cores: 2}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.limits.memory", "spec.domain.resources.requests.memory, "
                            + "spec.domain.resources.limits.memory, spec.domain.memory.hugepages or "
                            + "spec.domain.memory.guest should be provided"));
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true, cores: 2}, memory: {guest: '1Gi'}}}"))
                    .isEmpty();
        }

        @Test
        void dedicatedCpusNeedWholeCpus() {
            List<Cause> causes = spec("{domain: {cpu: {dedicatedCpuPlacement: true}, resources: "
                    + "{requests: {memory: '1Gi', cpu: '1500m'}, limits: {memory: '1Gi', cpu: '1500m'}}}}");
            assertThat(causes).containsExactly(
                    c(INVALID, "spec.domain.resources.requests.cpu", "provided resources CPU requests must be an interger"),
                    c(INVALID, "spec.domain.resources.limits.cpu", "provided resources CPU limits must be an interger"));
        }

        @Test
        void dedicatedCpusNeedEqualMemoryRequestAndLimit() {
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true, cores: 1}, resources: "
                    + "{requests: {memory: '1Gi'}, limits: {memory: '2Gi'}}}}")).containsExactly(c(INVALID,
                    "spec.domain.resources.requests.memory",
                    "spec.domain.resources.requests.memory must be equal to spec.domain.resources.limits.memory"));
        }

        @Test
        void dedicatedCpusNeedACount() {
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true}, memory: {guest: '1Gi'}}}"))
                    .containsExactly(c(INVALID, "spec.domain.cpu.dedicatedCpuPlacement",
                            "either spec.domain.resources.requests.cpu or spec.domain.resources.limits.cpu or "
                                    + "spec.domain.cpu.cores must be provided when DedicatedCPUPlacement is true "));
        }

        @Test
        void dedicatedCpuRequestEqualsLimit() {
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true}, resources: "
                    + "{requests: {memory: '1Gi', cpu: 2}, limits: {memory: '1Gi', cpu: 4}}}}")).containsExactly(
                    c(INVALID, "spec.domain.cpu.dedicatedCpuPlacement", "spec.domain.resources.requests.cpu or "
                            + "spec.domain.resources.limits.cpu must be equal when DedicatedCPUPlacement is true "));
        }

        @Test
        void dedicatedCpuResourcesMustMatchTheTopology() {
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true, cores: 2}, resources: "
                    + "{requests: {memory: '1Gi', cpu: 4}, limits: {memory: '1Gi', cpu: 4}}}}")).containsExactly(
                    c(INVALID, "spec.domain.cpu.dedicatedCpuPlacement", "spec.domain.resources.requests.cpu or "
                            + "spec.domain.resources.limits.cpu must not be provided at the same time with "
                            + "spec.domain.cpu.cores when DedicatedCPUPlacement is true "));
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true, cores: 2, sockets: 2}, resources: "
                    + "{requests: {memory: '1Gi', cpu: 4}, limits: {memory: '1Gi', cpu: 4}}}}")).isEmpty();
        }

        @Test
        void dedicatedCpuThreads() {
            assertThat(spec("{architecture: 'arm64', domain: {cpu: {dedicatedCpuPlacement: true, cores: 1, "
                    + "threads: 2}, memory: {guest: '1Gi'}}}", gates("MultiArchitecture"))).containsExactly(c(INVALID,
                    "spec.architecture", "threads must not be greater than 1 at spec.domain.cpu.threads (got 2) "
                            + "when spec.architecture is arm64"));
            assertThat(spec("{domain: {cpu: {dedicatedCpuPlacement: true, cores: 1, threads: 3},"
                    + " memory: {guest: '1Gi'}}}")).containsExactly(c(INVALID, "spec.domain.cpu.dedicatedCpuPlacement",
                    "Not more than two threads must be provided at spec.domain.cpu.threads (got 3) when "
                            + "DedicatedCPUPlacement is true"));
        }

        @Test
        void isolateEmulatorThreadNeedsDedicatedCpus() {
            assertThat(spec("{domain: {cpu: {isolateEmulatorThread: true}}}")).containsExactly(c(INVALID,
                    "spec.domain.cpu.isolateEmulatorThread",
                    "IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement"));
        }

        @Test
        void numaPassthrough() {
            assertThat(spec("{domain: {cpu: {numa: {guestMappingPassthrough: {}}}}}")).containsExactly(
                    c(INVALID, "spec.domain.cpu.numa.guestMappingPassthrough", "spec.domain.cpu.dedicatedCpuPlacement "
                            + "must be set to true when NUMA topology strategy is set in "
                            + "spec.domain.cpu.numa.guestMappingPassthrough"),
                    c(INVALID, "spec.domain.cpu.numa.guestMappingPassthrough", "spec.domain.memory.hugepages must be "
                            + "requested when NUMA topology strategy is set in "
                            + "spec.domain.cpu.numa.guestMappingPassthrough"));
        }

        @Test
        void realtime() {
            assertThat(spec("{domain: {cpu: {realtime: {}}}}")).containsExactly(
                    c(REQUIRED, "spec.domain.cpu.dedicatedCpuPlacement", "spec.domain.cpu.dedicatedCpuPlacement must "
                            + "be set to true when spec.domain.cpu.realtime is used"),
                    c(REQUIRED, "spec.domain.cpu.numa.guestMappingPassthrough", "spec.domain.cpu.numa."
                            + "guestMappingPassthrough must be defined when spec.domain.cpu.realtime is used"));
            assertThat(spec("{domain: {cpu: {realtime: {}, dedicatedCpuPlacement: true, cores: 2, numa: "
                    + "{guestMappingPassthrough: {}}}, memory: {guest: '2Gi', hugepages: {pageSize: '1Gi'}}}}"))
                    .isEmpty();
        }

        @Test
        void featurePolicies() {
            assertThat(spec("{domain: {cpu: {features: [{name: 'vmx', policy: 'require'}, {name: 'pcid'},"
                    + " {name: 'ssse3', policy: 'maybe'}]}}}")).containsExactly(c(NOT_SUPPORTED,
                    "spec.domain.cpu.features[2].policy", "CPU feature ssse3 uses policy maybe that is not supported."));
        }

        @Test
        void socketsWithinMaxSockets() {
            assertThat(spec("{domain: {cpu: {sockets: 5, maxSockets: 4}}}")).containsExactly(c(INVALID,
                    "spec.domain.cpu.sockets",
                    "Number of sockets in CPU topology is greater than the maximum sockets allowed"));
            assertThat(spec("{domain: {cpu: {sockets: 4, maxSockets: 4}}}")).isEmpty();
        }
    }

    @Nested
    class Misc {
        @Test
        void emulatedMachine() {
            assertThat(spec("{domain: {machine: {type: 'pc-i440fx-9.0'}}}")).containsExactly(c(INVALID,
                    "spec.domain.machine.type",
                    "spec.domain.machine.type is not supported: pc-i440fx-9.0 (allowed values: [q35* pc-q35*])"));
            assertThat(spec("{domain: {machine: {type: 'pc-q35-rhel9.4.0'}}}")).isEmpty();
            assertThat(spec("{domain: {machine: {type: 'q35'}}}")).isEmpty();
            assertThat(spec("{architecture: 'arm64', domain: {machine: {type: 'q35'}}}", gates("MultiArchitecture")))
                    .containsExactly(c(INVALID, "spec.domain.machine.type",
                            "spec.domain.machine.type is not supported: q35 (allowed values: [virt*])"));
        }

        @Test
        void startStrategy() {
            assertThat(spec("{startStrategy: 'Later'}")).containsExactly(c(INVALID, "spec.startStrategy",
                    "spec.startStrategy is set with an unrecognized option: Later"));
            assertThat(spec("{startStrategy: 'Paused', networks: [{name: 'default', pod: {}}],"
                    + " livenessProbe: {tcpSocket: {port: 22}}}")).containsExactly(c(INVALID, "spec.startStrategy",
                    "either spec.startStrategy or spec.livenessProbe should be provided.Pausing VMI with "
                            + "LivenessProbe is not supported"));
        }

        @Test
        void foreignArchitectureNeedsMultiArchitecture() {
            assertThat(spec("{architecture: 's390x'}")).containsExactly(c(REQUIRED, "spec.architecture",
                    "MultiArchitecture feature gate is not enabled in kubevirt-config, invalid entry spec.architecture"));
            assertThat(spec("{architecture: 's390x'}", gates("MultiArchitecture"))).isEmpty();
        }

        @Test
        void hostnameAndSubdomain() {
            assertThat(spec("{hostname: 'My_Host', subdomain: 'Bad..Domain'}")).containsExactly(
                    c(INVALID, "spec.hostname", "spec.hostname does not conform to the kubernetes DNS_LABEL rules : "
                            + "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                            + "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                            + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
                    c(INVALID, "spec.subdomain", "spec.subdomain does not conform to the kubernetes DNS_SUBDOMAIN "
                            + "rules : a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                            + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                            + "'example.com', regex used for validation is "
                            + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
            assertThat(spec("{hostname: 'a.b'}")).containsExactly(c(INVALID, "spec.hostname",
                    "spec.hostname does not conform to the kubernetes DNS_LABEL rules : must not contain dots"));
        }

        @Test
        void ioThreads() {
            assertThat(spec("{domain: {ioThreadsPolicy: 'dedicated'}}")).containsExactly(c(INVALID,
                    "spec.domain.ioThreadsPolicy", "Invalid IOThreadsPolicy (dedicated)"));
            assertThat(spec("{domain: {ioThreadsPolicy: 'supplementalPool'}}")).containsExactly(c(INVALID,
                    "spec.domain.ioThreads.count",
                    "the number of iothreads needs to be set and positive for the dedicated policy"));
            assertThat(spec("{domain: {ioThreadsPolicy: 'supplementalPool', ioThreads: "
                    + "{supplementalPoolThreadCount: 0}}}")).hasSize(1);
            assertThat(spec("{domain: {ioThreadsPolicy: 'supplementalPool', ioThreads: "
                    + "{supplementalPoolThreadCount: 2}}}")).isEmpty();
            assertThat(spec("{domain: {ioThreadsPolicy: 'auto'}}")).isEmpty();
        }

        @Test
        void inputs() {
            assertThat(spec("{domain: {devices: {inputs: [{name: 't', type: 'mouse', bus: 'ps2'}]}}}"))
                    .containsExactly(
                            c(INVALID, "spec.domain.devices.inputs[0].bus", "Input device can have only virtio or usb bus."),
                            c(INVALID, "spec.domain.devices.inputs[0].type", "Input device can have only tablet type."));
        }

        @Test
        void probes() {
            assertThat(spec("{networks: [{name: 'default', pod: {}}],"
                    + " readinessProbe: {tcpSocket: {port: 1}, exec: {command: ['x']}}, livenessProbe: {}}"))
                    .containsExactly(
                            c(INVALID, "spec.readinessProbe", "spec.readinessProbe must have exactly one probe type set"),
                            c(REQUIRED, "spec.livenessProbe", "either spec.livenessProbe.tcpSocket, "
                                    + "spec.livenessProbe.exec or spec.livenessProbe.httpGet must be set if a "
                                    + "spec.livenessProbe is specified"));
            assertThat(spec("{readinessProbe: {httpGet: {port: 80}}}")).containsExactly(c(INVALID,
                    "spec.readinessProbe.httpGet",
                    "spec.readinessProbe.httpGet is only allowed if the Pod Network is attached"));
            assertThat(spec("{livenessProbe: {guestAgentPing: {}}}")).isEmpty();
        }

        @Test
        void firmware() {
            assertThat(spec("{domain: {firmware: {bootloader: {bios: {}, efi: {secureBoot: false}}}}}"))
                    .containsExactly(c(INVALID, "spec.domain.firmware.bootloader", "spec.domain.firmware.bootloader "
                            + "has both EFI and BIOS configured, but they are mutually exclusive."));
            assertThat(spec("{domain: {firmware: {bootloader: {efi: {}}}}}")).containsExactly(c(INVALID,
                    "spec.domain", "spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, which is "
                            + "currently disabled."));
            assertThat(spec("{domain: {firmware: {bootloader: {efi: {}}}, features: {smm: {}}}}")).isEmpty();
            assertThat(spec("{domain: {firmware: {bootloader: {efi: {secureBoot: true}}},"
                    + " features: {smm: {enabled: false}}}}")).hasSize(1);
        }

        @Test
        void kernelBoot() {
            assertThat(spec("{domain: {firmware: {kernelBoot: {kernelArgs: 'console=ttyS0'}}}}")).containsExactly(
                    c(INVALID, "spec.domain.firmware.kernelBoot.kernelArgs",
                            "kernel arguments cannot be provided without an external kernel"));
            assertThat(spec("{domain: {firmware: {kernelBoot: {container: {kernelPath: 'boot/../vmlinuz'}}}}}"))
                    .containsExactly(
                            c(REQUIRED, "spec.domain.firmware.kernelBoot.container.image",
                                    "spec.domain.firmware.kernelBoot.container must be defined with an image"),
                            c(INVALID, "spec.domain.firmware.kernelBoot.container.kernelPath",
                                    "spec.domain.firmware.kernelBoot.container.kernelPath must be an absolute path "
                                            + "to a file without relative components"));
            assertThat(spec("{domain: {firmware: {kernelBoot: {container: {image: 'k'}}}}}")).containsExactly(
                    c(REQUIRED, "spec.domain.firmware.kernelBoot.container",
                            "spec.domain.firmware.kernelBoot.container must be defined with at least one of the "
                                    + "following: kernelPath, initrdPath"));
        }

        @Test
        void evictionStrategy() {
            assertThat(spec("{evictionStrategy: 'Sometimes'}")).containsExactly(c(INVALID, "spec.evictionStrategy",
                    "spec.evictionStrategy is set with an unrecognized option: Sometimes"));
            assertThat(spec("{evictionStrategy: 'LiveMigrateIfPossible'}")).isEmpty();
        }

        @Test
        void gatedDevices() {
            assertThat(spec("{domain: {devices: {hostDevices: [{name: 'h', deviceName: 'nvidia.com/GP'}],"
                    + " autoattachVSOCK: true, downwardMetrics: {}}}}")).containsExactly(
                    c(INVALID, "spec.HostDevices", "Host Devices feature gate is not enabled in kubevirt-config"),
                    c(INVALID, "spec.domain.devices.autoattachVSOCK", "VSOCK feature gate is not enabled in "
                            + "kubevirt-config"),
                    c(INVALID, "spec.domain.devices.downwardMetrics", "downwardMetrics virtio serial is not "
                            + "allowed: DownwardMetrics feature gate is not enabled"));
            assertThat(spec("{domain: {devices: {hostDevices: [{name: 'h', deviceName: 'x'}], autoattachVSOCK: true,"
                    + " downwardMetrics: {}}}}", gates("HostDevices", "VSOCK", "DownwardMetrics"))).isEmpty();
        }

        @Test
        void sound() {
            assertThat(spec("{domain: {devices: {sound: {model: 'sb16'}}}}")).containsExactly(
                    c(INVALID, "spec.Sound", "Sound device type is not supported. Options: 'ich9' or 'ac97'"),
                    c(INVALID, "spec.Sound", "Sound device requires a name field."));
        }

        @Test
        void sev() {
            assertThat(spec("{domain: {launchSecurity: {sev: {}}}}", config("{developerConfiguration: "
                    + "{disabledFeatureGates: ['WorkloadEncryptionSEV']}}"))).containsExactly(c(INVALID,
                    "spec.launchSecurity", "WorkloadEncryptionSEV feature gate is not enabled in kubevirt-config"));
            assertThat(spec("{domain: {launchSecurity: {sev: {attestation: {}}}, devices: {interfaces: "
                    + "[{name: 'default', masquerade: {}, bootOrder: 1}]}}, networks: [{name: 'default', pod: {}}]}"))
                    .containsExactly(
                            c(INVALID, "spec.launchSecurity", "SEV requires OVMF (UEFI)"),
                            c(INVALID, "spec.launchSecurity", "SEV attestation requires VMI StartStrategy 'Paused'"),
                            c(INVALID, "spec.launchSecurity", "SEV does not work with bootable NICs: default"));
            assertThat(spec("{domain: {launchSecurity: {sev: {}}, firmware: {bootloader: {efi: {}}},"
                    + " features: {smm: {}}}}")).containsExactly(
                    c(INVALID, "spec.launchSecurity", "SEV does not work along with SecureBoot"));
        }
    }

    @Nested
    class Disks {
        private static List<Cause> disks(String disks) {
            return disks(disks, "[]");
        }

        private static List<Cause> disks(String disks, String volumes) {
            return spec("{domain: {devices: {disks: " + disks + "}}, volumes: " + volumes + "}");
        }

        @Test
        void everyDiskNeedsAVolume() {
            assertThat(disks("[{name: 'data', disk: {}}]")).containsExactly(c(INVALID,
                    "spec.domain.devices.disks[0].name", "spec.domain.devices.disks[0].Name 'data' not found."));
            assertThat(disks("[{name: 'cd', cdrom: {}}]")).as("empty CD-ROM, DeclarativeHotplugVolumes is beta")
                    .isEmpty();
            assertThat(spec("{domain: {devices: {disks: [{name: 'cd', cdrom: {}}]}}}", config(
                    "{developerConfiguration: {disabledFeatureGates: ['DeclarativeHotplugVolumes']}}")))
                    .containsExactly(c(INVALID, "spec.domain.devices.disks[0].name", "DeclarativeHotplugVolumes "
                            + "feature gate not enabled, cannot define an empty CD-ROM disk"));
        }

        @Test
        void lunsOnlyOnClaims() {
            assertThat(disks("[{name: 'l', lun: {}}]", "[{name: 'l', containerDisk: {image: 'x'}}]"))
                    .containsExactly(c(INVALID, "spec.domain.devices.disks[0].lun", "spec.domain.devices.disks[0].lun "
                            + "can only be mapped to a DataVolume or PersistentVolumeClaim volume."));
            assertThat(disks("[{name: 'l', lun: {}}]", "[{name: 'l', persistentVolumeClaim: {claimName: 'c'}}]"))
                    .isEmpty();
        }

        @Test
        void downwardMetricsVolumeOnAVirtioDisk() {
            ClusterConfig dm = gates("DownwardMetrics");
            assertThat(spec("{domain: {devices: {disks: [{name: 'm', cdrom: {}}]}},"
                    + " volumes: [{name: 'm', downwardMetrics: {}}]}", dm)).containsExactly(c(REQUIRED,
                    "spec.domain.devices.disks[0].disk", "DownwardMetrics volume must be mapped to a disk, but disk "
                            + "is not set on spec.domain.devices.disks[0].disk."));
            assertThat(spec("{domain: {devices: {disks: [{name: 'm', disk: {bus: 'sata'}}]}},"
                    + " volumes: [{name: 'm', downwardMetrics: {}}]}", dm)).containsExactly(c(INVALID,
                    "spec.domain.devices.disks[0].disk.bus", "DownwardMetrics volume must be mapped to virtio bus, "
                            + "but spec.domain.devices.disks[0].disk.bus is set to sata"));
        }

        @Test
        void bootOrders() {
            assertThat(spec("""
                    {domain: {devices: {disks: [{name: 'a', bootOrder: 1}, {name: 'b', bootOrder: 1}],
                                        interfaces: [{name: 'default', bootOrder: 1}, {name: 'x', bootOrder: 0}]}},
                     volumes: [{name: 'a', emptyDisk: {capacity: '1Gi'}}, {name: 'b', emptyDisk: {capacity: '1Gi'}}]}
                    """)).containsExactly(
                    c(INVALID, "spec.domain.devices.disks[1].bootOrder",
                            "Boot order for spec.domain.devices.disks[1].bootOrder already set for a different device."),
                    c(INVALID, "spec.domain.devices.interfaces[0].bootOrder", "Boot order for "
                            + "spec.domain.devices.interfaces[0].bootOrder already set for a different device."),
                    c(INVALID, "spec[1].bootOrder", "spec[1] must have a boot order > 0, if supplied"));
        }

        @Test
        void namesTargetsAndBootOrderValue() {
            assertThat(disks("[{name: 'a', disk: {}, cdrom: {}}, {name: 'a', bootOrder: 0}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]")).containsExactly(
                    c(INVALID, "spec.domain.devices.disks[0]",
                            "spec.domain.devices.disks[0] can only have a single target type defined"),
                    c(INVALID, "spec.domain.devices.disks[1].name", "spec.domain.devices.disks[1] and "
                            + "spec.domain.devices.disks[0] must not have the same Name."),
                    c(INVALID, "spec.domain.devices.disks[1].bootOrder",
                            "spec.domain.devices.disks[1] must have a boot order > 0, if supplied"));
        }

        @Test
        void buses() {
            assertThat(disks("[{name: 'a', disk: {bus: 'ide'}}, {name: 'b', cdrom: {bus: 'virtio'}},"
                    + " {name: 'c', disk: {bus: 'sata', readOnly: true}}, {name: 'd', lun: {bus: 'floppy'}}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}, {name: 'b', emptyDisk: {capacity: '1Gi'}},"
                            + " {name: 'c', emptyDisk: {capacity: '1Gi'}}, {name: 'd', dataVolume: {name: 'dv'}}]"))
                    .containsExactly(
                            c(INVALID, "spec.domain.devices.disks[0].disk.bus", "IDE bus is not supported"),
                            c(INVALID, "spec.domain.devices.disks[1].cdrom.bus",
                                    "Bus type virtio is invalid for CD-ROM device"),
                            c(INVALID, "spec.domain.devices.disks[2].disk.bus",
                                    "sata hard-disks do not support read-only."),
                            c(INVALID, "spec.domain.devices.disks[3].lun.bus", "spec.domain.devices.disks[3] is set "
                                    + "with an unrecognized bus floppy, must be one of: [virtio scsi sata usb]"));
        }

        @Test
        void dedicatedIoThreadsOnlyOnVirtio() {
            assertThat(disks("[{name: 'a', dedicatedIOThread: true, disk: {bus: 'scsi'}}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]")).containsExactly(c(NOT_SUPPORTED,
                    "spec.domain.devices.disks.domain.devices.disks[0]", // sic, KubeVirt's path
                    "IOThreads are not supported for disks on a scsi bus"));
        }

        @Test
        void pciAddress() {
            assertThat(disks("[{name: 'a', disk: {bus: 'sata', pciAddress: '0000:zz:01.0'}}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]")).containsExactly(
                    c(INVALID, "spec.domain.devices.disks.domain.devices.disks.disk[0].pciAddress", "disk "
                            + "spec.domain.devices.disks.domain.devices.disks.disk[0].name - setting a PCI address is "
                            + "only possible with bus type virtio."),
                    c(INVALID, "spec.domain.devices.disks.domain.devices.disks.disk[0].pciAddress", "disk "
                            + "spec.domain.devices.disks.domain.devices.disks.disk[0].name has malformed PCI address "
                            + "(0000:zz:01.0)."));
            assertThat(disks("[{name: 'a', disk: {bus: 'virtio', pciAddress: '0000:81:01.0'}}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]")).isEmpty();
        }

        @Test
        void serialCacheIoErrorPolicy() {
            assertThat(disks("[{name: 'a', serial: 'a b', cache: 'unsafe', io: 'uring', errorPolicy: 'panic'}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]")).containsExactly(
                    c(INVALID, "spec.domain.devices.disks[0].serial", "spec.domain.devices.disks[0] must be made up "
                            + "of the following characters [A-Za-z0-9_.+-], if specified"),
                    c(INVALID, "spec.domain.devices.disks[0].cache",
                            "spec.domain.devices.disks[0].cache has invalid value unsafe"),
                    c(NOT_SUPPORTED, "spec.domain.devices.disks.domain.devices.disks[0].io", "Disk IO mode for "
                            + "spec.domain.devices.disks is not supported. Supported modes are: native, threads."),
                    c(INVALID, "spec.domain.devices.disks[0].errorPolicy",
                            "spec.domain.devices.disks[0].errorPolicy has invalid value \"panic\""));
            String longSerial = "x".repeat(257);
            assertThat(disks("[{name: 'a', serial: '" + longSerial + "'}]",
                    "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]")).containsExactly(c(INVALID,
                    "spec.domain.devices.disks[0].serial",
                    "spec.domain.devices.disks[0] must be less than or equal to 256 in length, if specified"));
        }

        @Test
        void diskNamesAreDnsLabels() {
            assertThat(disks("[{name: 'rootDisk'}]", "[{name: 'rootDisk', emptyDisk: {capacity: '1Gi'}}]"))
                    .containsExactly(c(INVALID, "spec.domain.devices.disks.domain.devices.disks[0].name",
                            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                                    + "must start and end with an alphanumeric character (e.g. 'my-name',  or "
                                    + "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
        }

        @Test
        void blockSizes() {
            String vol = "[{name: 'a', emptyDisk: {capacity: '1Gi'}}]";
            assertThat(disks("[{name: 'a', blockSize: {custom: {logical: 512, physical: 512}, matchVolume: {}}}]",
                    vol)).containsExactly(c(INVALID, "spec.domain.devices.disks[0].blockSize",
                    "Block size matching can't be enabled together with a custom value"));
            assertThat(disks("[{name: 'a', blockSize: {custom: {logical: 4096, physical: 512}}}]", vol))
                    .containsExactly(c(INVALID, "spec.domain.devices.disks[0].blockSize.custom.logical",
                            "Logical size 4096 must be the same or less than the physical size of 512"));
            assertThat(disks("[{name: 'a', disk: {bus: 'sata'}, blockSize: {custom: {logical: 4096, physical: "
                    + "4096}}}]", vol)).containsExactly(c(INVALID, "spec.domain.devices.disks[0].blockSize.custom."
                    + "logical", "Logical size 4096 must be 512 for SATA devices"));
            assertThat(disks("[{name: 'a', blockSize: {custom: {logical: 4096, physical: 4096, discardGranularity: "
                    + "1000}}}]", vol)).containsExactly(c(INVALID, "spec.domain.devices.disks[0].blockSize.custom."
                    + "discardGranularity", "Discard granularity 1000 must be multiples of logical size 4096"));
            assertThat(disks("[{name: 'a', blockSize: {custom: {logical: 256, physical: 3000000}}}]", vol))
                    .containsExactly(
                            c(INVALID, "spec.domain.devices.disks[0].blockSize.custom.logical",
                                    "Provided size of 256 is less than the supported minimum size of 512"),
                            c(INVALID, "spec.domain.devices.disks[0].blockSize.custom.physical",
                                    "Provided size of 3000000 is greater than the supported maximum size of 2097152"));
            assertThat(disks("[{name: 'a', blockSize: {custom: {logical: 512, physical: 1000}}}]", vol))
                    .containsExactly(c(INVALID, "spec.domain.devices.disks[0].blockSize.custom.physical",
                            "Provided size of 1000 is not a power of 2"));
            assertThat(disks("[{name: 'a', disk: {bus: 'virtio'}, blockSize: {custom: {logical: 4096, "
                    + "physical: 4096}, matchVolume: {enabled: false}}}]", vol)).isEmpty();
        }
    }

    @Nested
    class Volumes {
        @Test
        void namesAndSources() {
            assertThat(spec("{volumes: [{name: 'a'}, {name: 'a', emptyDisk: {capacity: '1Gi'},"
                    + " containerDisk: {image: 'x'}}, {name: 'b', dataVolume: {}}]}")).containsExactly(
                    c(INVALID, "spec.volumes[0]", "spec.volumes[0] must have exactly one source type set"),
                    c(INVALID, "spec.volumes[1].name", "spec.volumes[1] and spec.volumes[0] must not have the same "
                            + "Name."),
                    c(INVALID, "spec.volumes[1]", "spec.volumes[1] must have exactly one source type set"),
                    c(REQUIRED, "spec.volumes[2].name", "DataVolume 'name' must be set"));
        }

        @Test
        void cloudInit() {
            String big = "x".repeat(2049);
            assertThat(spec("{volumes: [{name: 'a', cloudInitNoCloud: {userData: '" + big + "',"
                    + " userDataBase64: 'eA==', networkData: '" + big + "'}},"
                    + " {name: 'b', cloudInitConfigDrive: {}},"
                    + " {name: 'c', cloudInitNoCloud: {userDataBase64: '%%%', networkDataBase64: '***',"
                    + " networkDataSecretRef: {name: 's'}}}]}")).containsExactly(
                    c(INVALID, "spec.volumes[0].cloudInitNoCloud",
                            "spec.volumes[0].cloudInitNoCloud must have only one userdatasource set."),
                    c(INVALID, "spec.volumes[0].cloudInitNoCloud", "spec.volumes[0].cloudInitNoCloud userdata exceeds "
                            + "2048 byte limit. Should use UserDataSecretRef for larger data."),
                    c(INVALID, "spec.volumes[0].cloudInitNoCloud", "spec.volumes[0].cloudInitNoCloud networkdata "
                            + "exceeds 2048 byte limit. Should use NetworkDataSecretRef for larger data."),
                    c(INVALID, "spec.volumes[1].cloudInitConfigDrive", "spec.volumes[1].cloudInitConfigDrive must "
                            + "have at least one userdatasource or one networkdatasource set."),
                    c(INVALID, "spec.volumes[2].cloudInitNoCloud.userDataBase64", "spec.volumes[2].cloudInitNoCloud."
                            + "userDataBase64.cloudInitNoCloud.userDataBase64 is not a valid base64 value."),
                    c(INVALID, "spec.volumes[2].cloudInitNoCloud.networkDataBase64", "spec.volumes[2]."
                            + "cloudInitNoCloud.networkDataBase64.cloudInitNoCloud.networkDataBase64 is not a valid "
                            + "base64 value."),
                    c(INVALID, "spec.volumes[2].cloudInitNoCloud",
                            "spec.volumes[2].cloudInitNoCloud must have only one networkdata source set."));
        }

        @Test
        void hostDisk() {
            assertThat(spec("{volumes: [{name: 'a', hostDisk: {type: 'File'}},"
                    + " {name: 'b', hostDisk: {path: '/d.img', type: 'Disk', capacity: '1Gi'}}]}")).containsExactly(
                    c(INVALID, "spec.volumes[0]", "HostDisk feature gate is not enabled"),
                    c(NOT_FOUND, "spec.volumes[0].hostDisk.path",
                            "spec.volumes[0].hostDisk.path is required for hostDisk volume"),
                    c(INVALID, "spec.volumes[0].hostDisk.type", "spec.volumes[0].hostDisk.type has invalid value "
                            + "'File', allowed are 'Disk' or 'DiskOrCreate'"),
                    c(INVALID, "spec.volumes[1]", "HostDisk feature gate is not enabled"),
                    c(INVALID, "spec.volumes[1].hostDisk.capacity", "spec.volumes[1].hostDisk.capacity is allowed "
                            + "to pass only with spec.volumes[1].hostDisk.type equal to 'DiskOrCreate'"));
            assertThat(spec("{volumes: [{name: 'b', hostDisk: {path: '/d.img', type: 'DiskOrCreate',"
                    + " capacity: '1Gi'}}]}", gates("HostDisk"))).isEmpty();
        }

        @Test
        void namedSourcesAndSingletons() {
            assertThat(spec("{volumes: [{name: 'a', configMap: {}}, {name: 'b', secret: {}},"
                    + " {name: 'c', serviceAccount: {}}, {name: 'd', serviceAccount: {serviceAccountName: 'x'}},"
                    + " {name: 'e', memoryDump: {claimName: 'm'}}, {name: 'f', memoryDump: {claimName: 'n'}},"
                    + " {name: 'g', downwardMetrics: {}}, {name: 'h', downwardMetrics: {}}]}", gates("DownwardMetrics")))
                    .containsExactly(
                            c(INVALID, "spec.volumes[0].configMap.name",
                                    "spec.volumes[0].configMap.name is a required field"),
                            c(INVALID, "spec.volumes[1].secret.secretName",
                                    "spec.volumes[1].secret.secretName is a required field"),
                            c(INVALID, "spec.volumes[2].serviceAccount.serviceAccountName",
                                    "spec.volumes[2].serviceAccount.serviceAccountName is a required field"),
                            c(INVALID, "spec.volumes", "spec.volumes must have max one serviceAccount volume set"),
                            c(INVALID, "spec.volumes", "spec.volumes must have max one downwardMetric volume set"),
                            c(INVALID, "spec.volumes", "spec.volumes must have max one memory dump volume set"));
            assertThat(spec("{volumes: [{name: 'g', downwardMetrics: {}}]}")).containsExactly(c(INVALID,
                    "spec.volumes[0]", "downwardMetrics disks are not allowed: DownwardMetrics feature gate is not "
                            + "enabled."));
        }

        @Test
        void containerDiskPaths() {
            assertThat(spec("{volumes: [{name: 'a', containerDisk: {image: 'x', path: '/'}},"
                    + " {name: 'b', containerDisk: {image: 'x', path: 'disk/../../etc/passwd'}},"
                    + " {name: 'c', containerDisk: {image: 'x', path: '/disk/img.qcow2/'}}]}")).containsExactly(
                    c(INVALID, "spec.volumes[0].containerDisk", "spec.volumes[0].containerDisk must not point to root"),
                    c(INVALID, "spec.volumes[1].containerDisk", "spec.volumes[1].containerDisk must be an absolute "
                            + "path to a file without relative components"));
        }
    }

    @Nested
    class CreateOnly {
        private ObjectNode defaultedVmi(String spec) {
            ObjectNode v = vmi(spec);
            VmiDefaults.apply(v, DEFAULTS);
            return v;
        }

        @Test
        void volumesMustBeUsedExceptMemoryDumps() {
            // defaulting adds a disk per volume, so check the raw spec like KubeVirt's unit tests do
            ObjectNode v = vmi("{domain: {resources: {requests: {memory: '1Gi'}}}, architecture: 'amd64',"
                    + " volumes: [{name: 'dump', memoryDump: {claimName: 'x'}}, {name: 'lonely', emptyDisk: "
                    + "{capacity: '1Gi'}}]}");
            assertThat(VmiValidation.validateCreate(v, DEFAULTS)).containsExactly(c(INVALID,
                    "spec.domain.volumes[1].name", "spec.domain.volumes[1].name 'lonely' not found."));
        }

        @Test
        void someMemoryMustBeRequested() {
            ObjectNode v = defaultedVmi("{}");
            assertThat(VmiValidation.validateCreate(v, DEFAULTS)).containsExactly(c(REQUIRED, "", "no memory "
                    + "requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' "
                    + "or 'spec.domain.resources.requests.memory' must be set"));
            assertThat(VmiValidation.validateCreate(defaultedVmi("{domain: {memory: {guest: '1Gi'}}}"), DEFAULTS))
                    .isEmpty();
        }

        @Test
        void reservedLabelsOnlyForKubeVirt() {
            ObjectNode v = defaultedVmi("{domain: {memory: {guest: '1Gi'}}}");
            ((ObjectNode) v.get("metadata")).putObject("labels").put("kubevirt.io/nodeName", "node1")
                    .put("app", "x");
            assertThat(VmiValidation.validateCreate(v, DEFAULTS)).containsExactly(c(NOT_SUPPORTED, "metadata.labels",
                    "creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited"));
            assertThat(VmiValidation.validateCreate(v, DEFAULTS, true)).isEmpty();
        }

        @Test
        void gatedAnnotations() {
            ObjectNode v = defaultedVmi("{domain: {memory: {guest: '1Gi'}}}");
            ((ObjectNode) v.get("metadata")).putObject("annotations").put("kubevirt.io/ignitiondata", "{}")
                    .put("hooks.kubevirt.io/hookSidecars", "[]");
            assertThat(VmiValidation.validateCreate(v, DEFAULTS)).containsExactly(
                    c(INVALID, "metadata.annotations", "ExperimentalIgnitionSupport feature gate is not enabled in "
                            + "kubevirt-config, invalid entry metadata.annotations.kubevirt.io/ignitiondata"),
                    c(INVALID, "metadata.annotations", "sidecar feature gate is not enabled in kubevirt-config, "
                            + "invalid entry metadata.annotations.hooks.kubevirt.io/hookSidecars"));
            assertThat(VmiValidation.validateCreate(v, gates("ExperimentalIgnitionSupport", "Sidecar"))).isEmpty();
        }

        @Test
        void unsupportedArchitecture() {
            ObjectNode v = vmi("{architecture: 'riscv64', domain: {memory: {guest: '1Gi'}}}");
            assertThat(VmiValidation.validateCreate(v, gates("MultiArchitecture"))).containsExactly(c(INVALID,
                    "spec.architecture", "unsupported architecture: riscv64"));
        }

        @Test
        void discontinuedGatesInUseAreDenied() {
            ObjectNode v = defaultedVmi("{domain: {memory: {guest: '1Gi'}, devices: {interfaces: "
                    + "[{name: 'default', passt: {}}]}}, networks: [{name: 'default', pod: {}}]}");
            assertThat(VmiValidation.validateCreate(v, gates("Passt"))).containsExactly(c(NOT_SUPPORTED, "",
                    "Passt network binding is discontinued since v1.3. Please refer to Kubevirt user guide for "
                            + "alternatives."));
            assertThat(VmiValidation.validateCreate(v, DEFAULTS)).isEmpty();
        }

        @Test
        void allCausesAreCollected() {
            ObjectNode v = vmi("{domain: {resources: {requests: {memory: '-1', cpu: '-1'}},"
                    + " cpu: {isolateEmulatorThread: true}}, architecture: 'amd64', startStrategy: 'x'}");
            assertThat(VmiValidation.validateCreate(v, DEFAULTS)).extracting(Cause::field).containsExactly(
                    "spec.domain.resources.requests.memory", "spec.domain.resources.requests.cpu",
                    "spec.domain.cpu.isolateEmulatorThread", "spec.startStrategy");
        }
    }
}
