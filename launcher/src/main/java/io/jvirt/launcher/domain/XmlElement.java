package io.jvirt.launcher.domain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal, ordered XML element tree with a deterministic serializer: attributes keep their insertion order, children
 * are written in order, two-space indentation, single-quoted attributes (as {@code virsh dumpxml} prints them).
 * Text-only elements are written on one line; an element never mixes text and children.
 */
final class XmlElement {

    private final String name;
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private final List<XmlElement> children = new ArrayList<>();
    private String text;

    XmlElement(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    /** Sets an attribute; a null value is skipped, other values are written with {@link String#valueOf}. */
    XmlElement attr(String key, Object value) {
        if (value != null) {
            attributes.put(key, String.valueOf(value));
        }
        return this;
    }

    String attr(String key) {
        return attributes.get(key);
    }

    /** Appends a new child element and returns it. */
    XmlElement child(String childName) {
        XmlElement child = new XmlElement(childName);
        children.add(child);
        return child;
    }

    /** Appends a new child element holding text and returns this element (for chaining). */
    XmlElement textChild(String childName, Object value) {
        child(childName).text(String.valueOf(value));
        return this;
    }

    XmlElement add(XmlElement child) {
        children.add(child);
        return this;
    }

    XmlElement text(String value) {
        this.text = value;
        return this;
    }

    List<XmlElement> children() {
        return children;
    }

    /** First direct child with this name, or null. */
    XmlElement find(String childName) {
        for (XmlElement child : children) {
            if (child.name.equals(childName)) {
                return child;
            }
        }
        return null;
    }

    void write(StringBuilder out, int depth) {
        out.append("  ".repeat(depth)).append('<').append(name);
        attributes.forEach((k, v) -> out.append(' ').append(k).append("='").append(escape(v, true)).append('\''));
        if (text == null && children.isEmpty()) {
            out.append("/>\n");
            return;
        }
        out.append('>');
        if (text != null) {
            if (!children.isEmpty()) {
                throw new IllegalStateException("element <" + name + "> mixes text and children");
            }
            out.append(escape(text, false));
        } else {
            out.append('\n');
            for (XmlElement child : children) {
                child.write(out, depth + 1);
            }
            out.append("  ".repeat(depth));
        }
        out.append("</").append(name).append(">\n");
    }

    static String escape(String value, boolean attribute) {
        StringBuilder sb = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '\'' -> sb.append(attribute ? "&apos;" : "'");
                case '"' -> sb.append(attribute ? "&quot;" : "\"");
                case '\n' -> sb.append(attribute ? "&#10;" : "\n");
                case '\r' -> sb.append("&#13;");
                case '\t' -> sb.append(attribute ? "&#9;" : "\t");
                default -> {
                    if (c < 0x20 || c == 0xFFFE || c == 0xFFFF) {
                        throw new ConversionException(String.format("value %s contains the character U+%04X, "
                                + "which XML 1.0 cannot carry", quote(value), (int) c));
                    }
                    sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    private static String quote(String value) {
        String shown = value.length() > 60 ? value.substring(0, 60) + "…" : value;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
