package io.jvirt.node.cpumanager;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuManagerCheckpointTest {
    /** cpu_manager_state files written by real kubelets (seed 000's Harvester node; Talos PR #7557). */
    static final List<String> KUBELET_FILES = List.of(
            "{\"policyName\":\"static\",\"defaultCpuSet\":\"0-19\",\"checksum\":31209605}",
            "{\"policyName\":\"static\",\"defaultCpuSet\":\"0-1,4-19\",\"entries\":{\"5e2cd290-38d7-4749-9218-dfe7132d86df\":"
                    + "{\"compute\":\"2-3\"}},\"checksum\":2779859136}",
            "{\"policyName\":\"static\",\"defaultCpuSet\":\"0-1\",\"checksum\":1636926438}",
            "{\"policyName\":\"none\",\"defaultCpuSet\":\"\",\"checksum\":1353318690}");

    @Test
    void reproducesTheKubeletChecksumAndBytes() throws IOException {
        for (String file : KUBELET_FILES) {
            CpuManagerCheckpoint cp = CpuManagerCheckpoint.parse(file);
            assertThat(cp.checksumValid()).as(file).isTrue();
            assertThat(cp.computeChecksum()).as(file).isEqualTo(cp.checksum());
            assertThat(CpuManagerCheckpoint.of(cp.policyName(), cp.defaultCpuSet(), cp.entries()).toJson()).isEqualTo(file);
        }
    }

    @Test
    void detectsTampering() throws IOException {
        CpuManagerCheckpoint cp = CpuManagerCheckpoint.parse(
                "{\"policyName\":\"static\",\"defaultCpuSet\":\"0-18\",\"checksum\":31209605}");
        assertThat(cp.checksumValid()).isFalse();
        // as in the kubelet, a zero checksum (old file backend) is not verified
        assertThat(CpuManagerCheckpoint.parse("{\"policyName\":\"static\",\"defaultCpuSet\":\"0-18\"}").checksumValid()).isTrue();
    }

    @Test
    void entriesAreSortedAndOmittedWhenEmpty() {
        CpuManagerCheckpoint cp = CpuManagerCheckpoint.of("static", "0,5-7",
                Map.of("b-uid", Map.of("compute", "3-4"), "a-uid", Map.of("sidecar", "2", "compute", "1")));
        assertThat(cp.toJson()).startsWith("{\"policyName\":\"static\",\"defaultCpuSet\":\"0,5-7\",\"entries\":{\"a-uid\":"
                + "{\"compute\":\"1\",\"sidecar\":\"2\"},\"b-uid\":{\"compute\":\"3-4\"}},\"checksum\":");
        assertThat(CpuManagerCheckpoint.of("static", "0-3", Map.of()).toJson()).doesNotContain("entries");
    }

    @Test
    void refusesOtherShapes() {
        assertThatThrownBy(() -> CpuManagerCheckpoint.parse("{\"policyName\":\"static\",\"defaultCpuSet\":\"0\","
                + "\"entries\":{\"ctr\":\"1\"},\"checksum\":1}")).hasMessageContaining("V1 checkpoint");
        assertThatThrownBy(() -> CpuManagerCheckpoint.parse("{not json")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> CpuManagerCheckpoint.parse("[]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> CpuManagerCheckpoint.parse("{\"policyName\":1}")).hasMessageContaining("policyName");
    }

    @Test
    void escapesAsGoDoes() {
        StringBuilder sb = new StringBuilder();
        CpuManagerCheckpoint.goString(sb, "a\"b\\c<d>&\n");
        assertThat(sb).hasToString("\"a\\\"b\\\\c\\u003cd\\u003e\\u0026\\n\"");
    }
}
