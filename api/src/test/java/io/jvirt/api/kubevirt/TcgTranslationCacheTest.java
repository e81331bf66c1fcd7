package io.jvirt.api.kubevirt;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TcgTranslationCacheTest {
    private static final long MI = TcgTranslationCache.MI;

    @Test
    void anEighthOfGuestMemoryWithinBounds() {
        assertThat(TcgTranslationCache.mebibytes(64 * MI, null)).isEqualTo(16);
        assertThat(TcgTranslationCache.mebibytes(128 * MI, null)).isEqualTo(16);
        assertThat(TcgTranslationCache.mebibytes(200 * MI, null)).isEqualTo(25);
        assertThat(TcgTranslationCache.mebibytes(1024 * MI, null)).isEqualTo(128);
        assertThat(TcgTranslationCache.mebibytes(2048 * MI, null)).isEqualTo(256);
        assertThat(TcgTranslationCache.mebibytes(64L * 1024 * MI, null)).isEqualTo(256);
        assertThat(TcgTranslationCache.mebibytes(0, null)).isEqualTo(16);
    }

    @Test
    void annotationOverridesRoundedDownToWholeMebibytes() {
        assertThat(TcgTranslationCache.mebibytes(128 * MI, "64Mi")).isEqualTo(64);
        assertThat(TcgTranslationCache.mebibytes(128 * MI, "1Gi")).isEqualTo(1024);
        assertThat(TcgTranslationCache.bytes(128 * MI, "100M")).isEqualTo(95 * MI);
    }

    @Test
    void badAnnotationsNameTheAnnotationAndTheRange() {
        assertThatThrownBy(() -> TcgTranslationCache.bytes(0, "big"))
                .hasMessageContaining("metadata.annotations[jvirt.io/tcg-translation-cache]")
                .hasMessageContaining("use a size such as 64Mi");
        assertThatThrownBy(() -> TcgTranslationCache.bytes(0, "1Mi")).hasMessageContaining("use 4Mi to 1Gi");
        assertThatThrownBy(() -> TcgTranslationCache.bytes(0, "2Gi")).hasMessageContaining("use 4Mi to 1Gi");
    }
}
