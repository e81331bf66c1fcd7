package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Specs.config;
import static io.jvirt.api.kubevirt.Specs.obj;
import static io.jvirt.api.kubevirt.Specs.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** {@link MemoryOverhead} and {@link PodResources}. */
class SizingTest {
    private static final ClusterConfig DEFAULTS = ClusterConfig.defaults();
    private static final long MI = 1L << 20;

    private static ObjectNode defaulted(String spec, ClusterConfig c) {
        ObjectNode v = vmi(spec);
        VmiDefaults.apply(v, c);
        return v;
    }

    @Test
    void workedExampleIsHundredMi() {
        ObjectNode v = defaulted("{domain: {resources: {requests: {memory: '1Gi'}}}}", DEFAULTS);
        MemoryOverhead.Breakdown b = MemoryOverhead.breakdown(v.get("spec"), DEFAULTS);
        assertThat(b.bytes("pageTables")).isEqualTo(2 * MI);
        assertThat(b.bytes("qemu")).isEqualTo(50 * MI);
        assertThat(b.bytes("vcpus")).isEqualTo(8 * MI);
        assertThat(b.bytes("iothread")).isEqualTo(8 * MI);
        assertThat(b.bytes("video")).isEqualTo(32 * MI);
        assertThat(b.total()).isEqualTo(100 * MI);
        assertThat(b.quantity().toString()).isEqualTo("100Mi");
        assertThat(MemoryOverhead.of(v.get("spec"), DEFAULTS)).isEqualTo(100 * MI);
        assertThat(b.items()).extracting(MemoryOverhead.Item::name)
                .containsExactly("pageTables", "qemu", "vcpus", "iothread", "video");
    }

    @Test
    void pageTablesFollowKubeVirtsRounding() {
        // ceil(1000000001/1000)*1000/512 = 1953126 (integer division)
        assertThat(MemoryOverhead.breakdown(obj("{domain: {resources: {requests: {memory: '1000000001'}}}}"),
                DEFAULTS).bytes("pageTables")).isEqualTo(1953126);
        assertThat(MemoryOverhead.breakdown(obj("{domain: {memory: {guest: '4Gi'}}}"), DEFAULTS).bytes("pageTables"))
                .as("falls back to the guest size").isEqualTo(8388609);
    }

    @Test
    void everyTerm() {
        ObjectNode spec = obj("""
                {architecture: 'arm64',
                 domain: {cpu: {sockets: 2, cores: 2, threads: 1},
                          memory: {guest: '2Gi', reservedOverhead: {addedOverhead: '10Mi'}},
                          launchSecurity: {sev: {}},
                          devices: {autoattachGraphicsDevice: false, tpm: {},
                                    hostDevices: [{name: 'h', deviceName: 'vendor.com/dev'}]}},
                 volumes: [{name: 'm', downwardMetrics: {}}]}""");
        MemoryOverhead.Breakdown b = MemoryOverhead.breakdown(spec, DEFAULTS);
        assertThat(b.bytes("vcpus")).isEqualTo(32 * MI);
        assertThat(b.bytes("video")).isZero();
        assertThat(b.bytes("uefi")).isEqualTo(128 * MI);
        assertThat(b.bytes("vfio")).isEqualTo(1024 * MI);
        assertThat(b.bytes("downwardMetrics")).isEqualTo(MI);
        assertThat(b.bytes("sev")).isEqualTo(256 * MI);
        assertThat(b.bytes("tpm")).isEqualTo(53 * MI);
        assertThat(b.bytes("reservedOverhead")).isEqualTo(10 * MI);
        assertThat(b.total()).isEqualTo(4 * MI + 50 * MI + 32 * MI + 8 * MI + 128 * MI + 1024 * MI + MI + 256 * MI
                + 53 * MI + 10 * MI);
        assertThat(MemoryOverhead.breakdown(obj("{domain: {devices: {tpm: {enabled: false}}}}"), DEFAULTS)
                .bytes("tpm")).isZero();
        assertThat(MemoryOverhead.breakdown(obj("{domain: {devices: {interfaces: [{name: 's', sriov: {}}]}}}"),
                DEFAULTS).bytes("vfio")).isEqualTo(1024 * MI);
    }

