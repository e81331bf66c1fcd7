package io.jvirt.apiserver.patch;

import java.util.Locale;

/** The PATCH request content types kube-apiserver accepts. */
public enum PatchType {
    JSON_PATCH("application/json-patch+json"),
    MERGE_PATCH("application/merge-patch+json"),
    STRATEGIC_MERGE_PATCH("application/strategic-merge-patch+json"),
    APPLY_PATCH("application/apply-patch+yaml");

    private final String contentType;

    PatchType(String contentType) {
        this.contentType = contentType;
    }

    public String contentType() {
        return contentType;
    }

    /**
     * The patch type named by a Content-Type header value, ignoring parameters ({@code ; charset=utf-8}), case and
     * surrounding blanks; null when the value is null or names no patch type.
     */
    public static PatchType fromContentType(String headerValue) {
        if (headerValue == null) {
            return null;
        }
        int semicolon = headerValue.indexOf(';');
        String mediaType = (semicolon >= 0 ? headerValue.substring(0, semicolon) : headerValue)
                .trim().toLowerCase(Locale.ROOT);
        for (PatchType type : values()) {
            if (type.contentType.equals(mediaType)) {
                return type;
            }
        }
        return null;
    }
}
