package io.jvirt.bench;

/** The Markdown table lines of the bench reports. */
final class Markdown {
    private Markdown() {
    }

    /** A table's header line and its separator line: {@code | a | b |} and {@code |---|---|}. */
    static void header(StringBuilder sb, String... columns) {
        row(sb, columns);
        sb.append('|').append("---|".repeat(columns.length)).append('\n');
    }

    /** One table row, {@code | a | b |}. */
    static void row(StringBuilder sb, String... cells) {
        sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
}
