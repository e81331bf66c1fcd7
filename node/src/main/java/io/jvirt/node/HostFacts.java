package io.jvirt.node;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the node agent reports about its host, read from procfs/sysfs: CPUs, memory, hugepages per size, kernel,
 * OS image. The sysfs root is configurable so tests can point at fixtures.
 */
public record HostFacts(String hostname, int cpus, long memoryBytes, Map<String, Long> hugepageBytesBySize,
                        String kernelVersion, String osImage, String internalIp, long ephemeralStorageBytes) {

    public static HostFacts read(Path procRoot, Path sysRoot) {
        int cpus = Runtime.getRuntime().availableProcessors();
        long mem = meminfo(procRoot, "MemTotal").orElse(0L) * 1024;
        Map<String, Long> huge = new LinkedHashMap<>();
        Path hp = sysRoot.resolve("kernel/mm/hugepages");
        for (String size : new String[] {"2048kB", "1048576kB"}) {
            Path nr = hp.resolve("hugepages-" + size).resolve("nr_hugepages");
            long pages = readLong(nr).orElse(0L);
            long pageBytes = Long.parseLong(size.replace("kB", "")) * 1024;
            huge.put(size.equals("2048kB") ? "2Mi" : "1Gi", pages * pageBytes);
        }
        String kernel = readString(procRoot.resolve("sys/kernel/osrelease")).orElse("unknown");
        String os = detectOsImage();
        String host = detectHostname();
        String ip = "127.0.0.1";
        long storage;
        try {
            storage = Files.getFileStore(Path.of("/")).getTotalSpace();
        } catch (IOException e) {
            storage = 0;
        }
        return new HostFacts(host, cpus, mem, huge, kernel, os, ip, storage);
    }

    public static HostFacts read() {
        return read(Path.of("/proc"), Path.of("/sys"));
    }

    private static String detectHostname() {
        String env = System.getenv("JVIRT_NODE_NAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase();
        } catch (IOException e) {
            return readString(Path.of("/etc/hostname")).orElse("jvirt-node").toLowerCase();
        }
    }

    private static String detectOsImage() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "Linux";
    }

    private static Optional<Long> meminfo(Path procRoot, String key) {
        try {
            for (String line : Files.readAllLines(procRoot.resolve("meminfo"))) {
                if (line.startsWith(key + ":")) {
                    return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return Optional.empty();
    }

    private static Optional<Long> readLong(Path p) {
        return readString(p).map(s -> {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                return 0L;
            }
        });
    }

    private static Optional<String> readString(Path p) {
        try {
            return Optional.of(Files.readString(p).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
