package io.jvirt.launcher.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Behaviour and error cases of {@link DomainConverter}, built by editing the {@code cirros} fixture. */
class DomainConverterTest {

    private static final String ROOT_OVERLAY =
            "/var/lib/jvirt/vmi/6a1f6c2e-4b8d-4f0e-9a51-3c2d7e8f9a01/disks/rootdisk.qcow2";

    // ---------------------------------------------------------------- helpers

    private static ObjectNode cirros() {
        return (ObjectNode) Fixtures.vmi("cirros").deepCopy();
    }

    private static ObjectNode domain(ObjectNode vmi) {
        return (ObjectNode) vmi.get("spec").get("domain");
    }

    private static ObjectNode devices(ObjectNode vmi) {
        return (ObjectNode) domain(vmi).get("devices");
    }

    private static ObjectNode disk(ObjectNode vmi, int i) {
        return (ObjectNode) devices(vmi).get("disks").get(i);
    }

    private static ConverterContext ctx() {
        return Fixtures.context("cirros");
    }

    /** The cirros context with one prepared disk replaced. */
    private static ConverterContext ctxWithDisk(String volume, PreparedDisk disk) {
        ConverterContext c = ctx();
        Map<String, PreparedDisk> disks = new HashMap<>(c.disks());
        if (disk == null) {
            disks.remove(volume);
        } else {
            disks.put(volume, disk);
        }
        return new ConverterContext(c.kvm(), c.emulator(), disks, c.serialSocket(), c.vncSocket(),
                c.guestAgentSocket(), c.efiCode(), c.efiSecureBootCode(), c.efiVarsTemplate(), c.efiVars(),
                c.kernelBootDir(), c.efiSecureBootVarsTemplate(), c.placement(), c.sharedCpus(),
                c.numaDistances());
    }

    private static ConverterContext emulated(ConverterContext c) {
        return DomainXmlSchemaTest.withKvm(c, false);
    }

    private static Document convert(JsonNode vmi, ConverterContext ctx) {
        return DomainConverterGoldenTest.assertWellFormed("test", DomainConverter.toXml(vmi, ctx));
    }

    private static Document convert(Consumer<ObjectNode> edit) {
        ObjectNode vmi = cirros();
        edit.accept(vmi);
        return convert(vmi, ctx());
    }

    private static Element first(Document doc, String tag) {
        return (Element) doc.getElementsByTagName(tag).item(0);
    }

    private static Element driver(Document doc, int diskIndex) {
        Element disk = (Element) doc.getElementsByTagName("disk").item(diskIndex);
        return (Element) disk.getElementsByTagName("driver").item(0);
    }

    private static void assertFails(JsonNode vmi, ConverterContext ctx, String... fragments) {
        assertThatThrownBy(() -> DomainConverter.toXml(vmi, ctx))
                .isInstanceOf(ConversionException.class)
                .satisfies(e -> {
                    for (String fragment : fragments) {
                        assertThat(e.getMessage()).contains(fragment);
                    }
                });
    }

    private static void assertFails(Consumer<ObjectNode> edit, String... fragments) {
        ObjectNode vmi = cirros();
        edit.accept(vmi);
        assertFails(vmi, ctx(), fragments);
    }

    // ---------------------------------------------------------------- software emulation and input devices

    @Test
    void emulatedGuestsGetABoundedTranslationCacheAndKvmGuestsNone() {
        assertThat(convert(cirros(), ctx()).getElementsByTagName("tcg").getLength()).isZero();
        ObjectNode small = cirros();
        domain(small).putObject("memory").put("guest", "128Mi");
        assertThat(first(convert(small, emulated(ctx())), "tb-cache").getTextContent()).isEqualTo("16");
        ObjectNode big = cirros();
        domain(big).putObject("memory").put("guest", "1Gi");
        Element cache = first(convert(big, emulated(ctx())), "tb-cache");
        assertThat(cache.getTextContent()).isEqualTo("128");
        assertThat(cache.getAttribute("unit")).isEqualTo("MiB");
        ObjectNode huge = cirros();
        domain(huge).putObject("memory").put("guest", "16Gi");
        assertThat(first(convert(huge, emulated(ctx())), "tb-cache").getTextContent()).isEqualTo("256");
    }