    @Test
    void vcpusFallBackToResourcesAndAtLeastOne() {
        assertThat(MemoryOverhead.breakdown(obj("{domain: {resources: {limits: {cpu: '2500m'}}}}"), DEFAULTS)
                .bytes("vcpus")).isEqualTo(24 * MI);
        assertThat(MemoryOverhead.breakdown(obj("{}"), DEFAULTS).bytes("vcpus")).isEqualTo(8 * MI);
    }

    @Test
    void additionalRatioIsAppliedLast() {
        ClusterConfig c = config("{additionalGuestMemoryOverheadRatio: '1.5'}");
        ObjectNode spec = obj("{domain: {resources: {requests: {memory: '1Gi'}}, cpu: {sockets: 1}}}");
        MemoryOverhead.Breakdown b = MemoryOverhead.breakdown(spec, c);
        long base = 100 * MI;
        long extra = (long) Math.floor(Math.ceil(base / 1000.0) * 0.5) * 1000;
        assertThat(b.bytes("additionalRatio")).isEqualTo(extra);
        assertThat(b.total()).isEqualTo(base + extra);
        assertThat(MemoryOverhead.of(spec, config("{additionalGuestMemoryOverheadRatio: 'x'}"))).isEqualTo(base);
    }

    @Test
    void translationCacheCountsWhenTheClusterForcesEmulation() {
        ObjectNode spec = obj("{domain: {resources: {requests: {memory: '1Gi'}}, cpu: {sockets: 1}}}");
        assertThat(MemoryOverhead.breakdown(spec, DEFAULTS).bytes("tcgCache")).isZero();
        ClusterConfig emulated = config("{developerConfiguration: {useEmulation: true}}");
        assertThat(MemoryOverhead.breakdown(spec, emulated).bytes("tcgCache")).isEqualTo(128 * MI);
        assertThat(MemoryOverhead.of(spec, emulated)).isEqualTo(100 * MI + 128 * MI);
        ObjectNode vmi = obj("{metadata: {annotations: {'jvirt.io/tcg-translation-cache': '32Mi'}}}");
        vmi.set("spec", spec);
        assertThat(MemoryOverhead.ofVmi(vmi, emulated)).isEqualTo(100 * MI + 32 * MI);
        assertThat(MemoryOverhead.ofVmi(vmi, DEFAULTS)).isEqualTo(100 * MI);
    }

    // ------------------------------------------------------------------------------------------- pod resources

    @Test
    void sharedCpuVmi() {
        ObjectNode v = defaulted("{domain: {cpu: {sockets: 2}, memory: {guest: '2Gi'}}}", DEFAULTS);
        long overhead = MemoryOverhead.of(v.get("spec"), DEFAULTS);
        assertThat(overhead).isEqualTo(4 * MI + 50 * MI + 16 * MI + 8 * MI + 32 * MI);
        ObjectNode r = PodResources.compute(v, DEFAULTS, overhead);
        assertThat(r).isEqualTo(obj("""
                {requests: {cpu: '200m', memory: '2158Mi', 'ephemeral-storage': '50M'},
                 limits: {'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/vhost-net': '1',
                          'devices.kubevirt.io/kvm': '1'}}"""));
    }

