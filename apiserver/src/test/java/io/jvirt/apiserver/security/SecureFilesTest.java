package io.jvirt.apiserver.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class SecureFilesTest {

    @TempDir
    Path tmp;

    @Test
    void writePrivateCreatesMode0600AndReplacesAtomically() throws Exception {
        Path f = tmp.resolve("secret");
        SecureFiles.writePrivate(f, "one".getBytes());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        assertThat(Files.readString(f)).isEqualTo("one");
        // an existing target with wider mode is replaced by a new inode that has mode 0600
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
        SecureFiles.writePrivate(f, "two".getBytes());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        assertThat(Files.readString(f)).isEqualTo("two");
        try (var files = Files.list(tmp)) {
            assertThat(files).containsExactly(f);
        }
    }

    @Test
    void privateDirectoryCreatedWith0700() throws Exception {
        Path d = tmp.resolve("a/b/secrets");
        SecureFiles.ensurePrivateDirectory(d);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
        SecureFiles.ensurePrivateDirectory(d); // idempotent
        assertThat(Files.isDirectory(d)).isTrue();
    }
}