    @Test
    void translationCacheAnnotationOverridesAndIsChecked() {
        ObjectNode vmi = cirros();
        ((ObjectNode) vmi.get("metadata")).putObject("annotations").put("jvirt.io/tcg-translation-cache", "64Mi");
        assertThat(first(convert(vmi, emulated(ctx())), "tb-cache").getTextContent()).isEqualTo("64");
        ((ObjectNode) vmi.get("metadata").get("annotations")).put("jvirt.io/tcg-translation-cache", "lots");
        assertFails(vmi, emulated(ctx()), "jvirt.io/tcg-translation-cache", "'lots' is not a quantity");
        ((ObjectNode) vmi.get("metadata").get("annotations")).put("jvirt.io/tcg-translation-cache", "2Gi");
        assertFails(vmi, emulated(ctx()), "jvirt.io/tcg-translation-cache", "out of range", "4Mi to 1Gi");
    }

    @Test
    void noTabletAndNoUsbControllerUnlessAskedFor() {
        Document plain = convert(cirros(), ctx());
        assertThat(plain.getElementsByTagName("input").getLength()).isZero();
        assertThat(first(plain, "controller").getAttribute("model")).isEqualTo("none");
        Document withInput = convert(vmi -> devices(vmi).put("autoattachInputDevice", true));
        assertThat(first(withInput, "input").getAttribute("type")).isEqualTo("tablet");
        assertThat(first(withInput, "input").getAttribute("bus")).isEqualTo("usb");
    }

    // ---------------------------------------------------------------- the required error cases

    @Test
    void explicitNoneCacheOnFileSystemWithoutDirectIoIsRejected() {
        ObjectNode vmi = cirros();
        disk(vmi, 0).put("cache", "none");
        PreparedDisk noDirectIo = new PreparedDisk(Path.of(ROOT_OVERLAY), "qcow2",
                Path.of("/var/lib/jvirt/images/base.img"), "qcow2", false, false);
        assertThatThrownBy(() -> DomainConverter.toXml(vmi, ctxWithDisk("rootdisk", noDirectIo)))
                .isInstanceOf(ConversionException.class)
                .hasMessage("Unable to use 'none' cache mode, file system where " + ROOT_OVERLAY
                        + " is stored does not support direct I/O");
    }

    @Test
    void diskReferencingAMissingVolumeIsRejected() {
        assertFails(vmi -> disk(vmi, 1).put("name", "nope"),
                "spec.domain.devices.disks[1].name", "volume 'nope' not found in spec.volumes");
    }

    @Test
    void volumeWithoutPreparedDiskIsRejected() {
        assertFails(cirros(), ctxWithDisk("cloudinit", null),
                "spec.volumes[1]", "'cloudinit'", "cloudInitNoCloud", "no prepared disk");
    }

    // ---------------------------------------------------------------- disks

    @Test
    void unsetCacheIsNoneWithDirectIoAndWritethroughWithout() {
        PreparedDisk noDirectIo = new PreparedDisk(Path.of(ROOT_OVERLAY), "qcow2", null, null, false, false);
        assertThat(driver(convert(cirros(), ctx()), 0).getAttribute("cache")).isEqualTo("none");
        assertThat(driver(convert(cirros(), ctxWithDisk("rootdisk", noDirectIo)), 0).getAttribute("cache"))
                .isEqualTo("writethrough");
    }

    @Test
    void explicitCacheWinsEvenWithoutDirectIo() {
        ObjectNode vmi = cirros();
        disk(vmi, 0).put("cache", "writeback");
        PreparedDisk noDirectIo = new PreparedDisk(Path.of(ROOT_OVERLAY), "qcow2", null, null, false, false);
        assertThat(driver(convert(vmi, ctxWithDisk("rootdisk", noDirectIo)), 0).getAttribute("cache"))
                .isEqualTo("writeback");
    }

    @Test
    void ioIsNativeOnlyForPreallocatedImagesWithCacheNone() {
        PreparedDisk preallocated = new PreparedDisk(Path.of("/v/disk.img"), "raw", null, null, true, false, true);
        PreparedDisk sparse = new PreparedDisk(Path.of("/v/disk.img"), "raw", null, null, true, false, false);
        PreparedDisk preallocatedNoDirect = new PreparedDisk(Path.of("/v/disk.img"), "raw", null, null, false,
                false, true);
        assertThat(driver(convert(cirros(), ctxWithDisk("rootdisk", preallocated)), 0).getAttribute("io"))
                .isEqualTo("native");
        assertThat(driver(convert(cirros(), ctxWithDisk("rootdisk", sparse)), 0).hasAttribute("io")).isFalse();
        assertThat(driver(convert(cirros(), ctxWithDisk("rootdisk", preallocatedNoDirect)), 0).hasAttribute("io"))
                .isFalse();
        ObjectNode vmi = cirros();
        disk(vmi, 0).put("io", "threads");
        assertThat(driver(convert(vmi, ctxWithDisk("rootdisk", preallocated)), 0).getAttribute("io"))
                .isEqualTo("threads");
    }

