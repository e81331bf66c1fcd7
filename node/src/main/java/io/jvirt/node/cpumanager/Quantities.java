package io.jvirt.node.cpumanager;

import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Kubernetes resource quantities as the kubelet writes them into Node status and {@code kubectl describe} prints
 * them: byte counts in the largest binary suffix that is exact ({@code 8392Mi}, {@code 56958528Ki}, {@code 0}),
 * other amounts in the largest decimal suffix that is exact ({@code 6815m}, {@code 19}, {@code 1k}, {@code 50M}).
 */
public final class Quantities {
    private static final String[] BINARY = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final String[] DECIMAL = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};

    private Quantities() {
    }

    /** Parses a quantity ("100m", "4Gi", "1k", "5649958657") to its exact value. */
    public static BigDecimal parse(String q) {
        try {
            return new Quantity(q.strip()).getNumericalAmount();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a quantity: \"" + q + "\"");
        }
    }

    /** Bytes with a binary suffix when one is exact: 8799649792 → {@code 8392Mi}; 1000 → {@code 1000}. */
    public static String binary(long bytes) {
        if (bytes == 0) {
            return "0";
        }
        long v = bytes;
        int u = 0;
        while (u < BINARY.length - 1 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + BINARY[u];
    }

    /** The largest exact decimal suffix, down to nano: 6.815 → {@code 6815m}, 1000 → {@code 1k}. */
    public static String decimal(BigDecimal value) {
        if (value.signum() == 0) {
            return "0";
        }
        BigDecimal nanos = value.movePointRight(9).setScale(0, java.math.RoundingMode.CEILING);
        BigInteger m = nanos.toBigIntegerExact();
        int e = 0;
        while (e < DECIMAL.length - 1 && m.mod(BigInteger.valueOf(1000)).signum() == 0) {
            m = m.divide(BigInteger.valueOf(1000));
            e++;
        }
        return m + DECIMAL[e];
    }

    /** Memory-like amounts: binary when integral and a multiple of 1024, otherwise {@link #decimal}. */
    public static String bytes(BigDecimal value) {
        if (value.signum() > 0 && value.stripTrailingZeros().scale() <= 0
                && value.toBigInteger().mod(BigInteger.valueOf(1024)).signum() == 0
                && value.toBigInteger().bitLength() < 63) {
            return binary(value.longValueExact());
        }
        return decimal(value);
    }
}
