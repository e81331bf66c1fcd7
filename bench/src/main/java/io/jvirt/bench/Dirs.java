package io.jvirt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Directory trees the benches make and remove. */
final class Dirs {
    private Dirs() {
    }

    /**
     * Deletes {@code dir} and everything below it, if it exists. Deletes all it can, then throws the first failure.
     */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> s = Files.walk(dir)) {
            paths = s.sorted(Comparator.reverseOrder()).toList();
        }
        IOException first = null;
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Makes {@code dir} an empty directory. */
    static void reset(Path dir) throws IOException {
        delete(dir);
        Files.createDirectories(dir);
    }
}