    @Test
    void memoryRequestFromTheLimitOrFromOvercommit() {
        ObjectNode v = defaulted("{domain: {resources: {limits: {memory: '1Gi', cpu: 2}}}}", DEFAULTS);
        ObjectNode r = PodResources.compute(v, DEFAULTS, 100 * MI);
        assertThat(r.at("/requests/memory").asText()).isEqualTo("1124Mi");
        assertThat(r.at("/limits/memory").asText()).isEqualTo("1124Mi");
        assertThat(r.at("/requests/cpu").asText()).as("explicit request (defaulted from the limit) wins")
                .isEqualTo("2");
        assertThat(r.at("/limits/cpu").asText()).isEqualTo("2");

        ClusterConfig overcommit = config("{developerConfiguration: {memoryOvercommit: 200}}");
        ObjectNode w = defaulted("{domain: {memory: {guest: '4Gi'}}}", overcommit);
        assertThat(PodResources.compute(w, overcommit, 0).at("/requests/memory").asText()).isEqualTo("2Gi");
        assertThat(PodResources.compute(w, overcommit, 0).at("/limits").has("memory")).isFalse();
    }

    @Test
    void cpuAllocationRatio() {
        ClusterConfig c = config("{developerConfiguration: {cpuAllocationRatio: 4}}");
        ObjectNode v = defaulted("{domain: {cpu: {sockets: 3}, memory: {guest: '1Gi'}}}", c);
        assertThat(PodResources.compute(v, c, 0).at("/requests/cpu").asText()).isEqualTo("750m");
    }

    @Test
    void dedicatedCpusAreGuaranteed() {
        ObjectNode v = defaulted("{domain: {cpu: {cores: 4, dedicatedCpuPlacement: true},"
                + " resources: {requests: {memory: '4Gi'}}}}", DEFAULTS);
        ObjectNode r = PodResources.compute(v, DEFAULTS, 100 * MI);
        assertThat(r.at("/requests/cpu").asText()).isEqualTo("4");
        assertThat(r.at("/limits/cpu").asText()).isEqualTo("4");
        assertThat(r.at("/requests/memory").asText()).isEqualTo("4196Mi");
        assertThat(r.at("/limits/memory").asText()).isEqualTo("4196Mi");
    }

    @Test
    void isolatedEmulatorThreadAndEvenParity() {
        String spec = "{domain: {cpu: {cores: 3, dedicatedCpuPlacement: true, isolateEmulatorThread: true},"
                + " memory: {guest: '1Gi'}}}";
        assertThat(PodResources.compute(defaulted(spec, DEFAULTS), DEFAULTS, 0).at("/limits/cpu").asText())
                .isEqualTo("4");
        ObjectNode withParity = defaulted(spec, DEFAULTS);
        ((ObjectNode) withParity.get("metadata")).putObject("annotations")
                .put(ClusterConfig.EVEN_PARITY_ANNOTATION, "");
        assertThat(PodResources.compute(withParity, DEFAULTS, 0).at("/limits/cpu").asText()).as("3+1 is even")
                .isEqualTo("4");
        ObjectNode even = defaulted(spec.replace("cores: 3", "cores: 4"), DEFAULTS);
        ((ObjectNode) even.get("metadata")).putObject("annotations").put(ClusterConfig.EVEN_PARITY_ANNOTATION, "");
        assertThat(PodResources.compute(even, DEFAULTS, 0).at("/limits/cpu").asText()).as("4+2").isEqualTo("6");
    }

    @Test
    void supplementalIoThreadsCount() {
        ObjectNode v = defaulted("{domain: {cpu: {cores: 2, dedicatedCpuPlacement: true}, memory: {guest: '1Gi'},"
                + " ioThreadsPolicy: 'supplementalPool', ioThreads: {supplementalPoolThreadCount: 2}}}", DEFAULTS);
        assertThat(PodResources.compute(v, DEFAULTS, 0).at("/limits/cpu").asText()).isEqualTo("4");
        ObjectNode shared = defaulted("{domain: {cpu: {sockets: 2}, memory: {guest: '1Gi'},"
                + " ioThreadsPolicy: 'supplementalPool', ioThreads: {supplementalPoolThreadCount: 2}}}", DEFAULTS);
        assertThat(PodResources.compute(shared, DEFAULTS, 0).at("/requests/cpu").asText()).isEqualTo("400m");
    }

