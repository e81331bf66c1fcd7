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
              up [--data-dir DIR] [--port N] [--host ADDR] [--cpu-manager-policy none|static]
                 [--reserved-cpus LIST] [--cpu-manager-policy-options full-pcpus-only=true]
                                   run the platform in the foreground (API server, controllers, node agent
                                   with its own libvirtd); writes DIR/kubeconfig when ready. Stop it with
                                   Ctrl+C or SIGTERM (guests keep running under libvirt).
              kubeconfig [--data-dir DIR] [--user admin|viewer]
                                   print the kubeconfig of a data dir (default ~/.jvirt)
              version              print the version

            virtual machines (like virtctl; reads KUBECONFIG or --kubeconfig, -n/--namespace):
              start VM             start a VirtualMachine
              stop VM [--grace-period N] [--force]
                                   stop it (ACPI shutdown; destroyed after the grace period)
              restart VM           restart it
              pause vm|vmi NAME    pause the guest            unpause vm|vmi NAME   resume it
              soft-reboot VMI      reboot the guest OS (ACPI)
              console VMI          attach to the serial console (Ctrl+] leaves)
              vnc VMI --proxy-only [--port N]
                                   print a local port for any VNC viewer and proxy it to the guest
              guestosinfo VMI      guest OS information from the guest agent
              userlist VMI         users logged in to the guest (guest agent)
              fslist VMI           file systems mounted in the guest (guest agent)
              image import NAME FILE [--data-dir DIR]
                                   store a disk image under a containerDisk reference (e.g.
                                   quay.io/kubevirt/cirros-container-disk-demo)
              image pull REF [--data-dir DIR] [--insecure] [--authfile FILE]
                                   pull a containerDisk image from its registry into the store
                                   (--insecure: plain HTTP; credentials from FILE or ~/.docker/config.json)
              image list [--data-dir DIR]
                                   list the stored images
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
                case "start", "stop", "restart", "pause", "unpause", "soft-reboot", "console", "vnc", "guestosinfo",
                     "userlist", "fslist" ->
                        virtctl(args[0], new Options(rest), out, err);
                case "image" -> Images.run(new Options(rest), out, err);
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

    private static int virtctl(String verb, Options o, PrintStream out, PrintStream err) {
        String kubeconfig = o.value("--kubeconfig", null);
        String ns = o.value("--namespace", o.value("-n", null));
        String grace = o.value("--grace-period", null);
        boolean force = o.flag("--force");
        boolean proxyOnly = o.flag("--proxy-only");
        String port = o.value("--port", "0");
        List<String> words = o.remaining();
        String kind = "vm";
        if (verb.equals("pause") || verb.equals("unpause")) {
            if (words.size() != 2 || !(words.get(0).equals("vm") || words.get(0).equals("vmi"))) {
                throw new UsageException("usage: jvirt " + verb + " vm|vmi NAME");
            }
            kind = words.get(0);
            words = words.subList(1, 2);
        }
        if (words.size() != 1) {
            throw new UsageException("usage: jvirt " + verb + " NAME (got " + words + ")");
        }
        String name = words.getFirst();
        ApiClient api = ApiClient.fromKubeconfig(ApiClient.kubeconfigPath(kubeconfig), ns);
        VirtctlVerbs v = new VirtctlVerbs(api, out, err);
        try {
            return switch (verb) {
                case "start" -> v.vmAction("start", name, null, "start");
                case "stop" -> {
                    if (force && grace == null) {
                        throw new UsageException("--force needs --grace-period (e.g. --force --grace-period=0)");
                    }
                    yield v.vmAction("stop", name, grace == null ? null : "{\"gracePeriod\":" + parseGrace(grace) + "}",
                            "stop");
                }
                case "restart" -> v.vmAction("restart", name, null, "restart");
                case "pause", "unpause" -> v.vmiAction(verb, name, verb);
                case "soft-reboot" -> v.vmiAction("softreboot", name, "soft reboot");
                case "guestosinfo" -> v.guestAgent(verb, "guestosinfo", name);
                case "userlist" -> v.guestAgent(verb, "userlist", name);
                case "fslist" -> v.guestAgent(verb, "filesystemlist", name);
                case "console" -> v.console(name, System.in, System.out);
                case "vnc" -> {
                    if (!proxyOnly) {
                        throw new UsageException("only --proxy-only is supported: it prints a local port for any VNC "
                                + "viewer (e.g. `vncviewer 127.0.0.1:PORT`)");
                    }
                    yield v.vncProxy(name, Integer.parseInt(port));
                }
                default -> throw new UsageException("unknown verb " + verb);
            };
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            err.println("jvirt " + verb + ": " + e.getMessage());
            return 1;
        }
    }

    private static long parseGrace(String g) {
        try {
            long v = Long.parseLong(g);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException("--grace-period must be a non-negative number of seconds, got \"" + g + "\"");
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
        java.util.List<String> kubelet = new java.util.ArrayList<>();
        for (String flag : new String[] {"--cpu-manager-policy", "--reserved-cpus", "--cpu-manager-policy-options"}) {
            String v = o.value(flag, null);
            if (v != null) {
                kubelet.add(flag + "=" + v);
            }
        }
        o.done();
        Platform platform;
        try {
            platform = Platform.start(new ApiServer.Config(dir, host, port), kubelet);
        } catch (Exception e) {
            System.err.println("jvirt up: could not start: " + e.getMessage());
            return 1;
        }
        ApiServer server = platform.server();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            platform.close();
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

        boolean flag(String name) {
            boolean present = args.remove(name);
            return present;
        }

        List<String> remaining() {
            for (String a : args) {
                if (a.startsWith("--")) {
                    throw new UsageException("unknown option \"" + a + "\"");
                }
            }
            return List.copyOf(args);
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
