package io.jvirt.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The jvirt test guest (docs/test-guest.md), built once per run by {@code scripts/build-test-guest.sh}, which
 * caches it (a no-op while its inputs are unchanged).
 */
final class TestGuest {
    private static Path dir;

    private TestGuest() {
    }

    /** The repository root: {@code -Djvirt.repo} (set by the e2e pom), else the first parent holding the script. */
    static Path repo() {
        String prop = System.getProperty("jvirt.repo");
        if (prop != null && Files.isExecutable(Path.of(prop, "scripts", "build-test-guest.sh"))) {
            return Path.of(prop);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("scripts/build-test-guest.sh"))) {
                return d;
            }
        }
        throw new AssertionError("scripts/build-test-guest.sh not found above " + Path.of("").toAbsolutePath());
    }

    /** The directory holding {@code disk.qcow2}, {@code vmlinuz} and {@code initrd.img}. */
    static synchronized Path dir() throws IOException, InterruptedException {
        if (dir != null) {
            return dir;
        }
        Path script = repo().resolve("scripts/build-test-guest.sh");
        Path log = Files.createTempFile("build-test-guest", ".log");
        Process p = new ProcessBuilder(script.toString())
                .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(script + " did not finish in 15 minutes; log:\n" + Files.readString(log));
        }
        if (p.exitValue() != 0 || out.isEmpty()) {
            throw new AssertionError(script + " failed (exit " + p.exitValue() + "); stdout:\n" + out + "\nlog:\n"
                    + Files.readString(log));
        }
        Path d = Path.of(out.substring(out.lastIndexOf('\n') + 1).strip());
        if (!Files.isRegularFile(d.resolve("disk.qcow2"))) {
            throw new AssertionError(script + " printed " + d + ", which holds no disk.qcow2; log:\n"
                    + Files.readString(log));
        }
        Files.deleteIfExists(log);
        dir = d;
        return d;
    }
}
