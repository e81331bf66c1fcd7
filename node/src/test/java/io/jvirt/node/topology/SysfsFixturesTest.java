package io.jvirt.node.topology;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The checked-in fixture trees are exactly what {@link SysfsFixtures} generates. */
class SysfsFixturesTest {

    @Test
    void checkedInTreesMatchTheGenerator(@TempDir Path dir) throws Exception {
        for (SysfsFixtures.Host h : SysfsFixtures.all()) {
            Path fresh = SysfsFixtures.write(h, dir);
            Path checkedIn = SysfsFixtures.resource(h.name());
            List<Path> want = files(fresh);
            assertThat(files(checkedIn)).as(h.name()).isEqualTo(want);
            for (Path f : want) {
                assertThat(Files.readString(checkedIn.resolve(f))).as(h.name() + "/" + f)
                        .isEqualTo(Files.readString(fresh.resolve(f)));
            }
        }
    }

    private static List<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }
}