    @Test
    void targetNamesAreAssignedPerPrefixInOrder() {
        assertThat(DiskConfigurator.suffix(0)).isEqualTo("a");
        assertThat(DiskConfigurator.suffix(25)).isEqualTo("z");
        assertThat(DiskConfigurator.suffix(26)).isEqualTo("aa");
        assertThat(DiskConfigurator.suffix(701)).isEqualTo("zz");
        assertThat(DiskConfigurator.suffix(702)).isEqualTo("aaa");
    }

    @Test
    void unsupportedDiskShapesAreRejected() {
        assertFails(vmi -> {
            disk(vmi, 0).remove("disk");
            disk(vmi, 0).putObject("lun");
        }, "spec.domain.devices.disks[0].lun", "not supported");
        assertFails(vmi -> disk(vmi, 0).putObject("cdrom").put("bus", "virtio"),
                "set at most one of disk, cdrom and lun");
        assertFails(vmi -> {
            disk(vmi, 0).remove("disk");
            disk(vmi, 0).putObject("cdrom").put("bus", "virtio");
        }, "spec.domain.devices.disks[0].cdrom.bus", "virtio");
        assertFails(vmi -> ((ObjectNode) disk(vmi, 0).get("disk")).put("bus", "ide"), "IDE bus is not supported");
        assertFails(vmi -> ((ObjectNode) disk(vmi, 0).get("disk")).put("bus", "sata").put("readonly", true),
                "sata disks cannot be read-only");
        assertFails(vmi -> disk(vmi, 0).put("cache", "unsafe"), "spec.domain.devices.disks[0].cache");
        assertFails(vmi -> disk(vmi, 0).put("shareable", true).put("cache", "writeback"), "shareable");
    }

    @Test
    void duplicateBootOrdersAndDeviceNamesAreRejected() {
        assertFails(vmi -> {
            disk(vmi, 0).put("bootOrder", 1);
            disk(vmi, 1).put("bootOrder", 1);
        }, "spec.domain.devices.disks[1].bootOrder", "boot order 1 is already used by spec.domain.devices.disks[0]");
        assertFails(vmi -> ((ObjectNode) devices(vmi).get("interfaces").get(0)).put("name", "rootdisk"),
                "network 'rootdisk' not found");
        assertFails(vmi -> {
            ((ObjectNode) devices(vmi).get("interfaces").get(0)).put("name", "rootdisk");
            ((ObjectNode) vmi.get("spec").get("networks").get(0)).put("name", "rootdisk");
        }, "device name 'rootdisk' is already used by spec.domain.devices.disks[0]");
    }

    // ---------------------------------------------------------------- CPU, memory, identity

    @Test
    void hostCpuModesBecomeMaximumUnderEmulationButNamedModelsStay() {
        assertThat(first(convert(cirros(), emulated(ctx())), "cpu").getAttribute("mode")).isEqualTo("maximum");
        ObjectNode vmi = cirros();
        ((ObjectNode) domain(vmi).get("cpu")).put("model", "Nehalem");
        Document doc = convert(vmi, emulated(ctx()));
        assertThat(first(doc, "cpu").getAttribute("mode")).isEqualTo("custom");
        assertThat(first(doc, "model").getTextContent()).isEqualTo("Nehalem");
        assertThat(doc.getDocumentElement().getAttribute("type")).isEqualTo("qemu");
    }

    @Test
    void hypervEnlightenmentsAreDroppedUnderEmulation() {
        JsonNode vmi = Fixtures.vmi("custom-cpu");
        ConverterContext c = Fixtures.context("custom-cpu");
        assertThat(convert(vmi, c).getElementsByTagName("hyperv").getLength()).isEqualTo(1);
        assertThat(convert(vmi, emulated(c)).getElementsByTagName("hyperv").getLength()).isZero();
    }

