package io.jvirt.node.sync;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class StartBackoffTest {
    private static final Instant T0 = Instant.parse("2026-11-23T00:00:00Z");

    @Test
    void doublesFromTenSecondsToFiveMinutes() {
        assertThat(StartBackoff.delay(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(StartBackoff.delay(2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(StartBackoff.delay(5)).isEqualTo(Duration.ofSeconds(160));
        assertThat(StartBackoff.delay(6)).isEqualTo(Duration.ofMinutes(5));
        assertThat(StartBackoff.delay(100)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void waitsUntilTheRetryTimeAndCountsFailuresInARow() {
        StartBackoff b = new StartBackoff();
        assertThat(b.waiting("u", T0)).isEmpty();
        assertThat(b.failed("u", "ErrImagePull", "image x: registry down", T0)).isEqualTo(Duration.ofSeconds(10));
        assertThat(b.waiting("u", T0.plusSeconds(9))).isPresent();
        assertThat(b.waiting("u", T0.plusSeconds(10))).isEmpty();
        assertThat(b.failed("u", "ErrImagePull", "image x: registry down", T0.plusSeconds(10)))
                .isEqualTo(Duration.ofSeconds(20));
        assertThat(b.waiting("other", T0.plusSeconds(11))).isEmpty();
        b.forget("u");
        assertThat(b.failed("u", "ErrImagePull", "again", T0)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void pullFailuresReadAsImagePullBackOffWhileWaitingOthersKeepTheirReason() {
        StartBackoff b = new StartBackoff();
        b.failed("u", "ErrImagePull", "image x: manifest unknown", T0);
        assertThat(b.waiting("u", T0).orElseThrow().waitingCondition())
                .containsExactly("ImagePullBackOff", "Back-off pulling image: image x: manifest unknown");
        b.failed("v", "FailedPrepareDisks", "no space", T0);
        assertThat(b.waiting("v", T0).orElseThrow().waitingCondition())
                .containsExactly("FailedPrepareDisks", "no space");
    }
}
