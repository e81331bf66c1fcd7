package io.jvirt.api.kubevirt;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Objects;
import java.util.Optional;

/**
 * A Kubernetes resource quantity ({@code k8s.io/apimachinery/pkg/api/resource.Quantity}): a signed decimal number
 * with an optional suffix, {@code 128Mi}, {@code 1G}, {@code 0.5}, {@code 500m}, {@code 1e3}.
 *
 * <p>Semantics follow Kubernetes: the value is exact (kept as a {@link BigDecimal}) except that anything finer than
 * one nano unit is rounded up when parsing; {@link #value()} and {@link #milliValue()} round up away from zero;
 * equality and ordering compare the amounts, not the spelling; {@link #toString()} is the canonical form Kubernetes
 * prints ({@code 1024Mi} → {@code 1Gi}, {@code 0.5} → {@code 500m}, {@code 1000} → {@code 1k},
 * {@code 1e3} stays {@code 1e3}). The format (binary SI, decimal SI, decimal exponent) comes from the suffix, and
 * arithmetic keeps the left operand's format, as in Go.
 */
public final class Quantity implements Comparable<Quantity> {

    /** The suffix family of a quantity; it decides how {@link #toString()} spells it. */
    public enum Format {
        /** {@code Ki Mi Gi Ti Pi Ei}: powers of 1024. */
        BINARY_SI,
        /** {@code n u m "" k M G T P E}: powers of 1000. */
        DECIMAL_SI,
        /** {@code e<n>} / {@code E<n>}: powers of ten. */
        DECIMAL_EXPONENT
    }

