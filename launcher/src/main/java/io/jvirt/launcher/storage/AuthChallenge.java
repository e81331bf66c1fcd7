package io.jvirt.launcher.storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code WWW-Authenticate} challenge (RFC 7235): a scheme and its parameters, e.g.
 * {@code Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"}
 * (the Docker registry token protocol) or {@code Basic realm="registry"}.
 *
 * @param scheme lower case ({@code bearer}, {@code basic})
 * @param params parameter names in lower case; quoted values unquoted
 */
record AuthChallenge(String scheme, Map<String, String> params) {

    String param(String name) {
        return params.get(name);
    }

    /** Every challenge in the given header values (a value may hold several, comma separated). */
    static List<AuthChallenge> parseAll(List<String> headerValues) {
        List<AuthChallenge> out = new ArrayList<>();
        for (String h : headerValues) {
            out.addAll(parse(h));
        }
        return out;
    }

    /** The challenges of one header value; malformed tails are dropped. */
    static List<AuthChallenge> parse(String header) {
        List<AuthChallenge> out = new ArrayList<>();
        int i = 0;
        int n = header.length();
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (i < n) {
            i = skip(header, i, " \t,");
            if (i >= n) {
                break;
            }
            int start = i;
            while (i < n && isToken(header.charAt(i))) {
                i++;
            }
            if (i == start) {
                break; // garbage
            }
            String token = header.substring(start, i);
            int j = skip(header, i, " \t");
            if (j < n && header.charAt(j) == '=' && scheme != null) {
                // auth-param: token = (token | quoted-string)
                j = skip(header, j + 1, " \t");
                StringBuilder value = new StringBuilder();
                if (j < n && header.charAt(j) == '"') {
                    j++;
                    while (j < n && header.charAt(j) != '"') {
                        char c = header.charAt(j);
                        if (c == '\\' && j + 1 < n) {
                            j++;
                            c = header.charAt(j);
                        }
                        value.append(c);
                        j++;
                    }
                    j++; // closing quote
                } else {
                    while (j < n && header.charAt(j) != ',' && header.charAt(j) != ' ') {
                        value.append(header.charAt(j));
                        j++;
                    }
                }
                params.put(token.toLowerCase(Locale.ROOT), value.toString());
                i = j;
            } else {
                // a new scheme
                if (scheme != null) {
                    out.add(new AuthChallenge(scheme, Map.copyOf(params)));
                    params.clear();
                }
                scheme = token.toLowerCase(Locale.ROOT);
                i = j;
            }
        }
        if (scheme != null) {
            out.add(new AuthChallenge(scheme, Map.copyOf(params)));
        }
        return out;
    }

    private static int skip(String s, int i, String chars) {
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static boolean isToken(char c) {
        return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }
}
