package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code <interface>} devices. The only network jvirt provides is the default pod network ({@code networks[].pod}):
 * its interfaces (binding {@code masquerade} or {@code bridge}, or the deprecated {@code slirp}) become user-mode
 * (SLIRP) interfaces, which need no privileges and no pod network namespace. With no interfaces and
 * {@code autoattachPodInterface} not false, one default interface ({@code default}) is added, as KubeVirt's defaulting
 * does.
 *
 * <p>{@code ports} (masquerade port forwarding) are not converted: libvirt's {@code <portForward>} works only with the
 * passt backend of {@code type='user'} ("The &lt;portForward&gt; element can only be used with the 'passt' backend"),
 * not with SLIRP, and the user-mode network has no pod IP to forward from. {@code dhcpOptions} are ignored (SLIRP's
 * built-in DHCP server cannot be configured through libvirt). Multus networks, SR-IOV, macvtap, passt and binding
 * plugins, and {@code pciAddress} are rejected.
 *
 * <p>{@code devices.networkInterfaceMultiqueue}: KubeVirt gives every virtio interface
 * {@code <driver name='vhost' queues='<vCPUs, at most 256>'/>} (its interfaces are tap devices). libvirt refuses
 * queues on user-mode interfaces ("multiqueue is not supported for network interfaces of type user", checked with
 * libvirt 9.0 at start), so on jvirt's SLIRP interfaces the flag changes nothing: the guest gets one queue pair.
 * {@link #multiqueue} applies it to interface types that support it, should other bindings arrive.
 */
final class NetworkConfigurator implements DomainConfigurator {

    /** KubeVirt's cap on interface queues (the kernel's limit of tap queues). */
    static final int MAX_QUEUES = 256;
    private static final String INTERFACES = Vmi.DEVICES + ".interfaces";
    private static final String[] USER_MODE_BINDINGS = {"masquerade", "bridge", "slirp"};
    private static final String[] UNSUPPORTED_BINDINGS = {"sriov", "macvtap", "passt", "passtBinding", "binding"};

    @Override
    public void configure(Vmi vmi, ConverterContext ctx, DomainSpec domain) {
        Map<String, Integer> networkIndex = new HashMap<>();
        List<JsonNode> networks = Json.array(vmi.spec(), "networks", Vmi.SPEC);
        for (int j = 0; j < networks.size(); j++) {
            String name = Json.text(networks.get(j), "name", "spec.networks[" + j + "]");
            if (name != null) {
                networkIndex.putIfAbsent(name, j);
            }
        }
        List<JsonNode> interfaces = Json.array(vmi.devices(), "interfaces", Vmi.DEVICES);
        if (interfaces.isEmpty()) {
            if (networks.isEmpty() && vmi.autoattach("autoattachPodInterface")) {
                XmlElement element = userInterface(vmi);
                element.child("rom").attr("enabled", "no");
                element.add(domain.alias("default", Vmi.DEVICES + ".autoattachPodInterface"));
                domain.devices.interfaces.add(element);
            }
            return;
        }
        for (int i = 0; i < interfaces.size(); i++) {
            String path = INTERFACES + "[" + i + "]";
            JsonNode iface = interfaces.get(i);
            String name = Json.text(iface, "name", path);
            if (name == null) {
                throw ConversionException.at(path + ".name", "is required");
            }
            Integer j = networkIndex.get(name);
            if (j == null) {
                throw ConversionException.at(path + ".name", "network '" + name + "' not found in spec.networks");
            }
            JsonNode network = networks.get(j);
            if (!Json.has(network, "pod")) {
                String kind = Json.has(network, "multus") ? "multus" : "non-pod";
                throw ConversionException.at("spec.networks[" + j + "]", kind + " network '" + name
                        + "' is not supported yet (only the pod network)");
            }
            for (String binding : UNSUPPORTED_BINDINGS) {
                if (Json.has(iface, binding)) {
                    throw ConversionException.at(path + "." + binding, "this interface binding is not supported yet "
                            + "(use masquerade or bridge)");
                }
            }
            int bindings = 0;
            for (String binding : USER_MODE_BINDINGS) {
                bindings += Json.has(iface, binding) ? 1 : 0;
            }
            if (bindings > 1) {
                throw ConversionException.at(path, "set only one binding method");
            }
            if (Json.has(iface, "pciAddress")) {
                throw ConversionException.at(path + ".pciAddress", "explicit PCI addresses are not supported yet");
            }
            String state = Json.text(iface, "state", path);
            if ("absent".equals(state)) {
                continue;
            }
            if (state != null && !state.equals("up") && !state.equals("down")) {
                throw ConversionException.at(path + ".state", "'" + state + "' is not one of up, down, absent");
            }

            XmlElement element = userInterface(vmi);
            String model = Json.text(iface, "model", path);
            if (model != null && !model.equals("virtio")) {
                if (!model.matches("[a-zA-Z0-9_-]+")) {
                    throw ConversionException.at(path + ".model", "'" + model + "' is not a NIC model name");
                }
                element.find("model").attr("type", model);
            }
            String mac = Json.text(iface, "macAddress", path);
            if (mac != null) {
                if (!mac.matches("\\p{XDigit}{2}([:-]\\p{XDigit}{2}){5}")) {
                    throw ConversionException.at(path + ".macAddress", "'" + mac + "' is not a MAC address");
                }
                String address = mac.replace('-', ':').toLowerCase(Locale.ROOT);
                element.children().add(0, new XmlElement("mac").attr("address", address));
            }
            Long bootOrder = Json.integer(iface, "bootOrder", path);
            if (bootOrder != null) {
                element.add(domain.bootOrder(bootOrder, path + ".bootOrder"));
            } else {
                element.child("rom").attr("enabled", "no");   // no PXE option ROM when not booting from it (KubeVirt)
            }
            if ("down".equals(state)) {
                element.child("link").attr("state", "down");
            }
            Long acpiIndex = Json.integer(iface, "acpiIndex", path);
            if (acpiIndex != null) {
                if (acpiIndex < 1 || acpiIndex > 16383) {
                    throw ConversionException.at(path + ".acpiIndex", "must be between 1 and 16383");
                }
                element.child("acpi").attr("index", acpiIndex);
            }
            multiqueue(vmi, domain, element);
            element.add(domain.alias(name, path));
            domain.devices.interfaces.add(element);
        }
    }

    /**
     * {@code <driver name='vhost' queues='N'/>} (N = vCPUs, at most {@value #MAX_QUEUES}) on a virtio interface when
     * the VMI asks for multi-queue and the interface type supports it (not {@code user}).
     */
    static void multiqueue(Vmi vmi, DomainSpec domain, XmlElement iface) {
        if (!Json.bool(vmi.devices(), "networkInterfaceMultiqueue", false, Vmi.DEVICES)
                || "user".equals(iface.attr("type")) || !iface.find("model").attr("type").startsWith("virtio")) {
            return;
        }
        iface.child("driver").attr("name", "vhost").attr("queues", Math.min(domain.vcpus, MAX_QUEUES));
    }

    private static XmlElement userInterface(Vmi vmi) {
        XmlElement element = new XmlElement("interface").attr("type", "user");
        element.child("model").attr("type", vmi.virtioModel());
        return element;
    }
}
