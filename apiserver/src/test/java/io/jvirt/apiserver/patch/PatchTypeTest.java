package io.jvirt.apiserver.patch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class PatchTypeTest {

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            application/json-patch+json                           | JSON_PATCH
            application/merge-patch+json                          | MERGE_PATCH
            application/strategic-merge-patch+json                | STRATEGIC_MERGE_PATCH
            application/apply-patch+yaml                          | APPLY_PATCH
            application/merge-patch+json; charset=utf-8           | MERGE_PATCH
            ' Application/Strategic-Merge-Patch+JSON ;charset=UTF-8' | STRATEGIC_MERGE_PATCH
            application/json                                      |
            application/yaml                                      |
            text/plain                                            |
            ''                                                    |
            """)
    void fromContentType(String header, PatchType expected) {
        assertThat(PatchType.fromContentType(header)).isEqualTo(expected);
    }

    @Test
    void nullAndRoundTrip() {
        assertThat(PatchType.fromContentType(null)).isNull();
        for (PatchType type : PatchType.values()) {
            assertThat(PatchType.fromContentType(type.contentType())).isEqualTo(type);
        }
    }
}
