package io.jvirt.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line of {@link VmStartBench}.
 *
 * @param work         the work directory (logs, captured domain, the platform's data directory)
 * @param qemuTbSize   TCG translation cache of the direct QEMU baseline in MiB, or null for QEMU's default
 * @param out          where to write the report besides stdout, or null
 */
record VmBenchOptions(Path repo, Path guestDir, Path work, int runs, int density, String densityMemory,
                      Duration loginTimeout, Duration densityTimeout, Duration densityStall, String qemuTbSize,
                      boolean keep, Path out) {
    static final String USAGE = "usage: VmStartBench --repo DIR --guest-dir DIR [--runs N] [--density N] "
            + "[--density-memory Q] [--out FILE] [--work DIR] [--login-timeout S] [--density-timeout S] "
            + "[--density-stall S] [--qemu-tb-size MIB] [--keep]";

    /**
     * Reads {@code --option value}, {@code --option=value} and the flag {@code --keep}.
     *
     * @return the options, or null when an argument is neither (the caller prints {@link #USAGE})
     * @throws IllegalArgumentException when --repo or --guest-dir is missing
     */
    static VmBenchOptions parse(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--keep")) {
                o.put(a, "true");
            } else if (a.startsWith("--") && a.contains("=")) {
                o.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("--") && i + 1 < args.length) {
                o.put(a, args[++i]);
            } else {
                return null;
            }
        }
        String stamp = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return new VmBenchOptions(
                Path.of(required(o, "--repo")).toAbsolutePath().normalize(),
                Path.of(required(o, "--guest-dir")).toAbsolutePath().normalize(),
                Path.of(o.getOrDefault("--work", System.getProperty("java.io.tmpdir") + "/jvirt-vmbench-" + stamp))
                        .toAbsolutePath().normalize(),
                Integer.parseInt(o.getOrDefault("--runs", "10")),
                Integer.parseInt(o.getOrDefault("--density", "20")),
                o.getOrDefault("--density-memory", "128Mi"),
                seconds(o, "--login-timeout", "180"),
                seconds(o, "--density-timeout", "600"),
                seconds(o, "--density-stall", "120"),
                o.get("--qemu-tb-size"),
                o.containsKey("--keep"),
                o.containsKey("--out") ? Path.of(o.get("--out")) : null);
    }

    /** The platform's data directory, inside the work directory. */
    Path data() {
        return work.resolve("data");
    }

    private static String required(Map<String, String> o, String k) {
        String v = o.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing " + k);
        }
        return v;
    }

    private static Duration seconds(Map<String, String> o, String k, String def) {
        return Duration.ofSeconds(Long.parseLong(o.getOrDefault(k, def)));
    }
}
