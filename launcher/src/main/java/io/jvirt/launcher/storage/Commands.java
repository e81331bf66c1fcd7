package io.jvirt.launcher.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs external tools (qemu-img, xorrisofs) with a time limit, capturing their output. */
final class Commands {

    record Result(int exitCode, String stdout, String stderr) {
    }

    private Commands() {
    }

    /** Runs {@code command}; throws {@link StorageException} if it cannot be run, times out, or exits non-zero. */
    static Result run(List<String> command, Duration timeout) {
        Result r = runAllowingFailure(command, timeout);
        if (r.exitCode() != 0) {
            throw new StorageException(command.get(0) + " failed (exit " + r.exitCode() + "): "
                    + firstNonBlank(r.stderr(), r.stdout()).strip());
        }
        return r;
    }

    static Result runAllowingFailure(List<String> command, Duration timeout) {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().put("LC_ALL", "C");
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            p = pb.start();
        } catch (IOException e) {
            throw new StorageException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new StorageException(command.get(0) + " timed out after " + timeout.toSeconds() + " s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while running " + command.get(0), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                in.transferTo(bos);
                return bos.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : b == null ? "" : b;
    }
}
