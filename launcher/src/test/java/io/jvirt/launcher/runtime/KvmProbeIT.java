package io.jvirt.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvmProbeIT {

    @TempDir
    Path tmp;

    @BeforeAll
    static void qemu() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "QEMU not installed");
        Assumptions.assumeTrue(KvmProbe.kernel().isPresent(), "no /boot/vmlinuz-* to probe with");
    }

    @Test
    void detectionSeesATcgBootGetPastEarlyBoot() {
        // the same boot test under emulation must reach the marker, else a "false" from the KVM probe means nothing
        KvmProbe.Result r = new KvmProbe(tmp, "qemu-system-x86_64", Duration.ofSeconds(60), "tcg").probeNow();
        assertThat(r.works()).as(r.reason()).isTrue();
    }

    @Test
    void probesOnceThenAnswersFromTheCache() {
        KvmProbe probe = new KvmProbe(tmp);
        long t0 = System.nanoTime();
        KvmProbe.Result first = probe.probe();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        System.out.println("KVM probe: " + first + " in " + took.toMillis() + " ms");
        assertThat(took).isLessThan(KvmProbe.DEFAULT_BOUND.multipliedBy(2).plusSeconds(10));
        assertThat(first.cached()).isFalse();
        assertThat(first.key()).contains("|");
        assertThat(tmp.resolve("kvm-probe.json")).isRegularFile();

        KvmProbe.Result second = new KvmProbe(tmp).probe();
        assertThat(second.cached()).isTrue();
        assertThat(second.works()).isEqualTo(first.works());
        assertThat(second.key()).isEqualTo(first.key());

        String expected = System.getenv("JVIRT_EXPECT_KVM"); // "0" on nested-KVM CI machines where guests hang
        if (expected != null) {
            assertThat(first.works()).as(first.reason()).isEqualTo(expected.equals("1"));
        }
        if (!Files.exists(Path.of("/dev/kvm"))) {
            assertThat(first.works()).isFalse();
        }
    }
}
