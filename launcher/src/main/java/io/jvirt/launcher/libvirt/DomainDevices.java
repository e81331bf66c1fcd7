package io.jvirt.launcher.libvirt;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * What a running domain's live XML says about its guest agent channel and its network interfaces: the parts the
 * node agent reports next to the guest agent's own data (as virt-handler reads them from the domain).
 *
 * @param agentConnected whether the {@code org.qemu.guest_agent.0} channel's target has {@code state='connected'}
 *                       (libvirt sets it when the guest opens the port; KubeVirt's AgentConnected condition follows it)
 * @param nics           the {@code <interface>} devices in domain order
 */
public record DomainDevices(boolean agentConnected, List<Nic> nics) {

    /** The virtio-serial channel name of the QEMU guest agent. */
    public static final String AGENT_CHANNEL = "org.qemu.guest_agent.0";
    /** jvirt and KubeVirt name device aliases {@code ua-<VMI device name>} (user alias). */
    private static final String USER_ALIAS = "ua-";

    public DomainDevices {
        nics = List.copyOf(nics);
    }

    /**
     * A network interface of the domain.
     *
     * @param name the VMI's interface (= network) name, from the alias {@code ua-<name>}; null without such an alias
     * @param mac  the MAC address (lower case), or null if the XML has none
     */
    public record Nic(String name, String mac) {
    }

    /** Parses live domain XML ({@code virDomainGetXMLDesc}). */
    public static DomainDevices parse(String xml) {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new HypervisorException("cannot parse the domain XML: " + e.getMessage(), e);
        }
        Element devices = child(doc.getDocumentElement(), "devices");
        boolean connected = false;
        List<Nic> nics = new ArrayList<>();
        if (devices != null) {
            for (Element channel : children(devices, "channel")) {
                Element target = child(channel, "target");
                if (target != null && AGENT_CHANNEL.equals(target.getAttribute("name"))) {
                    connected = "connected".equals(target.getAttribute("state"));
                }
            }
            for (Element iface : children(devices, "interface")) {
                Element mac = child(iface, "mac");
                Element alias = child(iface, "alias");
                String a = alias == null ? "" : alias.getAttribute("name");
                nics.add(new Nic(a.startsWith(USER_ALIAS) ? a.substring(USER_ALIAS.length()) : null,
                        mac == null || mac.getAttribute("address").isEmpty() ? null
                                : mac.getAttribute("address").toLowerCase(java.util.Locale.ROOT)));
            }
        }
        return new DomainDevices(connected, nics);
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element child(Element parent, String tag) {
        List<Element> c = children(parent, tag);
        return c.isEmpty() ? null : c.getFirst();
    }
}
