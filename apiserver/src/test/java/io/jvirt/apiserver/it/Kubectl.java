package io.jvirt.apiserver.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real kubectl binary (one of the versioned ones installed beside kubectl) against a kubeconfig. */
public record Kubectl(Path binary, Path kubeconfig, Map<String, String> env) {

    public record Result(int exit, String out, String err) {
        public Result ok() {
            if (exit != 0) {
                throw new AssertionError("kubectl failed (exit " + exit + ")\nstdout:\n" + out + "\nstderr:\n" + err);
            }
            return this;
        }
    }

    /** The directory holding kubectl and its versioned siblings ({@code kubectl.1.27} …). */
    public static Path installDir() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path k = Path.of(dir, "kubectl");
            if (Files.isExecutable(k)) {
                try {
                    return k.toRealPath().getParent();
                } catch (IOException e) {
                    return k.getParent();
                }
            }
        }
        return Path.of("/usr/lib/google-cloud-sdk/bin");
    }

    /** The versioned kubectl binaries present, e.g. {@code 1.27} … {@code 1.33}. */
    public static List<String> versions() {
        List<String> out = new ArrayList<>();
        for (int minor = 27; minor <= 33; minor++) {
            if (Files.isExecutable(installDir().resolve("kubectl.1." + minor))) {
                out.add("1." + minor);
            }
        }
        return out;
    }

    public static Kubectl version(String version, Path kubeconfig) {
        return new Kubectl(installDir().resolve("kubectl." + version), kubeconfig, Map.of());
    }

    public Kubectl withEnv(Map<String, String> more) {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.putAll(more);
        return new Kubectl(binary, kubeconfig, Map.copyOf(e));
    }

    public Result run(String... args) {
        return run(null, args);
    }

    /** Runs with {@code stdin} fed to the process (null for none); gives up after two minutes. */
    public Result run(String stdin, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("HOME", kubeconfig.getParent().toString()); // keeps kubectl's cache per test server
        pb.environment().putAll(env);
        try {
            Path out = Files.createTempFile("kubectl", ".out");
            Path err = Files.createTempFile("kubectl", ".err");
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 2 minutes");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError("could not run " + binary + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Starts a long-running kubectl (e.g. {@code get -w}) whose output goes to {@code out}. */
    public Process start(Path out, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("HOME", kubeconfig.getParent().toString());
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(out.toFile());
        return pb.start();
    }
}
