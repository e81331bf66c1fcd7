package io.jvirt.node.cpumanager;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuManagerOptionsTest {

    @Test
    void kubeletFlags() {
        CpuManagerOptions o = CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0,16",
                "--cpu-manager-policy-options=full-pcpus-only=true");
        assertThat(o.policy()).isEqualTo("static");
        assertThat(o.isStatic()).isTrue();
        assertThat(o.reservedCpus()).containsExactly(0, 16);
        assertThat(o.fullPcpusOnly()).isTrue();
        assertThat(CpuManagerOptions.parse(o.toFlags())).isEqualTo(o);
    }

    @Test
    void harvesterKubeletArgsAsSeed000WritesThem() {
        CpuManagerOptions o = CpuManagerOptions.parse(List.of("cpu-manager-policy=static",
                "cpu-manager-policy-options=full-pcpus-only=true", "cpu-manager-reconcile-period=0s", "reserved-cpus=2",
                "max-pods=200"));
        assertThat(o).isEqualTo(new CpuManagerOptions("static", new java.util.TreeSet<>(List.of(2)), true));
    }

    @Test
    void twoTokenFormAndDefaults() {
        assertThat(CpuManagerOptions.parse("--cpu-manager-policy", "static", "--reserved-cpus", "0-1").reservedCpus())
                .containsExactly(0, 1);
        assertThat(CpuManagerOptions.parse()).isEqualTo(CpuManagerOptions.DEFAULT);
        assertThat(CpuManagerOptions.DEFAULT.isStatic()).isFalse();
        assertThat(CpuManagerOptions.parse("--reserved-cpus=0").reservedCpus()).containsExactly(0); // none + reserved is fine
        assertThat(CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0",
                "--cpu-manager-policy-options=full-pcpus-only=false").fullPcpusOnly()).isFalse();
    }

    @Test
    void refusesWhatTheKubeletRefuses() {
        assertThatThrownBy(() -> CpuManagerOptions.parse("--cpu-manager-policy=static"))
                .hasMessageContaining("the static policy requires systemreserved.cpu + kubereserved.cpu to be greater than zero");
        assertThatThrownBy(() -> CpuManagerOptions.parse("--cpu-manager-policy=dynamic"))
                .hasMessage("unknown policy: \"dynamic\"");
        assertThatThrownBy(() -> CpuManagerOptions.parse("--cpu-manager-policy-options=full-pcpus-only=true"))
                .hasMessageContaining("None policy: received unsupported options=map[full-pcpus-only:true]");
        assertThatThrownBy(() -> CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0",
                "--cpu-manager-policy-options=align-by-socket=true"))
                .hasMessageContaining("unsupported cpu manager policy option: \"align-by-socket\"");
        assertThatThrownBy(() -> CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0",
                "--cpu-manager-policy-options=full-pcpus-only=yes")).hasMessageContaining("not a boolean");
        assertThatThrownBy(() -> CpuManagerOptions.parse("--cpu-manager-policy=static", "--reserved-cpus=0-"))
                .hasMessageContaining("invalid --reserved-cpus");
        assertThatThrownBy(() -> CpuManagerOptions.parse("--reserved-cpus")).hasMessageContaining("needs a value");
    }
}
