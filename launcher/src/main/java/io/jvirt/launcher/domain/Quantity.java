package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Kubernetes resource quantities ({@code 128Mi}, {@code 1G}, {@code 500m}, {@code 1e3}) as exact decimals. */
final class Quantity {


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

    /** Parses with the platform's Kubernetes quantity parser; a bad value names the VMI field. */
    static BigDecimal parse(String text, String field) {
        return io.jvirt.api.kubevirt.Quantity.tryParse(text).map(io.jvirt.api.kubevirt.Quantity::amount)
                .orElseThrow(() -> ConversionException.at(field, "'" + text
                        + "' is not a valid quantity (e.g. 128Mi, 1G, 500m)"));
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
