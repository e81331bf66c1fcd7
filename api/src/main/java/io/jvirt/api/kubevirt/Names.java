package io.jvirt.api.kubevirt;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Kubernetes name rules ({@code k8s.io/apimachinery/pkg/util/validation}) and Go path/glob helpers. */
final class Names {
    private static final String LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final String SUBDOMAIN_FMT = LABEL_FMT + "(\\." + LABEL_FMT + ")*";
    private static final Pattern LABEL = Pattern.compile("^" + LABEL_FMT + "$");
    private static final Pattern SUBDOMAIN = Pattern.compile("^" + SUBDOMAIN_FMT + "$");
    private static final String LABEL_ERR = "a lowercase RFC 1123 label must consist of lower case alphanumeric "
            + "characters or '-', and must start and end with an alphanumeric character";
    private static final String SUBDOMAIN_ERR = "a lowercase RFC 1123 subdomain must consist of lower case "
            + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

    private Names() {
    }

    /** {@code validation.IsDNS1123Label}: the error messages, empty when valid. */
    static List<String> dns1123Label(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > 63) {
            errs.add("must be no more than 63 characters");
        }
        if (!LABEL.matcher(value).matches()) {
            if (SUBDOMAIN.matcher(value).matches()) {
                errs.add("must not contain dots");
            } else {
                errs.add(regexError(LABEL_ERR, LABEL_FMT, "my-name", "123-abc"));
            }
        }
        return errs;
    }

    /** {@code validation.IsDNS1123Subdomain}. */
    static List<String> dns1123Subdomain(String value) {
        List<String> errs = new ArrayList<>();
        if (value.length() > 253) {
            errs.add("must be no more than 253 characters");
        }
        if (!SUBDOMAIN.matcher(value).matches()) {
            errs.add(regexError(SUBDOMAIN_ERR, SUBDOMAIN_FMT, "example.com"));
        }
        return errs;
    }

    /** {@code validation.RegexError}, including its double space between examples. */
    private static String regexError(String msg, String fmt, String... examples) {
        StringBuilder sb = new StringBuilder(msg).append(" (e.g. ");
        for (int i = 0; i < examples.length; i++) {
            if (i > 0) {
                sb.append(" or ");
            }
            sb.append('\'').append(examples[i]).append("', ");
        }
        return sb.append("regex used for validation is '").append(fmt).append("')").toString();
    }

    /** Go's {@code path.Clean}. */
    static String clean(String p) {
        if (p.isEmpty()) {
            return ".";
        }
        boolean rooted = p.startsWith("/");
        List<String> out = new ArrayList<>();
        for (String part : p.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!out.isEmpty() && !out.getLast().equals("..")) {
                    out.removeLast();
                } else if (!rooted) {
                    out.add("..");
                }
                continue;
            }
            out.add(part);
        }
        String joined = String.join("/", out);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    /** Go's {@code filepath.Match} (no path separators inside {@code name} are expected). */
    static boolean globMatch(String pattern, String name) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            switch (c) {
                case '*' -> re.append("[^/]*");
                case '?' -> re.append("[^/]");
                case '\\' -> {
                    if (i + 1 < pattern.length()) {
                        re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
                    }
                }
                case '[' -> {
                    int end = pattern.indexOf(']', i + 1);
                    if (end < 0) {
                        return false; // ErrBadPattern: KubeVirt treats it as no match
                    }
                    String cls = pattern.substring(i + 1, end);
                    if (cls.startsWith("^")) {
                        cls = "^" + cls.substring(1).replace("[", "\\[");
                    } else {
                        cls = cls.replace("[", "\\[");
                    }
                    re.append('[').append(cls).append(']');
                    i = end;
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        try {
            return Pattern.compile(re.toString()).matcher(name).matches();
        } catch (RuntimeException e) {
            return false;
        }
    }
}
