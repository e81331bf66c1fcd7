package io.jvirt.placement;

/** Binary quantities as Kubernetes writes them ("2Mi", "1Gi", "4096Ki", "1048576"), parsed and printed. */
public final class Quantities {
    private static final String[] SUFFIXES = {"Ki", "Mi", "Gi", "Ti", "Pi"};

    private Quantities() {
    }

    /** Bytes of a binary quantity, or -1 when {@code q} is not one (decimal suffixes such as "2M" are accepted too). */
    public static long parse(String q) {
        if (q == null || q.isBlank()) {
            return -1;
        }
        String s = q.trim();
        long mult = 1;
        for (int i = 0; i < SUFFIXES.length; i++) {
            if (s.endsWith(SUFFIXES[i])) {
                mult = 1L << (10 * (i + 1));
                s = s.substring(0, s.length() - 2);
                break;
            }
        }
        if (mult == 1 && !s.isEmpty()) {
            char last = s.charAt(s.length() - 1);
            int idx = "kMGTP".indexOf(last);
            if (idx >= 0) {
                mult = (long) Math.pow(1000, idx + 1);
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(s);
            return n < 0 ? -1 : Math.multiplyExact(n, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            return -1;
        }
    }

    /** The shortest exact binary form: 4294967296 → "4Gi", 536870912 → "512Mi", 3000 → "3000". */
    public static String format(long bytes) {
        if (bytes == 0) {
            return "0";
        }
        for (int i = SUFFIXES.length - 1; i >= 0; i--) {
            long unit = 1L << (10 * (i + 1));
            if (bytes % unit == 0) {
                return (bytes / unit) + SUFFIXES[i];
            }
        }
        return Long.toString(bytes);
    }
}
