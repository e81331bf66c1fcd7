package io.jvirt.api.kubevirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

class QuantityTest {

    @ParameterizedTest(name = "{0} -> {1} bytes / {2} millis / {3}")
    @CsvSource({
            "128Mi, 134217728, 134217728000, 128Mi",
            "1Gi, 1073741824, 1073741824000, 1Gi",
            "1024Mi, 1073741824, 1073741824000, 1Gi",
            "1.5Gi, 1610612736, 1610612736000, 1536Mi",
            "1G, 1000000000, 1000000000000, 1G",
            "1000M, 1000000000, 1000000000000, 1G",
            "0.5, 1, 500, 500m",
            "500m, 1, 500, 500m",
            "1500m, 2, 1500, 1500m",
            "1.5, 2, 1500, 1500m",
            "2, 2, 2000, 2",
            "1000, 1000, 1000000, 1k",
            "1500, 1500, 1500000, 1500",
            "1e3, 1000, 1000000, 1e3",
            "1E3, 1000, 1000000, 1e3",
            "1.5e3, 1500, 1500000, 1500",
            "100k, 100000, 100000000, 100k",
            "1Ki, 1024, 1024000, 1Ki",
            "512, 512, 512000, 512",
            "0.5Ki, 512, 512000, 512",
            "1n, 1, 1, 1n",
            "1u, 1, 1, 1u",
            "+5, 5, 5000, 5",
            "-1Gi, -1073741824, -1073741824000, -1Gi",
            "-0.5, -1, -500, -500m",
            ".5, 1, 500, 500m",
            "5., 5, 5000, 5",
            "0, 0, 0, 0",
            "0Mi, 0, 0, 0",
            "1E, 1000000000000000000, 9223372036854775807, 1E",
            "1Ei, 1152921504606846976, 9223372036854775807, 1Ei",
    })
    void parsesLikeKubernetes(String in, long value, long milli, String canonical) {
        Quantity q = Quantity.parse(in);
        assertThat(q.value()).isEqualTo(value);
        assertThat(q.milliValue()).isEqualTo(milli);
        assertThat(q.toString()).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "1.2.3", "Mi", "1mi", "1KB", "1 Gi", " 1", "1e", "1e+", "1ex", "--1", "1Gii",
            ".", "1.5.5Mi", "0x10"})
    void rejectsMalformed(String in) {
        assertThat(Quantity.tryParse(in)).isEmpty();
        assertThatThrownBy(() -> Quantity.parse(in)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(Quantity.FORMAT_ERROR);
    }

    @Test
    void subNanoPrecisionRoundsUp() {
        assertThat(Quantity.parse("0.0000000001").toString()).isEqualTo("1n");
        assertThat(Quantity.parse("1.0000000001").amount()).isEqualByComparingTo("1.000000001");
    }

    @Test
    void jsonNumbersAndStrings() {
        JsonNodeFactory f = JsonNodeFactory.withExactBigDecimals(true);
        assertThat(Quantity.of(f.numberNode(2))).contains(Quantity.parse("2"));
        assertThat(Quantity.of(f.numberNode(new BigDecimal("0.5")))).contains(Quantity.parse("500m"));
        assertThat(Quantity.of(f.textNode("1Gi"))).contains(Quantity.parse("1024Mi"));
        assertThat(Quantity.of(f.textNode("nope"))).isEmpty();
        assertThat(Quantity.of(f.booleanNode(true))).isEmpty();
        assertThat(Quantity.of(f.nullNode())).isEmpty();
        assertThat(Quantity.of((com.fasterxml.jackson.databind.JsonNode) null)).isEmpty();
    }

    @Test
    void comparesAmountsNotSpelling() {
        assertThat(Quantity.parse("1Gi")).isEqualTo(Quantity.parse("1024Mi")).hasSameHashCodeAs(Quantity.parse("1024Mi"));
        assertThat(Quantity.parse("1G")).isLessThan(Quantity.parse("1Gi"));
        assertThat(Quantity.parse("500m")).isEqualByComparingTo(Quantity.parse("0.5"));
        assertThat(Quantity.parse("1e3")).isEqualTo(Quantity.parse("1k"));
    }

    @Test
    void arithmeticKeepsTheLeftFormat() {
        assertThat(Quantity.parse("1Gi").plus(Quantity.parse("100Mi")).toString()).isEqualTo("1124Mi");
        assertThat(Quantity.parse("1G").plus(Quantity.parse("1Mi")).toString()).isEqualTo("1001048576");
        assertThat(Quantity.parse("1").minus(Quantity.parse("300m")).toString()).isEqualTo("700m");
        assertThat(Quantity.ofBytes(1 << 30).times(4).toString()).isEqualTo("4Gi");
        assertThat(Quantity.ofMillis(1500).toString()).isEqualTo("1500m");
        assertThat(Quantity.ofUnits(3000).toString()).isEqualTo("3k");
    }

    // ------------------------------------------------------------------------------------ property-style checks

    private static final String[] SUFFIXES = {"", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "e-3", "E6",
            "u", "n"};

    private static List<String> randomQuantities(long seed, int n) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            if (r.nextInt(5) == 0) {
                sb.append('-');
            }
            sb.append(r.nextInt(100000));
            if (r.nextBoolean()) {
                sb.append('.').append(r.nextInt(1000));
            }
            sb.append(SUFFIXES[r.nextInt(SUFFIXES.length)]);
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void canonicalFormRoundTripsAndIsStable() {
        for (String s : randomQuantities(42, 5000)) {
            Quantity q = Quantity.parse(s);
            String canonical = q.toString();
            Quantity again = Quantity.parse(canonical);
            assertThat(again).as(s + " -> " + canonical).isEqualTo(q);
            assertThat(again.toString()).as("canonical of canonical of " + s).isEqualTo(canonical);
            if (canonical.endsWith("i")) {
                assertThat(again.format()).isEqualTo(Quantity.Format.BINARY_SI);
            }
        }
    }

    @Test
    void valueRoundsUpAwayFromZeroAndMilliValueIsConsistent() {
        for (String s : randomQuantities(7, 5000)) {
            Quantity q = Quantity.parse(s);
            BigDecimal a = q.amount();
            long v = q.value();
            // |v| >= |a| and |v| - |a| < 1
            assertThat(BigDecimal.valueOf(Math.abs(v)).compareTo(a.abs())).as(s).isGreaterThanOrEqualTo(0);
            assertThat(BigDecimal.valueOf(Math.abs(v)).subtract(a.abs()).compareTo(BigDecimal.ONE)).as(s).isLessThan(0);
            long m = q.milliValue();
            if (Math.abs(v) < Long.MAX_VALUE / 1000) {
                assertThat(Math.abs(v * 1000 - m)).as(s).isLessThan(1000);
            } else {
                assertThat(m).as("milli saturates: " + s).isEqualTo(v > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
            }
            assertThat(q.isInteger()).isEqualTo(a.stripTrailingZeros().scale() <= 0);
        }
    }

    @Test
    void orderingAgreesWithAmountsAndArithmetic() {
        List<String> qs = randomQuantities(99, 400);
        for (int i = 0; i + 1 < qs.size(); i += 2) {
            Quantity a = Quantity.parse(qs.get(i));
            Quantity b = Quantity.parse(qs.get(i + 1));
            assertThat(Integer.signum(a.compareTo(b))).isEqualTo(a.amount().compareTo(b.amount()));
            assertThat(Integer.signum(a.compareTo(b))).isEqualTo(-Integer.signum(b.compareTo(a)));
            assertThat(a.plus(b).minus(b)).isEqualTo(a);
            assertThat(a.plus(b)).isEqualTo(b.plus(a));
            assertThat(a.equals(b)).isEqualTo(a.compareTo(b) == 0);
        }
    }

    @Test
    void binaryQuantitiesUseTheLargestExactSuffix() {
        Random r = new Random(3);
        String[] suffix = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
        for (int i = 0; i < 2000; i++) {
            long mantissa = 1 + r.nextInt(4096);
            int power = r.nextInt(suffix.length);
            Quantity q = Quantity.parse(mantissa + suffix[power]);
            String s = q.toString();
            // the printed mantissa is not a multiple of 1024 (else a larger suffix would have been chosen)
            if (s.endsWith("i")) {
                long printed = Long.parseLong(s.substring(0, s.length() - 2));
                assertThat(printed % 1024).as(s).isNotZero();
            }
            assertThat(Quantity.parse(s)).isEqualTo(q);
        }
    }
}