    @Test
    void cpuFeaturePolicyIsValidated() {
        assertFails(vmi -> ((ObjectNode) domain(vmi).get("cpu")).putArray("features").addObject()
                .put("name", "vmx").put("policy", "sometimes"), "spec.domain.cpu.features[0].policy");
    }

    @Test
    void vcpusFallBackToCpuResourcesWhenTopologyIsUnset() {
        Document doc = convert(vmi -> {
            domain(vmi).remove("cpu");
            ((ObjectNode) domain(vmi).get("resources")).putObject("limits").put("cpu", "2500m");
        });
        assertThat(first(doc, "vcpu").getTextContent()).isEqualTo("3");
        assertThat(first(doc, "topology").getAttribute("sockets")).isEqualTo("3");
        assertThat(first(convert(vmi -> domain(vmi).remove("cpu")), "vcpu").getTextContent()).isEqualTo("1");
    }

    @Test
    void guestMemoryFallsBackToRequestsThenLimits() {
        assertThat(first(convert(vmi -> domain(vmi).remove("memory")), "memory").getTextContent())
                .isEqualTo("134217728");
        assertThat(first(convert(vmi -> {
            domain(vmi).remove("memory");
            domain(vmi).putObject("resources").putObject("limits").put("memory", "1G");
        }), "memory").getTextContent()).isEqualTo("1000000000");
        assertFails(vmi -> {
            domain(vmi).remove("memory");
            domain(vmi).remove("resources");
        }, "spec.domain.memory.guest", "no guest memory");
        assertFails(vmi -> ((ObjectNode) domain(vmi).get("memory")).put("guest", "lots"),
                "spec.domain.memory.guest", "not a valid quantity");
    }

    @Test
    void quantitiesParseLikeKubernetes() {
        assertThat(Quantity.parse("128Mi", "f")).isEqualByComparingTo(BigDecimal.valueOf(134217728));
        assertThat(Quantity.parse("1.5Gi", "f")).isEqualByComparingTo(BigDecimal.valueOf(1610612736));
        assertThat(Quantity.parse("1G", "f")).isEqualByComparingTo(BigDecimal.valueOf(1_000_000_000));
        assertThat(Quantity.parse("500m", "f")).isEqualByComparingTo(new BigDecimal("0.5"));
        assertThat(Quantity.parse("1e3", "f")).isEqualByComparingTo(BigDecimal.valueOf(1000));
        assertThat(Quantity.parse("2E", "f")).isEqualByComparingTo(new BigDecimal("2e18"));
        assertThatThrownBy(() -> Quantity.parse("12 Mi", "f")).isInstanceOf(ConversionException.class);
    }

    @Test
    void uuidComesFromFirmwareElseFromNamespaceAndName() {
        assertThat(first(convert(cirros(), ctx()), "uuid").getTextContent())
                .isEqualTo("1b8e3a4c-9f2d-5e6a-8b7c-0d1e2f3a4b5c");
        String derived = first(convert(vmi -> domain(vmi).remove("firmware")), "uuid").getTextContent();
        assertThat(derived).isEqualTo(UUID.nameUUIDFromBytes("default/vm-cirros".getBytes(StandardCharsets.UTF_8))
                .toString());
        assertFails(vmi -> ((ObjectNode) domain(vmi).get("firmware")).put("uuid", "not-a-uuid"),
                "spec.domain.firmware.uuid");
    }

    @Test
    void metadataCarriesTheVmiIdentityInTheJvirtNamespace() {
        Document doc = convert(cirros(), ctx());
        Element vmi = (Element) doc.getElementsByTagNameNS(DomainConverter.METADATA_NAMESPACE, "vmi").item(0);
        assertThat(vmi).isNotNull();
        assertThat(vmi.getElementsByTagNameNS(DomainConverter.METADATA_NAMESPACE, "uid").item(0).getTextContent())
                .isEqualTo("6a1f6c2e-4b8d-4f0e-9a51-3c2d7e8f9a01");
        assertThat(first(doc, "name").getTextContent()).isEqualTo("default_vm-cirros");
        assertThat(DomainConverter.domainName("ns", "vm")).isEqualTo("ns_vm");
    }

    // ---------------------------------------------------------------- firmware

