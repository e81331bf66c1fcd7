package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities ({@code 128Mi}, {@code 1G}, {@code 500m}, {@code 1e3}) as exact decimals. */
final class Quantity {

    private static final Pattern FORMAT = Pattern.compile(
            "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");

    private Quantity() {
    }

    /** The quantity at {@code parent.name}, or null when absent. */
    static BigDecimal read(JsonNode parent, String name, String path) {
        JsonNode node = parent == null ? null : parent.get(name);
        if (!Json.isSet(node)) {
            return null;
        }
        String field = Json.field(path, name);
        if (node.isNumber()) {
            return node.decimalValue();
        }
        if (!node.isTextual()) {
            throw ConversionException.at(field, "expected a quantity such as 128Mi, got " + node);
        }
        return parse(node.asText().trim(), field);
    }

    static BigDecimal parse(String text, String field) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw ConversionException.at(field, "'" + text + "' is not a valid quantity (e.g. 128Mi, 1G, 500m)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String suffix = m.group(2);
        if (suffix == null || suffix.isEmpty()) {
            return number;
        }
        return switch (suffix) {
            case "Ki" -> number.multiply(BigDecimal.valueOf(1L << 10));
            case "Mi" -> number.multiply(BigDecimal.valueOf(1L << 20));
            case "Gi" -> number.multiply(BigDecimal.valueOf(1L << 30));
            case "Ti" -> number.multiply(BigDecimal.valueOf(1L << 40));
            case "Pi" -> number.multiply(BigDecimal.valueOf(1L << 50));
            case "Ei" -> number.multiply(BigDecimal.valueOf(1L << 60));
            case "n" -> number.scaleByPowerOfTen(-9);
            case "u" -> number.scaleByPowerOfTen(-6);
            case "m" -> number.scaleByPowerOfTen(-3);
            case "k" -> number.scaleByPowerOfTen(3);
            case "M" -> number.scaleByPowerOfTen(6);
            case "G" -> number.scaleByPowerOfTen(9);
            case "T" -> number.scaleByPowerOfTen(12);
            case "P" -> number.scaleByPowerOfTen(15);
            case "E" -> number.scaleByPowerOfTen(18);
            default -> number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1).replace("+", "")));
        };
    }

    /** Rounds up to a whole number (as Kubernetes does for byte and CPU-count values); must fit a long. */
    static long ceilToLong(BigDecimal value, String field) {
        BigDecimal rounded = value.setScale(0, RoundingMode.CEILING);
        try {
            return rounded.longValueExact();
        } catch (ArithmeticException e) {
            throw ConversionException.at(field, "quantity " + value.toPlainString() + " is too large");
        }
    }
}
