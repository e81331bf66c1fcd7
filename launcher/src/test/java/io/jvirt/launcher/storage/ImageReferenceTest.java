package io.jvirt.launcher.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

    private static final String D = "sha256:" + "ab".repeat(32);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            cirros | docker.io | library/cirros | latest | -
            cirros:0.6 | docker.io | library/cirros | 0.6 | -
            kubevirt/cirros-container-disk-demo | docker.io | kubevirt/cirros-container-disk-demo | latest | -
            docker.io/cirros | docker.io | library/cirros | latest | -
            index.docker.io/library/cirros:1 | docker.io | library/cirros | 1 | -
            quay.io/kubevirt/cirros-container-disk-demo | quay.io | kubevirt/cirros-container-disk-demo | latest | -
            quay.io/kubevirt/fedora:v1.6.0 | quay.io | kubevirt/fedora | v1.6.0 | -
            localhost/x | localhost | x | latest | -
            localhost:5000/jvirt/test-guest:v1 | localhost:5000 | jvirt/test-guest | v1 | -
            127.0.0.1:5000/jvirt/test-guest | 127.0.0.1:5000 | jvirt/test-guest | latest | -
            [::1]:5000/a/b:c | [::1]:5000 | a/b | c | -
            registry.example/a/b/c__d-e.f:T_1.2-x | registry.example | a/b/c__d-e.f | T_1.2-x | -
            """)
    void parsesAndNormalizes(String in, String registry, String repository, String tag, String digest) {
        ImageReference r = ImageReference.parse(in);
        assertThat(r.registry()).isEqualTo(registry);
        assertThat(r.repository()).isEqualTo(repository);
        assertThat(r.tag()).isEqualTo(tag);
        assertThat(r.digest()).isEqualTo(digest);
    }

    @Test
    void digests() {
        ImageReference r = ImageReference.parse("quay.io/a/b@" + D);
        assertThat(r.tag()).isNull();
        assertThat(r.digest()).isEqualTo(D);
        assertThat(r.manifestReference()).isEqualTo(D);
        assertThat(r).hasToString("quay.io/a/b@" + D);

        ImageReference both = ImageReference.parse("localhost:5000/a:v1@" + D);
        assertThat(both.tag()).isEqualTo("v1");
        assertThat(both.manifestReference()).as("the digest decides").isEqualTo(D);
        assertThat(both).hasToString("localhost:5000/a:v1@" + D);
    }

    @Test
    void apiHostsAndLoopback() {
        assertThat(ImageReference.parse("cirros").apiHost()).isEqualTo("registry-1.docker.io");
        assertThat(ImageReference.parse("cirros")).hasToString("docker.io/library/cirros:latest");
        assertThat(ImageReference.parse("quay.io:443/a").apiHost()).isEqualTo("quay.io:443");
        assertThat(ImageReference.parse("quay.io:443/a").host()).isEqualTo("quay.io");
        assertThat(ImageReference.parse("[::1]:5000/a").host()).isEqualTo("[::1]");
        assertThat(ImageReference.parse("localhost:5000/a").loopback()).isTrue();
        assertThat(ImageReference.parse("127.0.0.1:5000/a").loopback()).isTrue();
        assertThat(ImageReference.parse("127.1.2.3/a").loopback()).isTrue();
        assertThat(ImageReference.parse("[::1]:5000/a").loopback()).isTrue();
        assertThat(ImageReference.parse("localhost.example.com/a").loopback()).isFalse();
        assertThat(ImageReference.parse("quay.io/a").loopback()).isFalse();
        assertThat(ImageReference.parse("cirros").loopback()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "quay.io/", "quay.io/A/b", "a//b", "a/b:", "a/b:-x", "a/b@sha256:xyz",
            "a/b@md5:00", "a b", "bad_host:5000:1/x"})
    void rejectsInvalid(String in) {
        assertThatThrownBy(() -> ImageReference.parse(in)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsOverlongTags() {
        assertThatThrownBy(() -> ImageReference.parse("quay.io/a/b:t" + "x".repeat(128)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid tag");
    }

    @Test
    void defaultPullPolicyAsKubernetes() {
        assertThat(PullPolicy.of(null, "cirros")).isEqualTo(PullPolicy.ALWAYS);
        assertThat(PullPolicy.of("", "quay.io/a/b:latest")).isEqualTo(PullPolicy.ALWAYS);
        assertThat(PullPolicy.of(null, "localhost:5000/a")).as("KubeVirt's rule: any ':' but ':latest'")
                .isEqualTo(PullPolicy.IF_NOT_PRESENT);
        assertThat(PullPolicy.of(null, "localhost:5000/a:v1")).isEqualTo(PullPolicy.IF_NOT_PRESENT);
        assertThat(PullPolicy.of(null, "a@" + D)).isEqualTo(PullPolicy.IF_NOT_PRESENT);
        assertThat(PullPolicy.of("Never", "cirros")).isEqualTo(PullPolicy.NEVER);
        assertThat(PullPolicy.of("IfNotPresent", "cirros")).isEqualTo(PullPolicy.IF_NOT_PRESENT);
        assertThat(PullPolicy.of("Always", "a:v1")).isEqualTo(PullPolicy.ALWAYS);
        assertThatThrownBy(() -> PullPolicy.of("always", "a")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid imagePullPolicy 'always'");
    }
}
