package io.jvirt.apiserver.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.http.ApiException.Cause;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Validation and bookkeeping of {@code metadata} that kube-apiserver applies to every kind. */
final class ObjectMetaRules {
    static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    static final String DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*";
    static final String DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern LABEL = Pattern.compile(DNS1123_LABEL);
    private static final Pattern SUBDOMAIN = Pattern.compile(DNS1123_SUBDOMAIN);
    private static final Pattern DNS1035 = Pattern.compile(DNS1035_LABEL);
    private static final String QUALIFIED_NAME_PART = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private static final Pattern QUALIFIED = Pattern.compile(QUALIFIED_NAME_PART);
    /** Kubernetes' generateName suffix alphabet (no vowels, no confusable digits), 5 characters. */
    private static final String SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Kubernetes' limit on the total size of annotations (TotalAnnotationSizeLimitB). */
    private static final int ANNOTATIONS_LIMIT = 256 * 1024;

    private ObjectMetaRules() {
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String generateName(String prefix) {
        StringBuilder sb = new StringBuilder(prefix);
        for (int i = 0; i < 5; i++) {
            sb.append(SUFFIX_ALPHABET.charAt(RANDOM.nextInt(SUFFIX_ALPHABET.length())));
        }
        return sb.toString();
    }

    /** Causes for an invalid object name, empty when fine. */
    static List<Cause> validateName(ResourceType rt, String name, String field) {
        if (name == null || name.isEmpty()) {
            return List.of(new Cause("FieldValueRequired", field, "Required value: name or generateName is required"));
        }
        boolean label = rt.plural().equals("namespaces");
        boolean dns1035 = rt.plural().equals("services");
        if (dns1035) {
            if (name.length() > 63 || !DNS1035.matcher(name).matches()) {
                return List.of(new Cause("FieldValueInvalid", field, "Invalid value: \"" + name + "\": a DNS-1035 label"
                        + " must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                        + "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex "
                        + "used for validation is '" + DNS1035_LABEL + "')"));
            }
        } else if (label) {
            if (name.length() > 63 || !LABEL.matcher(name).matches()) {
                return List.of(new Cause("FieldValueInvalid", field, "Invalid value: \"" + name + "\": a lowercase "
                        + "RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
                        + "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                        + "validation is '" + DNS1123_LABEL + "')"));
            }
        } else if (name.length() > 253) {
            return List.of(new Cause("FieldValueInvalid", field, "Invalid value: \"" + name
                    + "\": must be no more than 253 characters"));
        } else if (!SUBDOMAIN.matcher(name).matches()) {
            return List.of(new Cause("FieldValueInvalid", field, "Invalid value: \"" + name + "\": a lowercase RFC "
                    + "1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
                    + "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '"
                    + DNS1123_SUBDOMAIN + "')"));
        }
        return List.of();
    }

    /** Labels and annotations: keys are qualified names, label values at most 63 characters. */
    static void validateLabelsAndAnnotations(JsonNode meta, List<Cause> causes) {
        JsonNode labels = meta.path("labels");
        if (labels.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                validateKey(e.getKey(), "metadata.labels", causes);
                String v = e.getValue().isNull() ? "" : e.getValue().asText();
                if (!v.isEmpty() && (v.length() > 63 || !QUALIFIED.matcher(v).matches())) {
                    causes.add(new Cause("FieldValueInvalid", "metadata.labels", "Invalid value: \"" + v + "\": a valid "
                            + "label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                            + "and must start and end with an alphanumeric character, at most 63 characters"));
                }
            }
        }
        JsonNode ann = meta.path("annotations");
        if (ann.isObject()) {
            long total = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = ann.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                validateKey(e.getKey(), "metadata.annotations", causes);
                total += e.getKey().length() + e.getValue().asText().length();
            }
            if (total > ANNOTATIONS_LIMIT) {
                causes.add(new Cause("FieldValueTooLong", "metadata.annotations", "Too long: must have at most "
                        + ANNOTATIONS_LIMIT + " bytes"));
            }
        }
    }

    private static void validateKey(String key, String field, List<Cause> causes) {
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            if (prefix.isEmpty() || prefix.length() > 253 || !SUBDOMAIN.matcher(prefix).matches()) {
                causes.add(new Cause("FieldValueInvalid", field, "Invalid value: \"" + key + "\": prefix part must be a "
                        + "lowercase RFC 1123 subdomain"));
                return;
            }
        }
        if (name.isEmpty() || name.length() > 63 || !QUALIFIED.matcher(name).matches()) {
            causes.add(new Cause("FieldValueInvalid", field, "Invalid value: \"" + key + "\": name part must consist "
                    + "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    + "character, at most 63 characters (e.g. 'MyName',  or 'my.name',  or '123-abc')"));
        }
    }

    /** The object with metadata and status removed: what {@code metadata.generation} tracks. */
    static JsonNode specPart(ObjectNode obj, boolean statusSeparate) {
        ObjectNode c = obj.deepCopy();
        c.remove("metadata");
        if (statusSeparate) {
            c.remove("status");
        }
        return c;
    }
}
