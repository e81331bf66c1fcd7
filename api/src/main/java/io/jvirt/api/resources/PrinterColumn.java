package io.jvirt.api.resources;

/**
 * A column of the Table view (kubectl get), as a CRD's additionalPrinterColumns declares it.
 *
 * @param jsonPath simple path into the object, e.g. {@code .status.printableStatus}; {@code .metadata.creationTimestamp}
 *                 with type {@code date} renders as an age
 * @param priority 0 = shown by default; &gt; 0 only with {@code -o wide}
 */
public record PrinterColumn(String name, String type, String jsonPath, String description, int priority) {
    public static PrinterColumn age() {
        return new PrinterColumn("Age", "date", ".metadata.creationTimestamp", "Time since creation", 0);
    }

    public static PrinterColumn of(String name, String type, String jsonPath, String description) {
        return new PrinterColumn(name, type, jsonPath, description, 0);
    }
}
