package io.jvirt.launcher.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The image-store blobs that guests on this node still use: every file under the store's {@code blobs/} that the
 * domain XML of a VMI directory ({@code vmis/<namespace>/<name>/domain.xml}, written before the domain is defined)
 * names, in practice as the backing file of a containerDisk overlay. A blob that its reference no longer points at
 * (the image was pulled again and changed) stays until the last such guest is gone.
 */
final class BlobsInUse {
    private static final Pattern FILE = Pattern.compile("file=['\"]([^'\"]+)['\"]");

    private BlobsInUse() {
    }

    static Set<Path> scan(Path vmisDir, Path blobsDir) {
        Path blobs = blobsDir.toAbsolutePath().normalize();
        Set<Path> inUse = new HashSet<>();
        if (!Files.isDirectory(vmisDir)) {
            return inUse;
        }
        try (Stream<Path> namespaces = Files.list(vmisDir)) {
            for (Path ns : namespaces.filter(Files::isDirectory).toList()) {
                try (Stream<Path> vmis = Files.list(ns)) {
                    for (Path vmi : vmis.filter(Files::isDirectory).toList()) {
                        collect(vmi.resolve("domain.xml"), blobs, inUse);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            // a VMI directory went away while we looked: it uses nothing any more
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return inUse;
    }

    private static void collect(Path domainXml, Path blobs, Set<Path> inUse) throws IOException {
        String xml;
        try {
            xml = Files.readString(domainXml);
        } catch (NoSuchFileException e) {
            return;
        }
        Matcher m = FILE.matcher(xml);
        while (m.find()) {
            Path p = Path.of(m.group(1)).toAbsolutePath().normalize();
            if (p.startsWith(blobs)) {
                inUse.add(p);
            }
        }
    }
}