    @Test
    void hugepages() {
        ObjectNode v = defaulted("{domain: {memory: {hugepages: {pageSize: '2Mi'}}, resources: {requests: "
                + "{memory: '4Gi'}}}}", DEFAULTS);
        ObjectNode r = PodResources.compute(v, DEFAULTS, 100 * MI);
        assertThat(r.at("/requests/hugepages-2Mi").asText()).isEqualTo("4Gi");
        assertThat(r.at("/limits/hugepages-2Mi").asText()).isEqualTo("4Gi");
        assertThat(r.at("/requests/memory").asText()).isEqualTo("100Mi");
        ObjectNode w = defaulted("{domain: {memory: {guest: '2Gi', hugepages: {pageSize: '1Gi'}},"
                + " resources: {requests: {memory: '3Gi'}, limits: {memory: '3Gi'}}}}", DEFAULTS);
        ObjectNode s = PodResources.compute(w, DEFAULTS, 100 * MI);
        assertThat(s.at("/requests/hugepages-1Gi").asText()).as("the guest size when smaller").isEqualTo("2Gi");
        assertThat(s.at("/requests/memory").asText()).as("1Gi above the guest + overhead").isEqualTo("1124Mi");
        assertThat(s.at("/limits/memory").asText()).isEqualTo("1124Mi");
    }

    @Test
    void overcommitGuestOverheadLeavesTheRequestAlone() {
        ObjectNode v = defaulted("{domain: {resources: {requests: {memory: '1Gi'}, overcommitGuestOverhead: true,"
                + " limits: {memory: '2Gi'}}}}", DEFAULTS);
        ObjectNode r = PodResources.compute(v, DEFAULTS, 100 * MI);
        assertThat(r.at("/requests/memory").asText()).isEqualTo("1Gi");
        assertThat(r.at("/limits/memory").asText()).isEqualTo("2148Mi");
    }

    @Test
    void devicesAndEmulation() {
        ClusterConfig emu = config("{developerConfiguration: {useEmulation: true}}");
        ObjectNode v = defaulted("""
                {domain: {memory: {guest: '1Gi'}, launchSecurity: {sev: {}},
                          devices: {autoattachPodInterface: false, autoattachVSOCK: true,
                                    gpus: [{name: 'g', deviceName: 'nvidia.com/A100'},
                                           {name: 'h', deviceName: 'nvidia.com/A100'}],
                                    disks: [{name: 'l', lun: {reservation: true}}]}},
                 volumes: [{name: 'l', persistentVolumeClaim: {claimName: 'c'}}]}""", emu);
        ObjectNode r = PodResources.compute(v, emu, 0);
        assertThat(r.at("/requests/nvidia.com~1A100").asText()).isEqualTo("2");
        assertThat(r.at("/limits/nvidia.com~1A100").asText()).isEqualTo("2");
        assertThat(r.at("/limits/devices.kubevirt.io~1sev").asText()).isEqualTo("1");
        assertThat(r.at("/limits/devices.kubevirt.io~1pr-helper").asText()).isEqualTo("1");
        assertThat(r.at("/limits/devices.kubevirt.io~1vhost-vsock").asText()).isEqualTo("1");
        assertThat(r.get("limits").has(PodResources.KVM)).as("emulation").isFalse();
        assertThat(r.get("limits").has(PodResources.TUN)).as("no pod interface").isFalse();
        assertThat(r.get("limits").has(PodResources.VHOST_NET)).isFalse();
    }

    @Test
    void nonVirtioNicNeedsNoVhostNet() {
        ObjectNode v = defaulted("{domain: {memory: {guest: '1Gi'}, devices: {interfaces: [{name: 'default', "
                + "masquerade: {}, model: 'e1000'}]}}, networks: [{name: 'default', pod: {}}]}", DEFAULTS);
        ObjectNode r = PodResources.compute(v, DEFAULTS, 0);
        assertThat(r.get("limits").has(PodResources.VHOST_NET)).isFalse();
        assertThat(r.get("limits").has(PodResources.TUN)).isTrue();
        assertThat(r.get("limits").has(PodResources.KVM)).isTrue();
    }
}
