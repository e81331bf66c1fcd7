package io.jvirt.api.kubevirt;

import static io.jvirt.api.kubevirt.Specs.config;
import static io.jvirt.api.kubevirt.Specs.obj;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;

class ClusterConfigTest {

    @Test
    void defaultsAreKubeVirts() {
        ClusterConfig c = ClusterConfig.defaults();
        assertThat(c.cpuAllocationRatio()).isEqualTo(10);
        assertThat(c.memoryOvercommit()).isEqualTo(100);
        assertThat(c.cpuRequest()).isEqualTo(Quantity.parse("100m"));
        assertThat(c.cpuModel()).isEmpty();
        assertThat(c.defaultArchitecture()).isEqualTo("amd64");
        assertThat(c.machineType("")).isEqualTo("q35");
        assertThat(c.machineType("arm64")).isEqualTo("virt");
        assertThat(c.machineType("s390x")).isEqualTo("s390-ccw-virtio");
        assertThat(c.emulatedMachines("amd64")).containsExactly("q35*", "pc-q35*");
        assertThat(c.vmRolloutStrategy()).isEqualTo("LiveUpdate");
        assertThat(c.isLiveUpdate()).isTrue();
        assertThat(c.defaultNetworkInterface()).isEqualTo("bridge");
        assertThat(c.permitBridgeInterfaceOnPodNetwork()).isTrue();
        assertThat(c.evictionStrategy()).isNull();
        assertThat(c.maxHotplugRatio()).isEqualTo(4);
        assertThat(c.maximumCpuSockets()).isZero();
        assertThat(c.maximumGuestMemory()).isNull();
        assertThat(c.useEmulation()).isFalse();
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void readsTheKubeVirtCr() {
        ClusterConfig c = config("""
                {developerConfiguration: {featureGates: ['HostDisk'], useEmulation: true, cpuAllocationRatio: 4,
                   memoryOvercommit: 150},
                 cpuModel: 'Skylake-Client', cpuRequest: '250m', vmRolloutStrategy: 'Stage',
                 architectureConfiguration: {defaultArchitecture: 'amd64',
                   amd64: {machineType: 'pc-q35-rhel9.4.0', emulatedMachines: ['pc-q35-rhel*']}},
                 network: {defaultNetworkInterface: 'masquerade', permitBridgeInterfaceOnPodNetwork: false},
                 evictionStrategy: 'LiveMigrate',
                 liveUpdateConfiguration: {maxCpuSockets: 8, maxGuest: '16Gi', maxHotplugRatio: 2},
                 additionalGuestMemoryOverheadRatio: '1.5'}""");
        assertThat(c.enabled("HostDisk")).isTrue();
        assertThat(c.useEmulation()).isTrue();
        assertThat(c.cpuAllocationRatio()).isEqualTo(4);
        assertThat(c.memoryOvercommit()).isEqualTo(150);
        assertThat(c.cpuModel()).isEqualTo("Skylake-Client");
        assertThat(c.cpuRequest()).isEqualTo(Quantity.parse("250m"));
        assertThat(c.isLiveUpdate()).isFalse();
        assertThat(c.machineType("amd64")).isEqualTo("pc-q35-rhel9.4.0");
        assertThat(c.emulatedMachines("")).containsExactly("pc-q35-rhel*");
        assertThat(c.defaultNetworkInterface()).isEqualTo("masquerade");
        assertThat(c.permitBridgeInterfaceOnPodNetwork()).isFalse();
        assertThat(c.evictionStrategy()).isEqualTo("LiveMigrate");
        assertThat(c.maximumCpuSockets()).isEqualTo(8);
        assertThat(c.maximumGuestMemory()).isEqualTo(Quantity.parse("16Gi"));
        assertThat(c.maxHotplugRatio()).isEqualTo(2);
        assertThat(c.additionalGuestMemoryOverheadRatio()).isEqualTo("1.5");
    }

    @Test
    void insecureRegistries() {
        assertThat(ClusterConfig.defaults().insecureRegistries()).isEmpty();
        ClusterConfig c = config("{developerConfiguration: {insecureRegistries: ['registry.internal:5000', ' ',"
                + " 'plain.example ']}}");
        assertThat(c.insecureRegistries()).containsExactly("registry.internal:5000", "plain.example");
    }

    @Test
    void legacyMachineTypeFieldsOverrideArchitectureConfiguration() {
        ClusterConfig c = config("{machineType: 'pc-q35-7.2', emulatedMachines: ['pc-q35-7*'],"
                + " architectureConfiguration: {amd64: {machineType: 'q35'}}}");
        assertThat(c.machineType("amd64")).isEqualTo("pc-q35-7.2");
        assertThat(c.emulatedMachines("amd64")).containsExactly("pc-q35-7*");
    }

    @Test
    void legacyConfigMapGatesAreMergedAndTheCrWins() {
        var cr = obj("{spec: {configuration: {developerConfiguration: {featureGates: ['HostDisk'],"
                + " disabledFeatureGates: ['Sidecar'], cpuAllocationRatio: 5}}}}");
        var cm = obj("{data: {'feature-gates': 'Sidecar, VSOCK,HostDevices', 'cpu-allocation-ratio': '2',"
                + " 'use-emulation': 'true', 'cpu-model': 'Haswell'}}");
        ClusterConfig c = ClusterConfig.from(cr, cm);
        assertThat(c.featureGates().listed()).containsExactly("HostDisk", "VSOCK", "HostDevices");
        assertThat(c.enabled("Sidecar")).isFalse();
        assertThat(c.enabled("VSOCK")).isTrue();
        assertThat(c.cpuAllocationRatio()).isEqualTo(5); // CR wins
        assertThat(c.useEmulation()).isTrue();             // only the ConfigMap says so
        assertThat(c.cpuModel()).isEqualTo("Haswell");
        assertThat(ClusterConfig.from(null, cm).enabled("Sidecar")).isTrue();
    }

    @Test
    void gateStates() {
        ClusterConfig none = ClusterConfig.defaults();
        assertThat(none.enabled("HostDisk")).as("alpha off by default").isFalse();
        assertThat(none.enabled("Snapshot")).as("beta on by default").isTrue();
        assertThat(none.enabled("LiveMigration")).as("GA always on").isTrue();
        assertThat(none.enabled("SomethingNew")).as("unknown behaves as alpha").isFalse();
        ClusterConfig c = config("{developerConfiguration: {featureGates: ['HostDisk', 'Passt', 'SomethingNew',"
                + " 'DockerSELinuxMCSWorkaround'], disabledFeatureGates: ['Snapshot', 'LiveMigration']}}");
        assertThat(c.enabled("HostDisk")).isTrue();
        assertThat(c.enabled("SomethingNew")).isTrue();
        assertThat(c.enabled("Snapshot")).as("beta disabled").isFalse();
        assertThat(c.enabled("LiveMigration")).as("GA cannot be disabled").isTrue();
        assertThat(c.enabled("Passt")).as("discontinued never on").isFalse();
        assertThat(c.enabled("DockerSELinuxMCSWorkaround")).as("deprecated, listed").isTrue();
        assertThat(FeatureGates.stateOf("NUMA")).isEqualTo(FeatureGates.State.GA);
        assertThat(FeatureGates.stateOf("Macvtap")).isEqualTo(FeatureGates.State.DISCONTINUED);
        assertThat(FeatureGates.stateOf("CPUManager")).isEqualTo(FeatureGates.State.ALPHA);
        assertThat(FeatureGates.stateOf("DecentralizedLiveMigration")).isEqualTo(FeatureGates.State.BETA);
    }

    @Test
    void explicitTrueFalseEntriesAndNewStyleGateObjects() {
        ClusterConfig c = config("{developerConfiguration: {featureGates: ['HostDisk=true', 'Snapshot=false']},"
                + " featureGates: [{name: 'VSOCK'}, {name: 'HostDisk', enabled: false}]}");
        assertThat(c.enabled("HostDisk")).isFalse();
        assertThat(c.enabled("Snapshot")).isFalse();
        assertThat(c.enabled("VSOCK")).isTrue();
    }

    @Test
    void warningsUseKubeVirtsWording() {
        ClusterConfig c = config("{developerConfiguration: {featureGates: ['LiveMigration', 'HostDisk',"
                + " 'DockerSELinuxMCSWorkaround', 'Macvtap']}}");
        assertThat(c.warnings()).containsExactly(
                "feature gate LiveMigration is deprecated (feature state is \"General Availability\"), therefore it "
                        + "can be safely removed and is redundant. For more info, please look at: "
                        + "https://github.com/kubevirt/kubevirt/blob/main/docs/deprecation.md",
                "DockerSELinuxMCSWorkaround has been deprecated since v1.4.",
                "Macvtap network binding is discontinued since v1.3. Please refer to Kubevirt user guide for "
                        + "alternatives.");
        assertThat(c.featureGates().listedDiscontinued()).extracting(FeatureGates.Gate::name)
                .containsExactly("Macvtap");
    }

    @Test
    void evenParityAnnotationIsReadFromTheCr() {
        var cr = obj("{metadata: {annotations: {'alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity': ''}},"
                + " spec: {configuration: {}}}");
        assertThat(ClusterConfig.from(cr, null).emulatorThreadCompleteToEvenParity()).isTrue();
        assertThat(ClusterConfig.defaults().emulatorThreadCompleteToEvenParity()).isFalse();
    }

    @Test
    void nonsenseValuesFallBackToDefaults() {
        ClusterConfig c = config("{developerConfiguration: {cpuAllocationRatio: 0, memoryOvercommit: -3},"
                + " cpuRequest: 'lots', liveUpdateConfiguration: {maxHotplugRatio: 0}}");
        assertThat(c.cpuAllocationRatio()).isEqualTo(10);
        assertThat(c.memoryOvercommit()).isEqualTo(100);
        assertThat(c.cpuRequest()).isEqualTo(ClusterConfig.DEFAULT_CPU_REQUEST);
        assertThat(c.maxHotplugRatio()).isEqualTo(4);
        assertThat(List.of(c.emulatedMachines("unknown"))).containsExactly(List.of());
    }
}
