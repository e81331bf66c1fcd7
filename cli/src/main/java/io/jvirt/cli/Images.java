package io.jvirt.cli;

import io.jvirt.launcher.storage.ImagePuller;
import io.jvirt.launcher.storage.ImageStore;
import io.jvirt.launcher.storage.StorageException;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code jvirt image import NAME FILE}, {@code jvirt image pull REF} and {@code jvirt image list}: the node's local
 * containerDisk store.
 */
final class Images {
    private static final String USAGE = "usage: jvirt image import NAME FILE | jvirt image pull REF [--insecure] "
            + "[--authfile FILE] | jvirt image list";

    private Images() {
    }

    static int run(Main.Options o, PrintStream out, PrintStream err) {
        Path dataDir = o.dataDir();
        boolean insecure = o.flag("--insecure");
        String authFile = o.value("--authfile", null);
        List<String> words = o.remaining();
        if (words.isEmpty()) {
            throw new Main.UsageException(USAGE);
        }
        if (!words.getFirst().equals("pull") && (insecure || authFile != null)) {
            throw new Main.UsageException("--insecure and --authfile apply to `jvirt image pull` only");
        }
        ImageStore store = new ImageStore(Platform.imageDir(dataDir));
        try {
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
                case "pull" -> {
                    if (words.size() != 2) {
                        throw new Main.UsageException("usage: jvirt image pull REF [--insecure] [--authfile FILE]");
                    }
                    ImagePuller.Pulled p = new ImagePuller(store).pull(words.get(1), authFile(authFile), insecure);
                    out.println((p.downloaded() ? "pulled " : "up to date: ") + p.image().source() + " ("
                            + p.image().digest() + ") as " + p.image());
                    return 0;
                }
                case "list" -> {
                    store.list().forEach(out::println);
                    return 0;
                }
                default -> throw new Main.UsageException("unknown image command \"" + words.getFirst()
                        + "\" (use import, pull or list)");
            }
        } catch (StorageException e) {
            err.println("jvirt image " + words.getFirst() + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * Credentials for {@code pull}: {@code --authfile FILE}, else Docker's own config
     * ({@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}) if it exists, as {@code docker pull} would
     * use it; null for none.
     */
    private static ImagePuller.PullSecret authFile(String given) {
        Path file;
        if (given != null) {
            file = Path.of(given);
            if (!Files.isRegularFile(file)) {
                throw new Main.UsageException("no such file: " + file);
            }
        } else {
            String dockerConfig = System.getenv("DOCKER_CONFIG");
            file = dockerConfig != null ? Path.of(dockerConfig, "config.json")
                    : Path.of(System.getProperty("user.home"), ".docker", "config.json");
            if (!Files.isRegularFile(file)) {
                return null;
            }
        }
        Path f = file;
        return new ImagePuller.PullSecret("auth file " + f, () -> {
            try {
                return Map.of(".dockerconfigjson", Files.readString(f));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
