package io.jvirt.launcher.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.launcher.domain.ConverterContext;
import io.jvirt.launcher.domain.DomainConverter;
import io.jvirt.launcher.domain.PreparedDisk;
import io.jvirt.launcher.libvirt.DomainNotFoundException;
import io.jvirt.launcher.libvirt.DomainStatus;
import io.jvirt.launcher.libvirt.Hypervisor;
import io.jvirt.launcher.libvirt.HypervisorException;
import io.jvirt.launcher.storage.DiskPreparer;
import io.jvirt.launcher.storage.ImageStore;
import io.jvirt.launcher.storage.StorageException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * Runs VMIs on this node: the in-process API the node agent calls (jvirt's counterpart of virt-launcher's command
 * server). One libvirt domain per VMI, named {@code <namespace>_<name>}; per-VMI files in
 * {@code DATA/vmis/<namespace>/<name>/}: {@code serial.sock}, {@code vnc.sock}, {@code agent.sock} (created by QEMU),
 * {@code disks/} (overlays, empty disks), {@code cloud-init/} (ISOs), {@code efi-vars.fd} (EFI guests),
 * {@code vmi.json} (the VMI as started), {@code domain.xml} (the XML as defined).
 *
 * <p>Unix socket paths are limited to 107 bytes; if the VMI directory is too deep for that, the sockets go to
 * {@code DATA/run/<hash>/} instead (reported in {@link StartedVmi}).
 *
 * <p>Errors: {@link StorageException} (disks, images, cloud-init), {@link io.jvirt.launcher.domain.ConversionException}
 * (VMI cannot be converted), {@link HypervisorException} (libvirt), all unchecked.
 */
