package io.jvirt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/** What the benches read from Linux's /proc: the host, a process's memory, CPU and TCP connections. */
final class ProcFs {
    private ProcFs() {
    }

    /** The number in a /proc line such as {@code "VmRSS:    1234 kB"}. */
    static long number(String line) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
    }

    /** A file's text, or "" when it cannot be read. */
    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** The CPU's model name, or "?". */
    static String cpuModel() {
        for (String l : read(Path.of("/proc/cpuinfo")).split("\n")) {
            if (l.startsWith("model name")) {
                return l.substring(l.indexOf(':') + 1).trim();
            }
        }
        return "?";
    }

    /** The host's memory (MemTotal) in KiB. */
    static OptionalLong memTotalKiB() {
        for (String l : read(Path.of("/proc/meminfo")).split("\n")) {
            if (l.startsWith("MemTotal:")) {
                return OptionalLong.of(number(l));
            }
        }
        return OptionalLong.empty();
    }

    /** /proc/loadavg without its line end, or "" when it cannot be read. */
    static String loadavg() {
        return read(Path.of("/proc/loadavg")).strip();
    }

    /**
     * The numbers of the given lines of {@code /proc/PID/status} (keys with their colon, e.g. {@code "VmRSS:"}), in
     * the order asked; -1 for a line that is missing.
     */
    static long[] status(long pid, String... keys) throws IOException {
        long[] v = new long[keys.length];
        Arrays.fill(v, -1);
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            for (int i = 0; i < keys.length; i++) {
                if (l.startsWith(keys[i])) {
                    v[i] = number(l);
                }
            }
        }
        return v;
    }

    /** {Rss, Pss} KiB of a process from {@code /proc/PID/smaps_rollup}, or zeros when it does not exist. */
    static long[] rssPss(long pid) {
        long rss = 0;
        long pss = 0;
        if (pid <= 0) {
            return new long[] {0, 0};
        }
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (l.startsWith("Rss:")) {
                    rss = number(l);
                } else if (l.startsWith("Pss:")) {
                    pss = number(l);
                }
            }
        } catch (IOException e) {
            return new long[] {0, 0};
        }
        return new long[] {rss, pss};
    }

    /** Machine-wide {busy, total} CPU jiffies from /proc/stat (busy excludes idle and iowait), or zeros. */
    static long[] machineCpu() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** Server-side established TCP connections on {@code port} (from /proc/net/tcp{,6}). */
    static int establishedTo(int port) {
        String hex = String.format(":%04X", port);
        int n = 0;
        for (String f : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String l : Files.readAllLines(Path.of(f))) {
                    String[] c = l.trim().split("\\s+");
                    if (c.length > 3 && c[1].endsWith(hex) && c[3].equals("01")) {
                        n++;
                    }
                }
            } catch (IOException e) {
                // not Linux
            }
        }
        return n;
    }

    /** The device, type and mount point of the file system holding {@code p} (from /proc/mounts), or "?". */
    static String filesystemOf(Path p) {
        try {
            String abs = p.toRealPath().toString();
            String best = "";
            String found = "?";
            for (String l : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = l.split(" ");
                if (f.length > 2 && (abs.equals(f[1]) || abs.startsWith(f[1].endsWith("/") ? f[1] : f[1] + "/"))
                        && f[1].length() > best.length()) {
                    best = f[1];
                    found = f[0] + " (" + f[2] + ", mounted on " + f[1] + ")";
                }
            }
            return found;
        } catch (IOException e) {
            return "?";
        }
    }
}
