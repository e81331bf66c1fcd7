package io.jvirt.apiserver.rest;

/**
 * Per-request write options from the query string.
 *
 * @param user            the authenticated user name (admission sees it)
 * @param dryRun          {@code dryRun=All}: run everything, persist nothing
 * @param fieldValidation Strict, Warn (default) or Ignore
 */
public record RequestOptions(String user, boolean dryRun, String fieldValidation) {
    public static RequestOptions internal() {
        return new RequestOptions("system:jvirt", false, "Ignore");
    }
}