public final class VmiRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(VmiRuntime.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?");
    private static final int MAX_SOCKET_PATH = 107;

    /** Host paths of QEMU and OVMF (Debian/Ubuntu layout). */
    public record Firmware(String emulator, Path efiCode, Path efiSecureBootCode, Path efiVarsTemplate,
                           Path efiSecureBootVarsTemplate) {
        public static Firmware debian() {
            Path ovmf = Path.of("/usr/share/OVMF");
            return new Firmware("/usr/bin/qemu-system-x86_64", ovmf.resolve("OVMF_CODE_4M.fd"),
                    ovmf.resolve("OVMF_CODE_4M.secboot.fd"), ovmf.resolve("OVMF_VARS_4M.fd"),
                    ovmf.resolve("OVMF_VARS_4M.ms.fd"));
        }
    }

    private final Path dataDir;
    private final Hypervisor hypervisor;
    private final BooleanSupplier kvm;
    private final DiskPreparer disks;
    private final DomainXmlConverter converter;
    private final Firmware firmware;

    public VmiRuntime(Path dataDir, Hypervisor hypervisor, ImageStore images, boolean kvm) {
        this(dataDir, hypervisor, images, () -> kvm);
    }

    /**
     * @param kvm asked at every guest start: whether to use KVM (false: software emulation), so a change of the
     *            cluster's {@code useEmulation} applies to the next guest without a restart
     */
    public VmiRuntime(Path dataDir, Hypervisor hypervisor, ImageStore images, BooleanSupplier kvm) {
        this(dataDir, hypervisor, new DiskPreparer(images), kvm, DomainXmlConverter.DEFAULT, Firmware.debian());
    }

    public VmiRuntime(Path dataDir, Hypervisor hypervisor, DiskPreparer disks, boolean kvm,
                      DomainXmlConverter converter, Firmware firmware) {
        this(dataDir, hypervisor, disks, () -> kvm, converter, firmware);
    }

    /**
     * Starts hold it shared from disk preparation until their domain XML is on disk; {@link #pruneImages} holds it
     * exclusively, so it never misses the backing file of an overlay being made.
     */
    private final ReentrantReadWriteLock blobUse = new ReentrantReadWriteLock();

    public VmiRuntime(Path dataDir, Hypervisor hypervisor, DiskPreparer disks, BooleanSupplier kvm,
                      DomainXmlConverter converter, Firmware firmware) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.hypervisor = hypervisor;
        this.disks = disks;
        this.kvm = kvm;
        this.converter = converter;
        this.firmware = firmware;
    }

    /** The libvirt domain name of a VMI. */
    public static String domainName(String namespace, String name) {
        return DomainConverter.domainName(namespace, name);
    }

    /** {@code DATA/vmis/<namespace>/<name>}. */
    public Path vmiDir(String namespace, String name) {
        return dataDir.resolve("vmis").resolve(checkName(namespace, "namespace")).resolve(checkName(name, "name"));
    }

    /**
     * Starts {@code vmi}: prepares its directory and disks, converts it, defines and starts the domain. If its domain
     * is already running, nothing is changed (idempotent for a node agent that restarted); a defined but stopped
     * domain of the same name is replaced.
     *
     * @param secrets secret name → decoded data (cloud-init secret references, SSH keys); may return null
     */
    public StartedVmi start(ObjectNode vmi, Function<String, Map<String, String>> secrets) {
        return start(vmi, secrets, null);
    }

    /**
     * Where a dedicated-CPU guest goes on this host, decided by the node's CPU manager: the allocation, the node's
     * shared CPU pool, and the host NUMA distances (node id → distances to every node).
     */
    public record Pinning(io.jvirt.placement.Outcome.Allocation allocation, java.util.List<Integer> sharedCpus,
                          Map<Integer, java.util.List<Integer>> numaDistances) {
    }

    /** As {@link #start(ObjectNode, Function)}, pinned per {@code pinning} (null: not pinned). */
    public StartedVmi start(ObjectNode vmi, Function<String, Map<String, String>> secrets, Pinning pinning) {
        String namespace = vmi.path("metadata").path("namespace").asText("default");
        String name = vmi.path("metadata").path("name").asText("");
        String domain = domainName(checkName(namespace, "namespace"), checkName(name, "name"));
        Path dir = vmiDir(namespace, name);
        Sockets sockets = sockets(namespace, name, dir);

        Optional<DomainStatus> existing = hypervisor.status(domain);
        if (existing.isPresent() && existing.get().active()) {
            LOG.info("VMI {}/{}: domain {} already {}", namespace, name, domain, existing.get().describe());
            return started(domain, dir, sockets, vmi, existing.get(), true);
        }
        if (existing.isPresent()) {
            hypervisor.undefine(domain);
        }
        String xml = writeDomain(vmi, secrets, pinning, dir, sockets);
        String defined = hypervisor.define(xml);
        if (!defined.equals(domain)) {
            LOG.warn("VMI {}/{}: converter named the domain {}, expected {}", namespace, name, defined, domain);
            domain = defined;
        }
        hypervisor.start(domain);
        DomainStatus status = hypervisor.status(domain).orElseThrow(() ->
                new HypervisorException("domain vanished right after start"));
        LOG.info("VMI {}/{} started as {} ({})", namespace, name, domain, status.describe());
        return started(domain, dir, sockets, vmi, status, false);
    }

    /**
     * Prepares the VMI's disks, seed and firmware files in {@code dir}, converts it and writes {@code vmi.json} and
     * {@code domain.xml} there; returns the domain XML. Holds {@link #blobUse} shared throughout, so the image blobs
     * behind new overlays are on record in {@code domain.xml} before {@link #pruneImages} can look.
     */
    private String writeDomain(ObjectNode vmi, Function<String, Map<String, String>> secrets, Pinning pinning,
                               Path dir, Sockets sockets) {
        blobUse.readLock().lock();
        try {
            Files.createDirectories(dir);
            Files.createDirectories(sockets.dir());
            for (Path s : List.of(sockets.serial(), sockets.vnc(), sockets.agent())) {
                Files.deleteIfExists(s);
            }
            Map<String, PreparedDisk> prepared = disks.prepare(vmi, dir, secrets);
            boolean efi = !vmi.path("spec").path("domain").path("firmware").path("bootloader").path("efi")
                    .isMissingNode();
            Path efiVars = dir.resolve("efi-vars.fd");
            if (efi) {
                boolean secure = vmi.path("spec").path("domain").path("firmware").path("bootloader").path("efi")
                        .path("secureBoot").asBoolean(true);
                Path template = secure ? firmware.efiSecureBootVarsTemplate() : firmware.efiVarsTemplate();
                if (template != null && Files.isRegularFile(template)) {
                    Files.copy(template, efiVars, StandardCopyOption.REPLACE_EXISTING);
                }
            } else {
                Files.deleteIfExists(efiVars);
            }
            ConverterContext ctx = new ConverterContext(kvm.getAsBoolean(), firmware.emulator(), prepared,
                    autoattach(vmi, "autoattachSerialConsole") ? sockets.serial() : null,
                    autoattach(vmi, "autoattachGraphicsDevice") ? sockets.vnc() : null,
                    sockets.agent(), existing(firmware.efiCode()), existing(firmware.efiSecureBootCode()),
                    existing(firmware.efiVarsTemplate()), efiVars, null,
                    existing(firmware.efiSecureBootVarsTemplate()));
            if (pinning != null) {
                ctx = ctx.withPlacement(pinning.allocation(), pinning.sharedCpus(), pinning.numaDistances());
            }
            String xml = converter.toXml(vmi, ctx);
            Files.writeString(dir.resolve("vmi.json"), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(vmi));
            Files.writeString(dir.resolve("domain.xml"), xml);
            return xml;
        } catch (IOException e) {
            throw new StorageException("VMI " + vmi.path("metadata").path("namespace").asText("default") + "/"
                    + vmi.path("metadata").path("name").asText("") + ": cannot prepare " + dir + ": "
                    + e.getMessage(), e);
        } finally {
            blobUse.readLock().unlock();
        }
    }

    /** ACPI shutdown request (the guest decides; the domain stops with reason {@code shutdown}). */
    public void shutdown(String namespace, String name) {
        hypervisor.shutdown(domainName(namespace, name));
    }

    /** Hard stop (libvirt destroy; reason {@code destroyed}). No-op if the domain is not running. */
    public void kill(String namespace, String name) {
        String d = domainName(namespace, name);
        Optional<DomainStatus> s = hypervisor.status(d);
        if (s.isPresent() && s.get().active()) {
            hypervisor.destroy(d);
        }
    }

    public void pause(String namespace, String name) {
        hypervisor.pause(domainName(namespace, name));
    }

    public void unpause(String namespace, String name) {
        hypervisor.resume(domainName(namespace, name));
    }

    /** Guest reboot through the guest agent if connected, else ACPI. */
    public void softReboot(String namespace, String name) {
        hypervisor.reboot(domainName(namespace, name));
    }

    public Optional<DomainStatus> status(String namespace, String name) {
        return hypervisor.status(domainName(namespace, name));
    }

    /**
     * Domains that run VMIs: those whose XML carries jvirt's VMI metadata ({@link DomainConverter#METADATA_NAMESPACE}),
     * plus {@code <namespace>_<name>} domains without it whose VMI directory exists.
     */
    public List<VmiDomain> list() {
        List<VmiDomain> out = new ArrayList<>();
        for (DomainStatus s : hypervisor.list()) {
            toVmiDomain(s).ifPresent(out::add);
        }
        return out;
    }

    /**
     * The one VMI's domain, looked up by its domain name: constant cost however many guests the node runs (the
     * node agent asks on every resync and event).
     */
    public Optional<VmiDomain> find(String namespace, String name) {
        return hypervisor.status(domainName(namespace, name)).flatMap(this::toVmiDomain);
    }

    private Optional<VmiDomain> toVmiDomain(DomainStatus s) {
        String xml;
        try {
            xml = hypervisor.xml(s.name());
        } catch (DomainNotFoundException e) {
            return Optional.empty(); // undefined meanwhile
        }
        String[] meta = vmiMetadata(xml);
        if (meta != null) {
            return Optional.of(new VmiDomain(meta[0], meta[1], meta[2], s));
        }
        int us = s.name().indexOf('_');
        if (us > 0) {
            String ns = s.name().substring(0, us);
            String n = s.name().substring(us + 1);
            if (DNS_NAME.matcher(ns).matches() && DNS_NAME.matcher(n).matches()
                    && Files.isDirectory(vmiDir(ns, n))) {
                return Optional.of(new VmiDomain(ns, n, null, s));
            }
        }
        return Optional.empty();
    }

    /**
     * Removes everything of a VMI: destroys its domain if running, undefines it (with NVRAM) and deletes its
     * directory. Safe to call repeatedly and for VMIs that never started.
     */
    public void cleanup(String namespace, String name) {
        String d = domainName(namespace, name);
        Optional<DomainStatus> s = hypervisor.status(d);
        if (s.isPresent()) {
            if (s.get().active()) {
                try {
                    hypervisor.destroy(d);
                } catch (io.jvirt.launcher.libvirt.InvalidDomainStateException e) {
                    // stopped meanwhile
                }
            }
            try {
                hypervisor.undefine(d);
            } catch (DomainNotFoundException e) {
                // gone meanwhile (or transient)
            }
        }
        Path dir = vmiDir(namespace, name);
        disks.cleanup(dir);
        Path fallback = fallbackSocketDir(namespace, name);
        disks.cleanup(fallback);
        pruneImages();
    }

    /**
     * Deletes image-store blobs that neither a reference nor a guest's overlay uses any more (an image pulled again
     * under the same tag leaves its old blob to the guests started from it). Runs after every guest cleanup.
     *
     * @return the deleted blob files
     */
    public List<Path> pruneImages() {
        blobUse.writeLock().lock();
        try {
            ImageStore store = disks.store();
            List<Path> deleted = store.prune(BlobsInUse.scan(dataDir.resolve("vmis"), store.root().resolve("blobs")));
            if (!deleted.isEmpty()) {
                LOG.info("deleted {} image blob(s) nothing uses any more: {}", deleted.size(), deleted);
            }
            return deleted;
        } finally {
            blobUse.writeLock().unlock();
        }
    }

    /** The unix socket of the guest's serial console (where the node agent's console hub connects). */
    public Path serialSocket(String namespace, String name) {
        return sockets(namespace, name, vmiDir(namespace, name)).serial();
    }

    /** The unix socket of the guest's VNC server. */
    public Path vncSocket(String namespace, String name) {
        return sockets(namespace, name, vmiDir(namespace, name)).vnc();
    }

    // ----------------------------------------------------------------------------------------------- internals

    private record Sockets(Path dir, Path serial, Path vnc, Path agent) {
    }

    private Sockets sockets(String namespace, String name, Path vmiDir) {
        Path dir = vmiDir;
        if (vmiDir.resolve("serial.sock").toString().length() > MAX_SOCKET_PATH) {
            dir = fallbackSocketDir(namespace, name);
            if (dir.resolve("serial.sock").toString().length() > MAX_SOCKET_PATH) {
                throw new StorageException("VMI " + namespace + "/" + name + ": socket paths under " + dataDir
                        + " exceed the unix socket limit of " + MAX_SOCKET_PATH + " bytes; use a shorter data dir");
            }
        }
        return new Sockets(dir, dir.resolve("serial.sock"), dir.resolve("vnc.sock"), dir.resolve("agent.sock"));
    }

    private Path fallbackSocketDir(String namespace, String name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((namespace + "/" + name).getBytes(StandardCharsets.UTF_8));
            return dataDir.resolve("run").resolve(HexFormat.of().formatHex(h, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static StartedVmi started(String domain, Path dir, Sockets sockets, JsonNode vmi, DomainStatus status,
                                      boolean already) {
        return new StartedVmi(domain, dir, autoattach(vmi, "autoattachSerialConsole") ? sockets.serial() : null,
                autoattach(vmi, "autoattachGraphicsDevice") ? sockets.vnc() : null, sockets.agent(), status,
                already);
    }

    private static boolean autoattach(JsonNode vmi, String field) {
        JsonNode v = vmi.path("spec").path("domain").path("devices").path(field);
        return !(v.isBoolean() && !v.booleanValue());
    }

    private static Path existing(Path p) {
        return p != null && Files.exists(p) ? p : null;
    }

    private static String checkName(String value, String what) {
        if (value == null || !DNS_NAME.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid VMI " + what + " '" + value + "'");
        }
        return value;
    }

    /** {namespace, name, uid} from jvirt's domain metadata, or null if the XML has none. */
    static String[] vmiMetadata(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
            NodeList vmis = doc.getElementsByTagNameNS(DomainConverter.METADATA_NAMESPACE, "vmi");
            if (vmis.getLength() == 0) {
                return null;
            }
            Element e = (Element) vmis.item(0);
            String ns = childText(e, "namespace");
            String n = childText(e, "name");
            if (ns == null || n == null) {
                return null;
            }
            return new String[] {ns, n, childText(e, "uid")};
        } catch (Exception e) {
            LOG.debug("cannot parse domain XML metadata: {}", e.getMessage());
            return null;
        }
    }

    private static String childText(Element parent, String local) {
        NodeList l = parent.getElementsByTagNameNS(DomainConverter.METADATA_NAMESPACE, local);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().trim();
    }
}
