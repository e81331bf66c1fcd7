package io.jvirt.cli;

import io.jvirt.apiserver.ApiServer;
import io.jvirt.apiserver.security.Identity;
import io.jvirt.apiserver.security.Kubeconfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** The {@code jvirt} command. */
public final class Main {
    private static final String USAGE = """
            usage: jvirt <command> [options]

            commands:
              up [--data-dir DIR] [--port N] [--host ADDR]
                                   run the platform in the foreground (API server); writes DIR/kubeconfig
                                   when ready. Stop it with Ctrl+C or SIGTERM.
              kubeconfig [--data-dir DIR] [--user admin|viewer]
                                   print the kubeconfig of a data dir (default ~/.jvirt)
              version              print the version
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        try {
            return switch (args[0]) {
                case "up" -> up(new Options(rest), out);
                case "kubeconfig" -> kubeconfig(new Options(rest), out, err);
                case "version" -> {
                    out.println("jvirt " + version());
                    yield 0;
                }
                default -> {
                    err.println("jvirt: unknown command \"" + args[0] + "\"\n");
                    err.print(USAGE);
                    yield 2;
                }
            };
        } catch (UsageException e) {
            err.println("jvirt " + args[0] + ": " + e.getMessage());
            return 2;
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static int up(Options o, PrintStream out) {
        Path dir = o.dataDir();
        int port = o.intValue("--port", ApiServer.Config.DEFAULT_PORT);
        String host = o.value("--host", "127.0.0.1");
        o.done();
        ApiServer server;
        try {
            server = ApiServer.start(new ApiServer.Config(dir, host, port));
        } catch (Exception e) {
            System.err.println("jvirt up: could not start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "jvirt-shutdown"));
        out.println("jvirt is running at " + server.url());
        out.println("kubeconfig: " + server.kubeconfig());
        out.println("  export KUBECONFIG=" + server.kubeconfig());
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static int kubeconfig(Options o, PrintStream out, PrintStream err) {
        Path dir = o.dataDir();
        String user = o.value("--user", "admin");
        o.done();
        Identity id = Identity.byName(user);
        if (id == null) {
            throw new UsageException("--user must be admin or viewer, got \"" + user + "\"");
        }
        Path file = Kubeconfig.path(dir, id);
        try {
            out.print(Files.readString(file));
            return 0;
        } catch (NoSuchFileException e) {
            err.println("jvirt kubeconfig: " + file + " does not exist yet; start the platform with `jvirt up"
                    + (o.explicitDataDir ? " --data-dir " + dir : "") + "` first");
            return 1;
        } catch (IOException e) {
            err.println("jvirt kubeconfig: cannot read " + file + ": " + e.getMessage());
            return 1;
        }
    }

    /** Minimal {@code --flag value} / {@code --flag=value} parsing with clear errors. */
    static final class Options {
        private final List<String> args;
        boolean explicitDataDir;

        Options(List<String> args) {
            this.args = new ArrayList<>(args);
        }

        Path dataDir() {
            String d = value("--data-dir", null);
            explicitDataDir = d != null;
            return d != null ? Path.of(d).toAbsolutePath() : Path.of(System.getProperty("user.home"), ".jvirt");
        }

        String value(String flag, String def) {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (a.equals(flag)) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException(flag + " needs a value");
                    }
                    String v = args.get(i + 1);
                    args.remove(i + 1);
                    args.remove(i);
                    return v;
                }
                if (a.startsWith(flag + "=")) {
                    args.remove(i);
                    return a.substring(flag.length() + 1);
                }
            }
            return def;
        }

        int intValue(String flag, int def) {
            String v = value(flag, null);
            if (v == null) {
                return def;
            }
            try {
                int n = Integer.parseInt(v);
                if (n < 0 || n > 65535) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new UsageException(flag + " must be a port number 0-65535, got \"" + v + "\"");
            }
        }

        void done() {
            if (!args.isEmpty()) {
                throw new UsageException("unexpected argument \"" + args.getFirst() + "\"");
            }
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
