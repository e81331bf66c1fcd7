package io.jvirt.node.console;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The serial consoles of this node's guests, one {@link SerialHub} per running guest. */
public final class ConsoleHubs implements AutoCloseable {
    private final Map<String, SerialHub> hubs = new ConcurrentHashMap<>();

    private static String key(String ns, String name) {
        return ns + "/" + name;
    }

    /** The guest's hub, connecting it on first use. */
    public SerialHub ensure(String ns, String name, Path serialSocket) {
        return hubs.computeIfAbsent(key(ns, name), k -> {
            SerialHub h = new SerialHub(serialSocket);
            h.start();
            return h;
        });
    }

    public Optional<SerialHub> get(String ns, String name) {
        return Optional.ofNullable(hubs.get(key(ns, name)));
    }

    public void close(String ns, String name) {
        SerialHub h = hubs.remove(key(ns, name));
        if (h != null) {
            h.close();
        }
    }

    @Override
    public void close() {
        hubs.values().forEach(SerialHub::close);
        hubs.clear();
    }
}
