package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The JSONPath subset printer columns use: {@code .a.b}, {@code .a[0]}, {@code .a[*]} and filters
 * {@code .a[?(@.type=='Ready')].status}. Returns every match (a filter may select several elements).
 */
final class SimpleJsonPath {
    private SimpleJsonPath() {
    }

    static List<JsonNode> find(JsonNode root, String path) {
        List<JsonNode> cur = new ArrayList<>(List.of(root));
        int i = 0;
        String p = path.startsWith("{") && path.endsWith("}") ? path.substring(1, path.length() - 1) : path;
        while (i < p.length()) {
            char c = p.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < p.length() && p.charAt(j) != '.' && p.charAt(j) != '[') {
                    j++;
                }
                String field = p.substring(i + 1, j);
                List<JsonNode> next = new ArrayList<>();
                for (JsonNode n : cur) {
                    JsonNode v = n.get(field);
                    if (v != null && !v.isNull()) {
                        next.add(v);
                    }
                }
                cur = next;
                i = j;
            } else if (c == '[') {
                int j = p.indexOf(']', i);
                if (p.startsWith("[?(", i)) {
                    j = p.indexOf(")]", i) + 1;
                }
                String sel = p.substring(i + 1, j);
                List<JsonNode> next = new ArrayList<>();
                for (JsonNode n : cur) {
                    if (!n.isArray()) {
                        continue;
                    }
                    if (sel.equals("*")) {
                        n.forEach(next::add);
                    } else if (sel.startsWith("?(")) {
                        Filter f = Filter.parse(sel.substring(2, sel.length() - 1));
                        for (JsonNode e : n) {
                            if (f.matches(e)) {
                                next.add(e);
                            }
                        }
                    } else {
                        int idx = Integer.parseInt(sel.trim());
                        JsonNode v = n.get(idx < 0 ? n.size() + idx : idx);
                        if (v != null) {
                            next.add(v);
                        }
                    }
                }
                cur = next;
                i = j + 1;
            } else {
                i++;
            }
        }
        return cur;
    }

    /** {@code @.field=='value'} (also with double quotes or !=). */
    private record Filter(String field, String value, boolean equal) {
        static Filter parse(String expr) {
            boolean eq = !expr.contains("!=");
            String[] parts = expr.split(eq ? "==" : "!=", 2);
            String f = parts[0].trim();
            if (f.startsWith("@.")) {
                f = f.substring(2);
            }
            String v = parts.length > 1 ? parts[1].trim() : "";
            if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith("\"") && v.endsWith("\""))) {
                v = v.substring(1, v.length() - 1);
            }
            return new Filter(f, v, eq);
        }

        boolean matches(JsonNode e) {
            JsonNode v = e;
            for (String s : field.split("\\.")) {
                v = v.path(s);
            }
            return equal == (v.isValueNode() && v.asText().equals(value));
        }
    }
}
