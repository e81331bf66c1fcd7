package io.jvirt.launcher.domain;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every fixture's domain XML, under KVM and under software emulation, must be accepted by libvirt's RELAX NG schema
 * through {@code virt-xml-validate} (package libvirt-clients). Skipped when the tool is not installed.
 */
class DomainXmlSchemaTest {

    static final Optional<Path> VALIDATOR = findOnPath("virt-xml-validate");
    /** virt-xml-validate is a shell script around xmllint. */
    static final boolean XMLLINT = findOnPath("xmllint").isPresent();

    static java.util.List<String> cases() {
        return Fixtures.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kvmVariantValidates(String name, @TempDir Path tmp) throws Exception {
        validate(name, withKvm(Fixtures.context(name), true), tmp);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void emulatedVariantValidates(String name, @TempDir Path tmp) throws Exception {
        validate(name, withKvm(Fixtures.context(name), false), tmp);
    }

    private static void validate(String name, ConverterContext ctx, Path tmp) throws Exception {
        assumeTrue(VALIDATOR.isPresent() && XMLLINT,
                "virt-xml-validate/xmllint not installed (apt-get install libvirt-clients libxml2-utils)");
        Path file = tmp.resolve(name + ".xml");
        Files.writeString(file, DomainConverter.toXml(Fixtures.vmi(name), ctx), StandardCharsets.UTF_8);
        Process process = new ProcessBuilder(VALIDATOR.get().toString(), file.toString(), "domain")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("virt-xml-validate timed out on " + name);
        }
        assertEquals(0, process.exitValue(), "libvirt schema rejects case " + name + ":\n" + output + "\n"
                + Files.readString(file));
    }

    static ConverterContext withKvm(ConverterContext c, boolean kvm) {
        return c.withKvm(kvm);
    }

    private static Optional<Path> findOnPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                try {
                    return Optional.of(candidate.toRealPath());
                } catch (IOException e) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
