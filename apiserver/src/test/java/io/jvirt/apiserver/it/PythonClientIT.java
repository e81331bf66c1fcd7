package io.jvirt.apiserver.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The official Python client (Debian's python3-kubernetes, 22.6) against a real server: the script
 * {@code src/test/resources/python/vm_crud.py} does VirtualMachine CRUD and watch through CustomObjectsApi and
 * ConfigMap CRUD through CoreV1Api, printing a checkpoint per step.
 */
class PythonClientIT {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final List<String> CHECKPOINTS = List.of("namespace-created", "vm-created", "vm-create-conflict",
            "vm-read", "vm-listed", "vm-patched", "vm-replaced", "vm-deleted", "vm-watched", "configmap-crud",
            "namespace-deleted", "done");

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        ensurePythonClient();
        server = TestServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void virtualMachineCrudWatchAndConfigMaps() throws Exception {
        Path script = Path.of(PythonClientIT.class.getResource("/python/vm_crud.py").toURI());
        Result r = exec(List.of(PYTHON.toString(), script.toString(), server.kubeconfig().toString(), "python-client"),
                3);
        List<String> reached = r.out().lines().filter(l -> l.startsWith("CHECKPOINT "))
                .map(l -> l.substring("CHECKPOINT ".length())).toList();
        assertThat(r.exit()).as("vm_crud.py exit code\nstdout:\n%s\nstderr:\n%s", r.out(), r.err()).isZero();
        assertThat(reached).as("checkpoints\nstderr:\n%s", r.err()).containsExactlyElementsOf(CHECKPOINTS);
        assertThat(r.out()).contains("python kubernetes client ");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private record Result(int exit, String out, String err) {
    }

    /** Installs python3-kubernetes when missing (Debian, as root), or skips the class saying why. */
    private static void ensurePythonClient() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            abort(PYTHON + " not found; install python3 and python3-kubernetes (scripts/prereqs.sh test)");
        }
        if (hasClient()) {
            return;
        }
        Path aptGet = Path.of("/usr/bin/apt-get");
        if (!Files.isExecutable(aptGet) || !"root".equals(System.getProperty("user.name"))) {
            abort("the Python kubernetes client is not installed and cannot be installed here (needs root and "
                    + "apt-get); run: apt-get install python3-kubernetes (or scripts/prereqs.sh test)");
        }
        Result install = exec(List.of(aptGet.toString(), "install", "-y", "-qq", "python3-kubernetes"), 10);
        if (install.exit() != 0 || !hasClient()) {
            abort("the Python kubernetes client is not installed and `apt-get install -y python3-kubernetes` "
                    + "failed (exit " + install.exit() + "): " + tail(install.err() + install.out()));
        }
    }

    private static boolean hasClient() throws IOException, InterruptedException {
        return exec(List.of(PYTHON.toString(), "-c", "import kubernetes"), 1).exit() == 0;
    }

    private static Result exec(List<String> cmd, int minutes) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        pb.environment().put("PYTHONUNBUFFERED", "1");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = Files.createTempFile(dir, "proc", ".out");
        Path err = Files.createTempFile(dir, "proc", ".err");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + minutes + " minute(s)\nstdout:\n"
                    + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : "…" + s.substring(s.length() - 2000);
    }
}
