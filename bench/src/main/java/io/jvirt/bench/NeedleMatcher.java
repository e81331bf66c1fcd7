package io.jvirt.bench;

import java.nio.charset.StandardCharsets;

/** Finds a text in a byte stream fed in arbitrary chunks; keeps the last 2 KiB for error messages. */
final class NeedleMatcher {
    /** What the test guest prints when it is up. */
    static final String LOGIN = "jvirt-guest login:";

    private final byte[] needle;
    private final StringBuilder recent = new StringBuilder();
    private int matched;

    NeedleMatcher(String needle) {
        this.needle = needle.getBytes(StandardCharsets.US_ASCII);
    }

    /** A matcher for the test guest's login prompt. */
    static NeedleMatcher login() {
        return new NeedleMatcher(LOGIN);
    }

    synchronized boolean feed(byte[] b, int len) {
        boolean hit = false;
        for (int i = 0; i < len; i++) {
            byte c = b[i];
            recent.append((char) (c & 0xff));
            if (c == needle[matched]) {
                matched++;
            } else {
                matched = c == needle[0] ? 1 : 0;
            }
            if (matched == needle.length) {
                hit = true;
                matched = 0;
            }
        }
        if (recent.length() > 4096) {
            recent.delete(0, recent.length() - 2048);
        }
        return hit;
    }

    /** The last printable output, at most 400 characters, white space folded. */
    synchronized String tail() {
        String t = recent.toString().replaceAll("[^\\x20-\\x7e\\n]", "").replaceAll("\\s+", " ");
        return t.substring(Math.max(0, t.length() - 400));
    }
}
