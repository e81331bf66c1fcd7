package io.jvirt.apiserver.rest;

import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A field selector: {@code field=value}, {@code field==value}, {@code field!=value}, comma-joined. Only the fields
 * a resource declares selectable (plus metadata.name and metadata.namespace) are accepted, as on a real cluster.
 */
public record FieldSelector(List<Term> terms) {
    public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

    public record Term(String field, boolean equal, String value) {
    }

    public boolean isEmpty() {
        return terms.isEmpty();
    }

    public boolean matches(Map<String, String> fields) {
        for (Term t : terms) {
            String v = fields.getOrDefault(t.field, "");
            if (t.equal != v.equals(t.value)) {
                return false;
            }
        }
        return true;
    }

    /** The value required for {@code field} by an equality term, or null. */
    public String required(String field) {
        for (Term t : terms) {
            if (t.equal && t.field.equals(field)) {
                return t.value;
            }
        }
        return null;
    }

    public static FieldSelector parse(String s, ResourceType rt) {
        if (s == null || s.isBlank()) {
            return EVERYTHING;
        }
        List<Term> out = new ArrayList<>();
        for (String part : splitUnescaped(s)) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int ne = p.indexOf("!=");
            int eq = p.indexOf('=');
            Term t;
            if (ne >= 0) {
                t = new Term(p.substring(0, ne).trim(), false, unescape(p.substring(ne + 2).trim()));
            } else if (eq >= 0) {
                String v = p.substring(eq + 1);
                if (v.startsWith("=")) {
                    v = v.substring(1);
                }
                t = new Term(p.substring(0, eq).trim(), true, unescape(v.trim()));
            } else {
                throw ApiException.badRequest("invalid selector: '" + s + "'; can't understand '" + p
                        + "' (use field=value or field!=value)");
            }
            if (!t.field.equals("metadata.name") && !t.field.equals("metadata.namespace")
                    && !rt.selectableFields().contains(t.field)) {
                throw ApiException.badRequest("field label not supported: " + t.field + " (supported for "
                        + rt.qualifiedName() + ": metadata.name, metadata.namespace"
                        + (rt.selectableFields().isEmpty() ? "" : ", " + String.join(", ",
                        rt.selectableFields().stream().sorted().toList())) + ")");
            }
            out.add(t);
        }
        return new FieldSelector(List.copyOf(out));
    }

    private static List<String> splitUnescaped(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                cur.append(c).append(s.charAt(++i));
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static String unescape(String v) {
        return v.replace("\\,", ",").replace("\\=", "=").replace("\\\\", "\\");
    }
}
