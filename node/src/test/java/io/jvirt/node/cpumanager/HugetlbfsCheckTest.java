package io.jvirt.node.cpumanager;

import io.jvirt.node.topology.HugepageCount;
import io.jvirt.node.topology.SysfsFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class HugetlbfsCheckTest {

    private static HugetlbfsCheck check(Path root) {
        return HugetlbfsCheck.read(root.resolve("proc"), root.resolve("sys"));
    }

    @Test
    void twoSizesMounted() {
        HugetlbfsCheck c = check(SysfsFixtures.resource("four-node"));
        assertThat(c.defaultSize()).isEqualTo("2Mi");
        assertThat(c.totalPages()).isEqualTo(2048);
        assertThat(c.freePages()).isEqualTo(1848);
        assertThat(c.reservedPages()).isZero();
        assertThat(c.mountPoint("2Mi")).contains(Path.of("/dev/hugepages"));
        assertThat(c.mountPoint("1Gi")).contains(Path.of("/dev/hugepages1G"));
        assertThat(c.pages("1Gi")).isEqualTo(new HugepageCount(8, 8));
        assertThat(c.usable("2Mi")).isTrue();
        assertThat(c.problems()).isEmpty();
    }

    @Test
    void defaultOneGigPagesMountedWithOldKernelSyntax() {
        HugetlbfsCheck c = check(SysfsFixtures.resource("eight-node"));
        assertThat(c.defaultSize()).isEqualTo("1Gi");
        assertThat(c.totalPages()).isEqualTo(64);
        assertThat(c.freePages()).isEqualTo(62);
        assertThat(c.mounted("1Gi")).isTrue();
        assertThat(c.mounted("2Mi")).isFalse();
        assertThat(c.usable("2Mi")).isFalse();
        assertThat(c.problems()).isEmpty(); // no 2Mi pages reserved, so no 2Mi mount needed
    }

    @Test
    void reservedPagesWithoutAMountAreAProblem(@TempDir Path dir) throws Exception {
        Path root = SysfsFixtures.write(SysfsFixtures.seed002(), dir);
        Files.writeString(root.resolve("proc/mounts"), "hugetlbfs /mnt/huge\\040pages hugetlbfs rw,pagesize=1G 0 0\n");
        HugetlbfsCheck c = check(root);
        assertThat(c.mounted("2Mi")).isFalse();
        assertThat(c.mountPoint("1Gi")).contains(Path.of("/mnt/huge pages"));
        assertThat(c.problems()).singleElement().asString().contains("2048 hugepages-2Mi are reserved but no hugetlbfs");
    }

    @Test
    void mountPageSizes() {
        assertThat(HugetlbfsCheck.mountPageSize("2M")).isEqualTo("2Mi");
        assertThat(HugetlbfsCheck.mountPageSize("1G")).isEqualTo("1Gi");
        assertThat(HugetlbfsCheck.mountPageSize("1024M")).isEqualTo("1Gi");
        assertThat(HugetlbfsCheck.mountPageSize("64K")).isEqualTo("64Ki");
        assertThat(HugetlbfsCheck.mountPageSize("2097152")).isEqualTo("2Mi");
    }

    @Test
    void readsThisMachine() {
        HugetlbfsCheck c = HugetlbfsCheck.read();
        assertThat(c.totalPages()).isGreaterThanOrEqualTo(c.freePages());
        assertThat(c.bySize()).allSatisfy((size, n) -> assertThat(n.total()).isGreaterThanOrEqualTo(n.free()));
    }
}
