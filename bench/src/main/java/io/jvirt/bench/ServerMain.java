package io.jvirt.bench;

import io.jvirt.apiserver.ApiServer;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * The API server as the benchmark's separate process: {@code ServerMain DATA_DIR PORT}. Prints one line
 * {@code READY <url> <kubeconfig> <pid>} on stdout once it serves, then runs until its stdin reaches end of file
 * (the driver closes it to stop the server, and a driver that dies takes the server with it) or it gets SIGTERM.
 */
public final class ServerMain {
    private ServerMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ServerMain DATA_DIR PORT");
            System.exit(2);
        }
        ApiServer server = ApiServer.start(new ApiServer.Config(Path.of(args[0]), "127.0.0.1",
                Integer.parseInt(args[1])));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bench-server-shutdown"));
        System.out.println("READY " + server.url() + " " + server.kubeconfig() + " " + ProcessHandle.current().pid());
        System.out.flush();
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // wait for end of file
        }
        server.close();
        System.exit(0);
    }
}
