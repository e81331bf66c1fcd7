package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Read-only view of a {@code kubevirt.io/v1} VirtualMachineInstance tree with the sections every configurator needs.
 * Paths used in error messages are relative to the VMI ({@code spec.domain.devices}).
 */
record Vmi(JsonNode root) {

    static final String SPEC = "spec";
    static final String DOMAIN = "spec.domain";
    static final String DEVICES = "spec.domain.devices";
    static final String FIRMWARE = "spec.domain.firmware";

    Vmi {
        if (root == null || !root.isObject()) {
            throw new ConversionException("the VMI must be a JSON object");
        }
    }

    JsonNode metadata() {
        return Json.object(root, "metadata", "");
    }

    String name() {
        String name = Json.text(metadata(), "name", "metadata");
        if (name == null) {
            throw ConversionException.at("metadata.name", "is required");
        }
        return name;
    }

    /** The namespace; {@code default} when unset (a VMI read from the API server always has one). */
    String namespace() {
        String ns = Json.text(metadata(), "namespace", "metadata");
        return ns == null ? "default" : ns;
    }

    String uid() {
        return Json.text(metadata(), "uid", "metadata");
    }

    String annotation(String key) {
        return Json.text(Json.object(metadata(), "annotations", "metadata"), key, "metadata.annotations");
    }

    JsonNode spec() {
        return Json.object(root, "spec", "");
    }

    JsonNode domain() {
        return Json.object(spec(), "domain", SPEC);
    }

    JsonNode devices() {
        return Json.object(domain(), "devices", DOMAIN);
    }

    JsonNode firmware() {
        return Json.object(domain(), "firmware", DOMAIN);
    }

    JsonNode efi() {
        return Json.object(Json.object(firmware(), "bootloader", FIRMWARE), "efi", FIRMWARE + ".bootloader");
    }

    boolean isEfi() {
        return Json.isSet(efi());
    }

    /** {@code spec.domain.firmware.bootloader.efi.secureBoot}, which defaults to true for EFI guests. */
    boolean isSecureBoot() {
        return isEfi() && Json.bool(efi(), "secureBoot", true, FIRMWARE + ".bootloader.efi");
    }

    /** {@code spec.domain.devices.<name>}: false only when explicitly set to false. */
    boolean autoattach(String name) {
        return Json.bool(devices(), name, true, DEVICES);
    }

    boolean useVirtioTransitional() {
        return Json.bool(devices(), "useVirtioTransitional", false, DEVICES);
    }

    /** The libvirt model name for a virtio device of this VMI. */
    String virtioModel() {
        return useVirtioTransitional() ? "virtio-transitional" : "virtio";
    }
}
