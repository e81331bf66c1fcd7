package io.jvirt.launcher.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class BlobsInUseTest {

    @TempDir
    Path data;

    private Path domainXml(String ns, String name, String xml) throws Exception {
        Path dir = Files.createDirectories(data.resolve("vmis").resolve(ns).resolve(name));
        return Files.writeString(dir.resolve("domain.xml"), xml);
    }

    @Test
    void backingFilesUnderTheBlobsDirectoryAreInUse() throws Exception {
        Path blobs = Files.createDirectories(data.resolve("images/blobs"));
        domainXml("default", "a", """
                <domain type='qemu'><devices>
                  <disk type='file' device='disk'>
                    <source file='%s/vmis/default/a/disks/rootdisk.qcow2'/>
                    <backingStore type='file'><format type='qcow2'/><source file='%s/1-old.qcow2'/></backingStore>
                  </disk>
                  <disk type='file' device='disk'><source file='/elsewhere/seed.iso'/></disk>
                </devices></domain>""".formatted(data, blobs));
        domainXml("other", "b", "<domain><devices><disk><source file=\"%s/2-new.raw\"/></disk></devices></domain>"
                .formatted(blobs));
        Files.createDirectories(data.resolve("vmis/other/no-domain-yet"));

        assertThat(BlobsInUse.scan(data.resolve("vmis"), blobs))
                .containsExactlyInAnyOrder(blobs.resolve("1-old.qcow2"), blobs.resolve("2-new.raw"));
    }

    @Test
    void noVmiDirectoryMeansNothingInUse() {
        assertThat(BlobsInUse.scan(data.resolve("vmis"), data.resolve("images/blobs"))).isEmpty();
    }
}
