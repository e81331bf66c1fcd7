package io.jvirt.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Commands the benches run, and the processes they start: output, CPU time, JVM probes, stopping by PID. */
final class Processes {
    private Processes() {
    }

    /** Runs a command to its end; its output (stderr merged), or an exception when it fails or overruns. */
    static String run(List<String> cmd, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stop(p);
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish within " + timeout);
        }
        String s = out.join();
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + s.trim());
        }
        return s;
    }

    /** Runs a command for its output (stderr merged), whatever its exit; empty when it cannot run. */
    static String runQuietly(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            return s;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** SIGTERM, then SIGKILL after 10 s; only this process. */
    static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** CPU time (user + system) a process has used so far, in ms; empty when it is unknown or gone. */
    static OptionalLong cpuMs(long pid) {
        if (pid <= 0) {
            return OptionalLong.empty();
        }
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration())
                .map(d -> OptionalLong.of(d.toMillis())).orElse(OptionalLong.empty());
    }

    /** CPU time this driver has used so far, in ms; empty when it is unknown. */
    static OptionalLong selfCpuMs() {
        return cpuMs(ProcessHandle.current().pid());
    }

    /** Runs {@code jcmd PID command} with the jcmd next to {@code java}; its output, or null when unavailable. */
    static String jcmd(Path java, long pid, String command) {
        Path jcmd = java.getParent().resolve("jcmd");
        if (!Files.isExecutable(jcmd)) {
            return null;
        }
        try {
            return run(List.of(jcmd.toString(), Long.toString(pid), command), Duration.ofSeconds(60));
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Heap {used, committed} KiB of a JVM from {@code jcmd PID GC.heap_info}, summed over its generations; null
     * when jcmd is unavailable or names none.
     */
    static long[] heapKiB(Path java, long pid) {
        String out = jcmd(java, pid, "GC.heap_info");
        if (out == null) {
            return null;
        }
        // Serial (JDK 25): "DefNew     total 116160K, used 31005K [...]" and "Tenured    total ..., used ...K";
        // older Serial: "def new generation" / "tenured generation"; G1: "garbage-first heap   total ..., used ...".
        Matcher m = Pattern.compile("(?m)^\\s*(DefNew|Tenured|def new generation|tenured generation|garbage-first heap"
                + "|PSYoungGen|ParOldGen)\\s+total (\\d+)K, used (\\d+)K").matcher(out);
        long used = 0;
        long total = 0;
        boolean any = false;
        while (m.find()) {
            total += Long.parseLong(m.group(2));
            used += Long.parseLong(m.group(3));
            any = true;
        }
        return any ? new long[] {used, total} : null;
    }
}