    @Test
    void secureBootNeedsSmmAndFirmware() {
        assertFails(vmi -> {
            ((ObjectNode) domain(vmi).get("firmware")).putObject("bootloader").putObject("efi");
            ((ObjectNode) domain(vmi).get("features")).putObject("smm").put("enabled", false);
        }, "spec.domain.firmware.bootloader.efi.secureBoot", "SMM");
        assertFails(vmi -> ((ObjectNode) domain(vmi).get("firmware")).putObject("bootloader").putObject("efi"),
                "spec.domain.firmware.bootloader.efi", "no OVMF Secure Boot firmware");
    }

    @Test
    void efiWithoutSecureBootUsesThePlainCodeAndVarsTemplate() {
        ObjectNode vmi = (ObjectNode) Fixtures.vmi("efi-secure-boot").deepCopy();
        ((ObjectNode) vmi.at("/spec/domain/firmware/bootloader/efi")).put("secureBoot", false);
        ((ObjectNode) vmi.at("/spec/domain/features")).remove("smm");
        Document doc = convert(vmi, Fixtures.context("efi-secure-boot"));
        Element loader = first(doc, "loader");
        assertThat(loader.getAttribute("secure")).isEqualTo("no");
        assertThat(loader.getTextContent()).isEqualTo("/usr/share/OVMF/OVMF_CODE_4M.fd");
        assertThat(first(doc, "nvram").getAttribute("template")).isEqualTo("/usr/share/OVMF/OVMF_VARS_4M.fd");
        assertThat(doc.getElementsByTagName("smm").getLength()).isZero();
    }

    @Test
    void kernelArgsAreEscapedAndNeedAKernel() {
        ObjectNode vmi = (ObjectNode) Fixtures.vmi("kernel-boot").deepCopy();
        ((ObjectNode) vmi.at("/spec/domain/firmware/kernelBoot")).put("kernelArgs", "a=<b> & c='d' \"e\"");
        Document doc = convert(vmi, Fixtures.context("kernel-boot"));
        assertThat(first(doc, "cmdline").getTextContent()).isEqualTo("a=<b> & c='d' \"e\"");

        ((ObjectNode) vmi.at("/spec/domain/firmware/kernelBoot")).remove("container");
        assertFails(vmi, Fixtures.context("kernel-boot"), "spec.domain.firmware.kernelBoot.kernelArgs");
    }

    // ---------------------------------------------------------------- devices

    @Test
    void socketsMustBePreparedForEnabledConsoles() {
        ConverterContext c = ctx();
        ConverterContext noSockets = new ConverterContext(true, c.emulator(), c.disks(), null, null, null, null,
                null, null, null, null);
        assertFails(cirros(), noSockets, "spec.domain.devices.autoattachSerialConsole");
        ObjectNode vmi = cirros();
        devices(vmi).put("autoattachSerialConsole", false);
        assertFails(vmi, noSockets, "spec.domain.devices.autoattachGraphicsDevice");
        devices(vmi).put("autoattachGraphicsDevice", false);
        Document doc = convert(vmi, noSockets);
        assertThat(doc.getElementsByTagName("serial").getLength()).isZero();
        assertThat(doc.getElementsByTagName("graphics").getLength()).isZero();
        // without a guest agent socket libvirt picks the channel path
        assertThat(first(doc, "channel").getElementsByTagName("source").getLength()).isZero();
    }

    @Test
    void overlongSocketPathsAreRejected() {
        ConverterContext c = ctx();
        Path longSocket = Path.of("/run/jvirt/" + "x".repeat(100) + "/virt-serial0");
        ConverterContext longPaths = new ConverterContext(true, c.emulator(), c.disks(), longSocket, c.vncSocket(),
                c.guestAgentSocket(), null, null, null, null, null);
        assertFails(cirros(), longPaths, "spec.domain.devices.autoattachSerialConsole", "at most 107");
    }

    @Test
    void defaultInterfaceOnlyWithoutInterfacesAndNetworks() {
        Document doc = convert(vmi -> {
            devices(vmi).remove("interfaces");
            ((ObjectNode) vmi.get("spec")).remove("networks");
        });
        Element iface = first(doc, "interface");
        assertThat(iface.getAttribute("type")).isEqualTo("user");
        assertThat(((Element) iface.getElementsByTagName("alias").item(0)).getAttribute("name"))
                .isEqualTo("ua-default");
        assertThat(convert(vmi -> {
            devices(vmi).remove("interfaces");
            ((ObjectNode) vmi.get("spec")).remove("networks");
            devices(vmi).put("autoattachPodInterface", false);
        }).getElementsByTagName("interface").getLength()).isZero();
    }

