package io.jvirt.launcher.libvirt;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A minimal Linux guest for integration tests: the host's Debian kernel ({@code /boot/vmlinuz-V}) and an initramfs
 * written here (newc cpio) with busybox-static, the {@code evdev}/{@code button} modules of kernel V and an
 * {@code /init} that prints {@link #BOOTED}, then a heartbeat every second, and powers off when the ACPI power button
 * is pressed (libvirt shutdown).
 */
final class MiniGuest {

    static final String BOOTED = "JVIRT-GUEST-MARKER booted";
    static final String POWER_BUTTON = "JVIRT-GUEST-MARKER power button";

    final Path kernel;
    final Path initrd;

    private MiniGuest(Path kernel, Path initrd) {
        this.kernel = kernel;
        this.initrd = initrd;
    }

    /** Builds the initramfs into {@code dir}; empty if no kernel with modules or no static busybox exists. */
    static Optional<MiniGuest> build(Path dir) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isRegularFile(busybox)) {
            return Optional.empty();
        }
        Path kernel = null;
        String version = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            for (Path k : ds) {
                String v = k.getFileName().toString().substring("vmlinuz-".length());
                if (Files.isReadable(k) && Files.isDirectory(Path.of("/lib/modules", v))) {
                    kernel = k;
                    version = v;
                }
            }
        }
        if (kernel == null) {
            return Optional.empty();
        }
        Path mods = Path.of("/lib/modules", version, "kernel/drivers");
        Path evdev = mods.resolve("input/evdev.ko");
        Path button = mods.resolve("acpi/button.ko");
        String init = """
                #!/bin/busybox sh
                B=/bin/busybox
                $B mount -t proc proc /proc
                $B mount -t sysfs sys /sys
                $B mount -t devtmpfs dev /dev 2>/dev/null
                [ -f /evdev.ko ] && $B insmod /evdev.ko
                [ -f /button.ko ] && $B insmod /button.ko
                $B echo "%s"
                ev=""
                for e in /sys/class/input/event*; do
                  if $B grep -q "Power Button" $e/device/name 2>/dev/null; then ev=/dev/input/${e##*/}; fi
                done
                ( i=0; while true; do $B echo "JVIRT-GUEST-MARKER alive $i"; i=$((i+1)); $B sleep 1; done ) &
                if [ -n "$ev" ]; then
                  $B dd if=$ev of=/dev/null bs=24 count=1 2>/dev/null
                  $B echo "%s"
                else
                  while true; do $B sleep 3600; done
                fi
                $B poweroff -f
                """.formatted(BOOTED, POWER_BUTTON);
        Cpio cpio = new Cpio();
        for (String d : new String[] {"bin", "dev", "proc", "sys"}) {
            cpio.dir(d);
        }
        cpio.charDevice("dev/console", 5, 1);
        cpio.file("init", init.getBytes(StandardCharsets.UTF_8), 0755);
        cpio.file("bin/busybox", Files.readAllBytes(busybox), 0755);
        if (Files.isRegularFile(evdev) && Files.isRegularFile(button)) {
            cpio.file("evdev.ko", Files.readAllBytes(evdev), 0644);
            cpio.file("button.ko", Files.readAllBytes(button), 0644);
        }
        Files.createDirectories(dir);
        Path initrd = dir.resolve("mini-initrd.cpio");
        try (OutputStream out = Files.newOutputStream(initrd)) {
            cpio.finish(out);
        }
        return Optional.of(new MiniGuest(kernel, initrd));
    }

    /** Domain XML booting this guest under TCG with serial port 0 on {@code serialSocket}. */
    String domainXml(String name, Path serialSocket) {
        return """
                <domain type='qemu'>
                  <name>%s</name>
                  <memory unit='MiB'>160</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='q35'>hvm</type>
                    <kernel>%s</kernel>
                    <initrd>%s</initrd>
                    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
                  </os>
                  <features><acpi/></features>
                  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
                  <on_poweroff>destroy</on_poweroff>
                  <on_reboot>restart</on_reboot>
                  <on_crash>destroy</on_crash>
                  <devices>
                    <emulator>/usr/bin/qemu-system-x86_64</emulator>
                    <serial type='unix'><source mode='bind' path='%s'/><target port='0'/></serial>
                    <console type='unix'><source mode='bind' path='%s'/><target type='serial' port='0'/></console>
                    <memballoon model='none'/>
                  </devices>
                </domain>
                """.formatted(name, kernel, initrd, serialSocket, serialSocket);
    }

    /** newc ("070701") cpio writer. */
    static final class Cpio {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private int ino = 1;

        void dir(String name) {
            entry(name, 0040755, new byte[0], 0, 0);
        }

        void file(String name, byte[] data, int perm) {
            entry(name, 0100000 | perm, data, 0, 0);
        }

        void charDevice(String name, int major, int minor) {
            entry(name, 0020600, new byte[0], major, minor);
        }

        private void entry(String name, int mode, byte[] data, int rmajor, int rminor) {
            byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            String h = "070701" + hex(ino++) + hex(mode) + hex(0) + hex(0) + hex((mode & 0040000) != 0 ? 2 : 1)
                    + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(rmajor) + hex(rminor) + hex(n.length)
                    + hex(0);
            buf.writeBytes(h.getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(n);
            pad();
            buf.writeBytes(data);
            pad();
        }

        private void pad() {
            while (buf.size() % 4 != 0) {
                buf.write(0);
            }
        }

        void finish(OutputStream out) throws IOException {
            entry("TRAILER!!!", 0, new byte[0], 0, 0);
            out.write(buf.toByteArray());
        }

        private static String hex(int v) {
            return String.format("%08X", v);
        }
    }
}
