package io.jvirt.node.topology;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpuListTest {

    @Test
    void parsesKernelSyntax() {
        assertThat(CpuList.parse("0-3,8,10-11")).containsExactly(0, 1, 2, 3, 8, 10, 11);
        assertThat(CpuList.parse("0,16")).containsExactly(0, 16);
        assertThat(CpuList.parse("0-7,16-23\n")).hasSize(16);
        assertThat(CpuList.parse("")).isEmpty();
        assertThat(CpuList.parse(" \n")).isEmpty();
        assertThat(CpuList.parse("5")).containsExactly(5);
        assertThat(CpuList.parse("3,1,2")).containsExactly(1, 2, 3);
        // the kernel's grouped ranges: in 0-15, the first 2 of every group of 4
        assertThat(CpuList.parse("0-15:2/4")).containsExactly(0, 1, 4, 5, 8, 9, 12, 13);
    }

    @Test
    void formatsAsKernelAndKubeletDo() {
        assertThat(CpuList.format(List.of(0, 1, 2, 3, 8, 10, 11))).isEqualTo("0-3,8,10-11");
        assertThat(CpuList.format(Set.of(0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)))
                .isEqualTo("0-1,4-19");
        assertThat(CpuList.format(List.of(2, 3))).isEqualTo("2-3");
        assertThat(CpuList.format(List.of(1, 5))).isEqualTo("1,5");
        assertThat(CpuList.format(List.of())).isEmpty();
        assertThat(CpuList.format(List.of(7))).isEqualTo("7");
    }

    @Test
    void roundTrips() {
        for (String s : List.of("0-3,8,10-11", "0", "0-1,4-19", "0,2-3,6-7", "1,5", "0-63", "", "0,2,4,6,8")) {
            assertThat(CpuList.format(CpuList.parse(s))).isEqualTo(s);
        }
        assertThat(CpuList.format(CpuList.parse("0-1,2,3-3,5"))).isEqualTo("0-3,5");
    }

    @Test
    void rejectsBadSyntax() {
        for (String bad : List.of("a", "1-", "-1", "3-1", "1,,2", "1,", "0-7:3/2", "4:1/2", "0-7:0/2")) {
            assertThatThrownBy(() -> CpuList.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid CPU list");
        }
    }
}
