package io.jvirt.launcher.domain;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Golden-file tests: each {@code src/test/resources/domain/<case>.vmi.json} + {@code <case>.ctx.json} must convert to
 * exactly {@code <case>.xml}. Regenerate after an intended change with
 * {@code ./mvnw -o -pl launcher test -Dtest=DomainConverterGoldenTest -Dgolden.update=true}, then review the diff.
 */
class DomainConverterGoldenTest {

    static List<String> cases() {
        return Fixtures.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesGolden(String name) throws Exception {
        String actual = Fixtures.convert(name);
        assertWellFormed(name, actual);
        if (Fixtures.updateGoldens()) {
            // compare with the source tree, not the (possibly stale) copy on the test classpath
            Path golden = Fixtures.sourceDir().resolve(name + ".xml");
            String current = Files.exists(golden) ? Files.readString(golden, StandardCharsets.UTF_8) : null;
            if (!actual.equals(current)) {
                Files.writeString(golden, actual, StandardCharsets.UTF_8);
                System.out.println("updated golden " + golden);
            }
            return;
        }
        String expected = Fixtures.golden(name);
        if (expected == null) {
            fail("no golden file " + Fixtures.DIR + "/" + name + ".xml; run with -Dgolden.update=true to create it. "
                    + "Output:\n" + actual);
        }
        if (!expected.equals(actual)) {
            fail("domain XML of case '" + name + "' differs from " + name + ".xml (regenerate with "
                    + "-Dgolden.update=true if intended):\n" + Fixtures.diff(expected, actual));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isDeterministic(String name) {
        assertEquals(Fixtures.convert(name), Fixtures.convert(name));
    }

    static Document assertWellFormed(String name, String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError("case " + name + " produced malformed XML: " + e.getMessage() + "\n" + xml, e);
        }
    }
}
