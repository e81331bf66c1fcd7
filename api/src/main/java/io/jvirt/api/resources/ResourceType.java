package io.jvirt.api.resources;

import java.util.List;
import java.util.Set;

/**
 * One served resource: what discovery announces and what the REST layer needs to know about it.
 *
 * @param group             API group, {@code ""} for core
 * @param statusSubresource the kind has a {@code /status} subresource: the main resource ignores status changes and
 *                          {@code /status} ignores everything else
 * @param keepStatusOnCreate whether a create keeps the status it was given (nodes do; CRDs with a status
 *                          subresource and most core kinds drop or reset it)
 * @param selectableFields  field paths accepted in field selectors besides {@code metadata.name} and
 *                          {@code metadata.namespace}
 * @param printerColumns    Table columns after NAME (empty: NAME and AGE only)
 * @param strategicMerge    whether {@code application/strategic-merge-patch+json} is accepted (built-in kinds only,
 *                          as on a real cluster; custom resources answer 415)
 */
public record ResourceType(
        String group,
        String version,
        String kind,
        String plural,
        String singular,
        boolean namespaced,
        List<String> shortNames,
        List<String> categories,
        boolean statusSubresource,
        boolean keepStatusOnCreate,
        Set<String> selectableFields,
        List<PrinterColumn> printerColumns,
        boolean strategicMerge) {

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** {@code plural} or {@code plural.group}: how Kubernetes names the resource in messages. */
    public String qualifiedName() {
        return group.isEmpty() ? plural : plural + "." + group;
    }

    /** The key the store files this resource's objects under. */
    public String storageKey() {
        return group + "/" + plural;
    }

    public String listKind() {
        return kind + "List";
    }
}
