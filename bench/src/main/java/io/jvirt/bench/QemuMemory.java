package io.jvirt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A QEMU process's memory from {@code /proc/PID/smaps}, in KiB. Guest RAM is the anonymous private mapping of
 * exactly the guest's memory size; the TCG translation cache is QEMU's anonymous read-write-execute mapping
 * (code_gen_buffer).
 *
 * @param rssKiB      resident, all mappings
 * @param guestRamKiB resident of the guest's RAM
 * @param tcgKiB      resident of the TCG translation cache
 * @param pssKiB      proportional set size, all mappings
 */
record QemuMemory(long rssKiB, long guestRamKiB, long tcgKiB, long pssKiB) {
    private static final Pattern HEADER = Pattern.compile("^[0-9a-f]+-[0-9a-f]+ (\\S+) \\S+ \\S+ (\\d+)\\s*(.*)$");
    /** The smallest read-write-execute mapping counted as the TCG translation cache, KiB. */
    private static final long TCG_MIN_KIB = 4 * 1024;

    /** Reads the memory of the QEMU {@code pid} whose guest has {@code guestKiB} of RAM; null when it is gone. */
    static QemuMemory read(long pid, long guestKiB) {
        if (pid <= 0) {
            return null;
        }
        try {
            return parse(Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps")), guestKiB);
        } catch (IOException e) {
            return null;
        }
    }

    static QemuMemory parse(List<String> smaps, long guestKiB) {
        long rss = 0;
        long pss = 0;
        long ram = 0;
        long tcg = 0;
        boolean ramFound = false;
        String perms = "";
        boolean anon = false;
        long size = 0;
        for (String l : smaps) {
            Matcher h = HEADER.matcher(l);
            if (h.matches()) {
                perms = h.group(1);
                anon = h.group(2).equals("0") && h.group(3).isEmpty();
                size = -1;
                continue;
            }
            if (l.startsWith("Size:")) {
                size = ProcFs.number(l);
            } else if (l.startsWith("Rss:")) {
                long r = ProcFs.number(l);
                rss += r;
                if (anon && perms.equals("rw-p") && size == guestKiB && !ramFound) {
                    ram = r;
                    ramFound = true;
                } else if (anon && perms.equals("rwxp") && size >= TCG_MIN_KIB) {
                    tcg += r;
                }
            } else if (l.startsWith("Pss:")) {
                pss += ProcFs.number(l);
            }
        }
        return new QemuMemory(rss, ram, tcg, pss);
    }
}
