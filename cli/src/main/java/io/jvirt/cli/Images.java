package io.jvirt.cli;

import io.jvirt.launcher.storage.ImageStore;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code jvirt image import NAME FILE} and {@code jvirt image list}: the node's local containerDisk store. */
final class Images {
    private Images() {
    }

    static int run(Main.Options o, PrintStream out, PrintStream err) {
        Path dataDir = o.dataDir();
        List<String> words = o.remaining();
        if (words.isEmpty()) {
            throw new Main.UsageException("usage: jvirt image import NAME FILE | jvirt image list");
        }
        ImageStore store = new ImageStore(Platform.imageDir(dataDir));
        switch (words.getFirst()) {
            case "import" -> {
                if (words.size() != 3) {
                    throw new Main.UsageException("usage: jvirt image import NAME FILE");
                }
                Path file = Path.of(words.get(2));
                if (!Files.isRegularFile(file)) {
                    throw new Main.UsageException("no such file: " + file);
                }
                var img = store.importImage(words.get(1), file);
                out.println("imported " + file + " as " + img);
                return 0;
            }
            case "list" -> {
                store.list().forEach(out::println);
                return 0;
            }
            default -> throw new Main.UsageException("unknown image command \"" + words.getFirst()
                    + "\" (use import or list)");
        }
    }
}
