package io.jvirt.e2e;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reserves {@link #PAGES} 2Mi hugepages ({@code /proc/sys/vm/nr_hugepages}) and makes sure a hugetlbfs for them is
 * mounted ({@code /dev/hugepages}, mounted here if no 2M hugetlbfs is) before a test class starts — so before its
 * platform starts: the node agent reads the hugepage pools once at start, and the private libvirtd's mount namespace
 * holds only the mounts that exist when it is created. After the class (its platform, libvirtd and guests stopped by
 * then: extension callbacks run after {@code @AfterAll} methods) the old page count is written back and what was
 * mounted here is unmounted. Needs root.
 */
final class HugepagesReserved implements BeforeAllCallback, AfterAllCallback {
    /** 512 MiB: the 64-page guest of the hugepage test, or the 192-page (384Mi, UEFI) seed 000 guest. */
    static final long PAGES = 256;
    static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");
    static final Path MOUNT_POINT = Path.of("/dev/hugepages");

    private static long oldPages = -1;
    private static boolean mounted;
    private static boolean createdMountPoint;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        oldPages = readLong(NR_HUGEPAGES);
        if (oldPages < PAGES) {
            Files.writeString(NR_HUGEPAGES, Long.toString(PAGES));
            long now = readLong(NR_HUGEPAGES);
            if (now < PAGES) {
                restorePages();
                throw new AssertionError("could reserve only " + now + " of " + PAGES + " 2Mi hugepages (memory too "
                        + "fragmented?); free some memory or reserve them at boot (hugepages=" + PAGES + ")");
            }
        }
        if (!hugetlbfs2MMounted()) {
            if (!Files.isDirectory(MOUNT_POINT)) {
                Files.createDirectories(MOUNT_POINT);
                createdMountPoint = true;
            }
            Kubectl.Result r = Kubectl.exec(null, List.of("mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "hugetlbfs",
                    MOUNT_POINT.toString()));
            if (r.exitCode() != 0) {
                cleanUp();
                throw new AssertionError("cannot mount hugetlbfs on " + MOUNT_POINT + ": " + r);
            }
            mounted = true;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        cleanUp();
    }

    private static void cleanUp() throws IOException {
        if (mounted) {
            Kubectl.Result r = Kubectl.exec(null, List.of("umount", MOUNT_POINT.toString()));
            if (r.exitCode() != 0) {
                System.err.println("HugepagesReserved: umount " + MOUNT_POINT + ": " + r);
            }
            mounted = false;
        }
        if (createdMountPoint) {
            Files.deleteIfExists(MOUNT_POINT);
            createdMountPoint = false;
        }
        restorePages();
    }

    private static void restorePages() throws IOException {
        if (oldPages >= 0 && readLong(NR_HUGEPAGES) != oldPages) {
            Files.writeString(NR_HUGEPAGES, Long.toString(oldPages));
        }
        oldPages = -1;
    }

    /** Whether a hugetlbfs of the 2M page size (the default on x86) is mounted. */
    static boolean hugetlbfs2MMounted() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split("\\s+");
            if (f.length >= 4 && f[2].equals("hugetlbfs")
                    && (f[3].contains("pagesize=2M") || !f[3].contains("pagesize="))) {
                return true;
            }
        }
        return false;
    }

    /** A /proc/meminfo value ({@code HugePages_Free}, ...). */
    static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                String[] f = line.trim().split("\\s+");
                if (f[0].equals(key + ":")) {
                    return Long.parseLong(f[1]);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/meminfo", e);
        }
        throw new AssertionError("no " + key + " in /proc/meminfo");
    }

    /**
     * Not {@code Files.readString}: it reads integer sysctls in two steps and the kernel answers a read at a non-zero
     * offset with EOF, so "256" comes back as "2".
     */
    private static long readLong(Path p) throws IOException {
        return Long.parseLong(Files.readAllLines(p).getFirst().strip());
    }
}
