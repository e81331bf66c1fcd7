package io.jvirt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The domain XML jvirt generated for the warm-up VM and the files it references, kept for the virsh and QEMU
 * baselines.
 *
 * @param xml        the domain XML
 * @param vmiDir     the VMI's directory in the platform's data directory (its paths in the XML point there)
 * @param seedIso    a copy of the VMI's seed ISO
 * @param baseImage  the root disk's backing image
 * @param baseFormat the backing image's format
 */
record CapturedDomain(String xml, Path vmiDir, Path seedIso, String baseImage, String baseFormat) {
    /** QEMU's default guest memory, for a domain XML without {@code <memory>}: 128 MiB. */
    private static final String DEFAULT_MEMORY_BYTES = "134217728";
    static final Pattern SEED_ISO = Pattern.compile("<source file='([^']*\\.iso)'/>");

    /** Keeps the domain XML of the running VMI and the seed ISO it uses, in {@code work/captured}. */
    static CapturedDomain capture(Path data, Path work, String ns, String name) throws IOException {
        Path vmiDir = data.resolve("vmis").resolve(ns).resolve(name);
        String xml = Files.readString(vmiDir.resolve("domain.xml"));
        Path keepDir = work.resolve("captured");
        Files.createDirectories(keepDir);
        Files.writeString(keepDir.resolve("domain.xml"), xml);
        Files.copy(vmiDir.resolve("vmi.json"), keepDir.resolve("vmi.json"), StandardCopyOption.REPLACE_EXISTING);
        Matcher iso = SEED_ISO.matcher(xml);
        if (!iso.find()) {
            throw new IllegalStateException("no seed ISO in the domain XML " + keepDir.resolve("domain.xml"));
        }
        Path seedIso = keepDir.resolve("seed.iso");
        Files.copy(Path.of(iso.group(1)), seedIso, StandardCopyOption.REPLACE_EXISTING);
        Matcher base = Pattern.compile("<backingStore type='file'>\\s*<format type='([^']+)'/>\\s*<source file='([^']+)'/>")
                .matcher(xml);
        if (!base.find()) {
            throw new IllegalStateException("no backing image in the domain XML " + keepDir.resolve("domain.xml"));
        }
        Log.VM.info("captured the domain XML of %s (%d bytes), seed ISO and base image %s", name, xml.length(),
                base.group(2));
        return new CapturedDomain(xml, vmiDir, seedIso, base.group(2), base.group(1));
    }

    /** The guest's memory in KiB. */
    long guestKiB() {
        return Long.parseLong(group(xml, "<memory unit='b'>(\\d+)</memory>", DEFAULT_MEMORY_BYTES)) / 1024;
    }

    /**
     * A direct {@code qemu-system-x86_64} start of the same guest: same accelerator, machine, CPU model, memory,
     * vCPUs, disk cache modes; user networking with virtio-net, a VGA adapter without display, the serial port on
     * stdio.
     *
     * @param overlay   the root disk (an overlay on {@link #baseImage})
     * @param iso       the seed ISO
     * @param tbSizeMiB the TCG translation cache size, or null for QEMU's default
     */
    List<String> qemuCommand(Path overlay, Path iso, String tbSizeMiB) {
        long memBytes = Long.parseLong(group(xml, "<memory unit='b'>(\\d+)</memory>", DEFAULT_MEMORY_BYTES));
        String vcpus = group(xml, "<vcpu[^>]*>(\\d+)</vcpu>", "1");
        String machine = group(xml, "machine='([^']+)'", "q35");
        String type = group(xml, "<domain type='([^']+)'", "qemu");
        String cpuMode = group(xml, "<cpu mode='([^']+)'", "maximum");
        String cache = group(xml, "<driver name='qemu' type='qcow2' cache='([^']+)'", "none");
        String isoCache = group(xml, "<driver name='qemu' type='raw' cache='([^']+)'", "none");
        return List.of("qemu-system-x86_64", "-name", "jvbench-qemu", "-no-user-config",
                "-nodefaults", "-accel", type.equals("kvm") ? "kvm"
                        : tbSizeMiB == null ? "tcg" : "tcg,tb-size=" + tbSizeMiB, "-machine", machine,
                "-cpu", cpuMode.equals("host-passthrough") ? "host" : "max",
                "-m", (memBytes / (1024 * 1024)) + "M", "-smp", vcpus,
                "-display", "none", "-vga", "std", "-serial", "stdio", "-monitor", "none",
                "-drive", "file=" + overlay + ",if=virtio,format=qcow2,cache=" + cache,
                "-drive", "file=" + iso + ",if=virtio,format=raw,readonly=on,cache=" + isoCache,
                "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,romfile=",
                "-device", "virtio-balloon-pci");
    }

    private static String group(String s, String regex, String def) {
        Matcher m = Pattern.compile(regex).matcher(s);
        return m.find() ? m.group(1) : def;
    }
}