    @Test
    void unsupportedNetworksAndBindingsAreRejected() {
        assertFails(vmi -> {
            ObjectNode network = (ObjectNode) vmi.get("spec").get("networks").get(0);
            network.remove("pod");
            network.putObject("multus").put("networkName", "br1");
        }, "spec.networks[0]", "multus");
        assertFails(vmi -> {
            ObjectNode iface = (ObjectNode) devices(vmi).get("interfaces").get(0);
            iface.remove("masquerade");
            iface.putObject("sriov");
        }, "spec.domain.devices.interfaces[0].sriov");
        assertFails(vmi -> ((ObjectNode) devices(vmi).get("interfaces").get(0)).put("macAddress", "zz:00"),
                "spec.domain.devices.interfaces[0].macAddress");
    }

    @Test
    void interfaceMacModelAndLinkState() {
        Document doc = convert(vmi -> ((ObjectNode) devices(vmi).get("interfaces").get(0))
                .put("macAddress", "DE-AD-00-00-BE-AF").put("model", "e1000").put("state", "down"));
        Element iface = first(doc, "interface");
        assertThat(((Element) iface.getElementsByTagName("mac").item(0)).getAttribute("address"))
                .isEqualTo("de:ad:00:00:be:af");
        assertThat(((Element) iface.getElementsByTagName("model").item(0)).getAttribute("type")).isEqualTo("e1000");
        assertThat(((Element) iface.getElementsByTagName("link").item(0)).getAttribute("state")).isEqualTo("down");
    }

    @Test
    void unsupportedDevicesAreRejected() {
        assertFails(vmi -> devices(vmi).putArray("gpus").addObject().put("name", "gpu1"),
                "spec.domain.devices.gpus");
        assertFails(vmi -> devices(vmi).putObject("tpm"), "spec.domain.devices.tpm");
        assertFails(vmi -> devices(vmi).put("autoattachVSOCK", true), "spec.domain.devices.autoattachVSOCK");
        assertFails(vmi -> devices(vmi).putArray("panicDevices").addObject().put("model", "pvpanic"),
                "spec.domain.devices.panicDevices[0].model");
        assertFails(vmi -> devices(vmi).putArray("inputs").addObject().put("name", "kbd").put("type", "keyboard"),
                "spec.domain.devices.inputs[0].type");
    }

    @Test
    void userTabletOnVirtioLeavesUsbDisabled() {
        Document doc = convert(vmi -> {
            ArrayNode inputs = devices(vmi).putArray("inputs");
            inputs.addObject().put("name", "tab").put("type", "tablet").put("bus", "virtio");
        });
        assertThat(doc.getElementsByTagName("input").getLength()).isEqualTo(1);
        Element usb = first(doc, "controller");
        assertThat(usb.getAttribute("type")).isEqualTo("usb");
        assertThat(usb.getAttribute("model")).isEqualTo("none");
        Document both = convert(vmi -> {
            devices(vmi).put("autoattachInputDevice", true);
            devices(vmi).putArray("inputs").addObject().put("name", "tab").put("type", "tablet").put("bus", "virtio");
        });
        assertThat(both.getElementsByTagName("input").getLength()).as("a user tablet replaces the automatic one")
                .isEqualTo(1);
    }

    @Test
    void wrongJsonTypesNameTheField() {
        assertFails(vmi -> devices(vmi).put("autoattachGraphicsDevice", "no"),
                "spec.domain.devices.autoattachGraphicsDevice", "expected true or false");
        assertFails(vmi -> ((ObjectNode) domain(vmi).get("cpu")).put("cores", "two"), "spec.domain.cpu.cores");
        assertFails(vmi -> ((ObjectNode) vmi.get("metadata")).remove("name"), "metadata.name");
    }

    @Test
    void compatibilityConstructorsKeepTheOriginalShape() {
        PreparedDisk disk = new PreparedDisk(Path.of("/d"), "raw", null, null, true, false);
        assertThat(disk.preallocated()).isFalse();
        ConverterContext c = new ConverterContext(false, "/q", Map.of("d", disk), null, null, null, null, null, null,
                null, null);
        assertThat(c.efiSecureBootVarsTemplate()).isNull();
        assertThat(c.disks()).containsKey("d");
    }
}
