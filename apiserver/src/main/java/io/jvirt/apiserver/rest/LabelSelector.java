package io.jvirt.apiserver.rest;

import io.jvirt.apiserver.http.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A parsed label selector in Kubernetes' string syntax: {@code a=b}, {@code a==b}, {@code a!=b}, {@code a in (x,y)},
 * {@code a notin (x,y)}, {@code a} (exists), {@code !a} (does not exist), {@code a>1}, {@code a<1}, joined by commas.
 */
public record LabelSelector(List<Requirement> requirements) {
    public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

    public enum Op { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GT, LT }

    public record Requirement(String key, Op op, Set<String> values) {
        boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (op) {
                case EXISTS -> labels.containsKey(key);
                case DOES_NOT_EXIST -> !labels.containsKey(key);
                case EQUALS, IN -> v != null && values.contains(v);
                case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
                case GT, LT -> {
                    if (v == null) {
                        yield false;
                    }
                    try {
                        long have = Long.parseLong(v);
                        long want = Long.parseLong(values.iterator().next());
                        yield op == Op.GT ? have > want : have < want;
                    } catch (NumberFormatException e) {
                        yield false;
                    }
                }
            };
        }
    }

    public boolean matches(Map<String, String> labels) {
        for (Requirement r : requirements) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    public boolean isEmpty() {
        return requirements.isEmpty();
    }

    public static LabelSelector parse(String s) {
        if (s == null || s.isBlank()) {
            return EVERYTHING;
        }
        List<Requirement> out = new ArrayList<>();
        Parser p = new Parser(s);
        while (true) {
            p.skipSpaces();
            if (p.end()) {
                break;
            }
            out.add(p.requirement());
            p.skipSpaces();
            if (p.end()) {
                break;
            }
            p.expect(',');
        }
        return new LabelSelector(List.copyOf(out));
    }

    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        boolean end() {
            return i >= s.length();
        }

        void skipSpaces() {
            while (!end() && s.charAt(i) == ' ') {
                i++;
            }
        }

        void expect(char c) {
            if (end() || s.charAt(i) != c) {
                throw fail("expected '" + c + "' at position " + i);
            }
            i++;
        }

        ApiException fail(String why) {
            return ApiException.badRequest("unable to parse requirement: found '" + s + "', " + why
                    + " (use key=value, key!=value, key in (a,b), key notin (a,b), key or !key)");
        }

        String word() {
            int start = i;
            while (!end() && "=!,() <>".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            return s.substring(start, i);
        }

        Requirement requirement() {
            if (s.charAt(i) == '!') {
                i++;
                skipSpaces();
                String key = validKey(word());
                return new Requirement(key, Op.DOES_NOT_EXIST, Set.of());
            }
            String key = validKey(word());
            skipSpaces();
            if (end() || s.charAt(i) == ',') {
                return new Requirement(key, Op.EXISTS, Set.of());
            }
            char c = s.charAt(i);
            if (c == '=') {
                i++;
                if (!end() && s.charAt(i) == '=') {
                    i++;
                }
                return new Requirement(key, Op.EQUALS, Set.of(value()));
            }
            if (c == '!') {
                i++;
                expect('=');
                return new Requirement(key, Op.NOT_EQUALS, Set.of(value()));
            }
            if (c == '>' || c == '<') {
                i++;
                String v = value();
                try {
                    Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw fail("for 'Gt', 'Lt' operators, the value must be an integer");
                }
                return new Requirement(key, c == '>' ? Op.GT : Op.LT, Set.of(v));
            }
            String op = word();
            skipSpaces();
            Op o = switch (op) {
                case "in" -> Op.IN;
                case "notin" -> Op.NOT_IN;
                default -> throw fail("unknown operator '" + op + "'");
            };
            expect('(');
            Set<String> vals = new TreeSet<>();
            while (true) {
                skipSpaces();
                vals.add(word());
                skipSpaces();
                if (!end() && s.charAt(i) == ')') {
                    i++;
                    break;
                }
                expect(',');
            }
            return new Requirement(key, o, Set.copyOf(vals));
        }

        String value() {
            skipSpaces();
            String v = word();
            if (!v.isEmpty() && !v.matches("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?") || v.length() > 63) {
                throw fail("invalid label value: \"" + v + "\"");
            }
            return v;
        }

        String validKey(String k) {
            if (k.isEmpty()) {
                throw fail("a label key is required");
            }
            return k;
        }
    }
}