    /** Kubernetes' error text for a malformed quantity ({@code resource.ErrFormatWrong}). */
    public static final String FORMAT_ERROR =
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
    private static final BigInteger KI = BigInteger.valueOf(1024);
    private static final String[] BINARY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    /** Decimal SI suffixes from 10^-9 to 10^18, index = exponent/3 + 3. */
    private static final String[] DECIMAL_SUFFIXES = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};

    public static final Quantity ZERO = new Quantity(BigDecimal.ZERO, Format.DECIMAL_SI);

    private final BigDecimal amount;
    private final Format format;

    private Quantity(BigDecimal amount, Format format) {
        this.amount = Objects.requireNonNull(amount);
        this.format = Objects.requireNonNull(format);
    }

    // ----------------------------------------------------------------------------------------------- factories

    /**
     * Parses a quantity string.
     *
     * @throws IllegalArgumentException with {@link #FORMAT_ERROR} as message when {@code s} is not a quantity
     */
    public static Quantity parse(String s) {
        Quantity q = parseOrNull(s);
        if (q == null) {
            throw new IllegalArgumentException(FORMAT_ERROR);
        }
        return q;
    }

    /** The quantity, or empty when {@code s} is null or malformed. */
    public static Optional<Quantity> tryParse(String s) {
        return Optional.ofNullable(parseOrNull(s));
    }

    /**
     * A quantity from a JSON value: a string ({@code "128Mi"}) or a number ({@code 2}, {@code 0.5}) like
     * Kubernetes' {@code UnmarshalJSON}. Empty for missing, null, malformed or other JSON types.
     */
    public static Optional<Quantity> of(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return Optional.empty();
        }
        if (node.isNumber()) {
            return tryParse(node.decimalValue().toPlainString());
        }
        if (node.isTextual()) {
            return tryParse(node.textValue());
        }
        return Optional.empty();
    }

    /** {@code bytes} as a binary-SI quantity ({@code 1073741824} prints as {@code 1Gi}). */
    public static Quantity ofBytes(long bytes) {
        return new Quantity(BigDecimal.valueOf(bytes), Format.BINARY_SI);
    }

    /** A decimal-SI quantity of {@code millis}/1000 ({@code 1500} prints as {@code 1500m}). */
    public static Quantity ofMillis(long millis) {
        return new Quantity(BigDecimal.valueOf(millis, 3), Format.DECIMAL_SI);
    }

    /** A plain decimal-SI integer quantity ({@code 2}, {@code 1k}). */
    public static Quantity ofUnits(long units) {
        return new Quantity(BigDecimal.valueOf(units), Format.DECIMAL_SI);
    }

    public static Quantity of(BigDecimal amount, Format format) {
        return new Quantity(roundToNano(amount), format);
    }

    private static Quantity parseOrNull(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        int pos = 0;
        int end = s.length();
        boolean negative = false;
        char c0 = s.charAt(0);
        if (c0 == '+' || c0 == '-') {
            negative = c0 == '-';
            pos++;
        }
        int numStart = pos;
        boolean digits = false;
        while (pos < end && isDigit(s.charAt(pos))) {
            pos++;
            digits = true;
        }
        if (pos < end && s.charAt(pos) == '.') {
            pos++;
            while (pos < end && isDigit(s.charAt(pos))) {
                pos++;
                digits = true;
            }
        }
        if (!digits) {
            return null;
        }
        String number = s.substring(numStart, pos);
        String suffix = s.substring(pos);
        BigDecimal mantissa = new BigDecimal(number.startsWith(".") ? "0" + number
                : number.endsWith(".") ? number.substring(0, number.length() - 1) : number);
        if (negative) {
            mantissa = mantissa.negate();
        }
        Format format;
        BigDecimal amount;
        switch (suffix) {
            case "" -> {
                format = Format.DECIMAL_SI;
                amount = mantissa;
            }
            case "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" -> {
                format = Format.BINARY_SI;
                int power = indexOf(BINARY_SUFFIXES, suffix);
                amount = mantissa.multiply(new BigDecimal(KI.pow(power)));
            }
            case "n", "u", "m", "k", "M", "G", "T", "P", "E" -> {
                format = Format.DECIMAL_SI;
                int exp = (indexOf(DECIMAL_SUFFIXES, suffix) - 3) * 3;
                amount = mantissa.scaleByPowerOfTen(exp);
            }
            default -> {
                // decimal exponent: e or E, then an optional sign and digits
                if (suffix.length() < 2 || (suffix.charAt(0) != 'e' && suffix.charAt(0) != 'E')) {
                    return null;
                }
                String exp = suffix.substring(1);
                int i = 0;
                if (exp.charAt(0) == '+' || exp.charAt(0) == '-') {
                    i = 1;
                }
                if (i >= exp.length()) {
                    return null;
                }
                for (int j = i; j < exp.length(); j++) {
                    if (!isDigit(exp.charAt(j))) {
                        return null;
                    }
                }
                int e;
                try {
                    e = Integer.parseInt(exp);
                } catch (NumberFormatException ex) {
                    return null;
                }
                if (Math.abs(e) > 1000) {
                    return null;
                }
                format = Format.DECIMAL_EXPONENT;
                amount = mantissa.scaleByPowerOfTen(e);
            }
        }
        return new Quantity(roundToNano(amount), format);
    }

    private static BigDecimal roundToNano(BigDecimal amount) {
        BigDecimal r = amount.scale() > 9 ? amount.setScale(9, RoundingMode.UP) : amount;
        return r.signum() == 0 ? BigDecimal.ZERO : r.stripTrailingZeros();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int indexOf(String[] a, String s) {
        for (int i = 0; i < a.length; i++) {
            if (a[i].equals(s)) {
                return i;
            }
        }
        throw new IllegalStateException(s);
    }

    // ----------------------------------------------------------------------------------------------- accessors

    /** The exact amount (base units: bytes, cores). */
    public BigDecimal amount() {
        return amount;
    }

    public Format format() {
        return format;
    }

    /** The value rounded up away from zero to an integer, like Go's {@code Value()}; saturates at long bounds. */
    public long value() {
        return saturate(amount.setScale(0, RoundingMode.UP));
    }

    /** Bytes, for memory quantities: {@link #value()}. */
    public long bytes() {
        return value();
    }

    /** The value in thousandths rounded up away from zero, like Go's {@code MilliValue()}. */
    public long milliValue() {
        return saturate(amount.multiply(THOUSAND).setScale(0, RoundingMode.UP));
    }

    /** Like Go's {@code ScaledValue(scale)}: the value in units of 10^scale, rounded up away from zero. */
    public long scaledValue(int scale) {
        return saturate(amount.scaleByPowerOfTen(-scale).setScale(0, RoundingMode.UP));
    }

    private static long saturate(BigDecimal integral) {
        BigInteger i = integral.toBigInteger();
        if (i.bitLength() > 63) {
            return i.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return i.longValue();
    }

    public boolean isZero() {
        return amount.signum() == 0;
    }

    public int signum() {
        return amount.signum();
    }

    /** Whether the amount is a whole number. */
    public boolean isInteger() {
        return amount.signum() == 0 || amount.stripTrailingZeros().scale() <= 0;
    }

    // ----------------------------------------------------------------------------------------------- arithmetic

    public Quantity plus(Quantity other) {
        return new Quantity(roundToNano(amount.add(other.amount)), format);
    }

    public Quantity minus(Quantity other) {
        return new Quantity(roundToNano(amount.subtract(other.amount)), format);
    }

    public Quantity times(long factor) {
        return new Quantity(roundToNano(amount.multiply(BigDecimal.valueOf(factor))), format);
    }

    public Quantity withFormat(Format f) {
        return new Quantity(amount, f);
    }

    public static Quantity max(Quantity a, Quantity b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    public static Quantity min(Quantity a, Quantity b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public int compareTo(Quantity o) {
        return amount.compareTo(o.amount);
    }

    /** Equal amounts are equal, whatever their spelling ({@code 1Gi} equals {@code 1024Mi}). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Quantity q && amount.compareTo(q.amount) == 0;
    }

    @Override
    public int hashCode() {
        return amount.signum() == 0 ? 0 : amount.stripTrailingZeros().hashCode();
    }

    // ----------------------------------------------------------------------------------------------- formatting

    /** The canonical Kubernetes spelling. */
    @Override
    public String toString() {
        if (amount.signum() == 0) {
            return "0";
        }
        Format f = format;
        if (f == Format.BINARY_SI) {
            // Kubernetes prints small or fractional binary quantities in decimal SI to avoid rounding
            if (amount.abs().compareTo(BigDecimal.valueOf(1024)) < 0 || !isInteger()) {
                f = Format.DECIMAL_SI;
            } else {
                BigInteger n = amount.toBigIntegerExact();
                int power = 0;
                while (power < BINARY_SUFFIXES.length - 1) {
                    BigInteger[] qr = n.divideAndRemainder(KI);
                    if (qr[1].signum() != 0) {
                        break;
                    }
                    n = qr[0];
                    power++;
                }
                return n + BINARY_SUFFIXES[power];
            }
        }
        // Decimal: mantissa an integer, exponent a multiple of 3 as large as possible.
        BigDecimal stripped = amount.stripTrailingZeros();
        int exponent = -stripped.scale(); // amount = unscaled * 10^exponent
        BigInteger unscaled = stripped.unscaledValue();
        // bring the exponent down to a multiple of three
        int e3 = Math.floorDiv(exponent, 3) * 3;
        unscaled = unscaled.multiply(BigInteger.TEN.pow(exponent - e3));
        if (f == Format.DECIMAL_SI) {
            if (e3 > 18) {
                unscaled = unscaled.multiply(BigInteger.TEN.pow(e3 - 18));
                e3 = 18;
            }
            return unscaled + DECIMAL_SUFFIXES[e3 / 3 + 3];
        }
        return e3 == 0 ? unscaled.toString() : unscaled + "e" + e3;
    }
}
