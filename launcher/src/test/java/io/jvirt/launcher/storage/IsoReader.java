package io.jvirt.launcher.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Reads an ISO back with xorriso (test helper). */
final class IsoReader {

    private IsoReader() {
    }

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/xorriso")) && Files.isExecutable(Path.of("/usr/bin/xorrisofs"));
    }

    static String volumeId(Path iso) throws Exception {
        for (String line : run("xorriso", "-indev", iso.toString(), "-pvd_info")) {
            if (line.startsWith("Volume Id")) {
                return line.substring(line.indexOf(':') + 1).strip();
            }
        }
        throw new AssertionError("no volume id in " + iso);
    }

    /** Regular files in the ISO, as absolute ISO paths ("/meta-data"). */
    static List<String> files(Path iso) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : run("xorriso", "-indev", iso.toString(), "-find", "/", "-type", "f")) {
            if (line.startsWith("'")) {
                out.add(line.substring(1, line.length() - 1));
            }
        }
        return out;
    }

    /** Extracts the whole ISO into {@code dir}. */
    static Path extract(Path iso, Path dir) throws Exception {
        run("xorriso", "-osirrox", "on", "-indev", iso.toString(), "-extract", "/", dir.toString());
        return dir;
    }

    private static List<String> run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.getErrorStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed");
        }
        return out.lines().toList();
    }
}
