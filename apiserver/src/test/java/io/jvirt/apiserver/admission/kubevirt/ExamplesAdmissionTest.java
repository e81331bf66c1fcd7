package io.jvirt.apiserver.admission.kubevirt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.kubevirt.ClusterConfig;
import io.jvirt.api.resources.ResourceType;
import io.jvirt.apiserver.admission.AdmissionChain;
import io.jvirt.apiserver.admission.AdmissionRequest;
import io.jvirt.apiserver.admission.AdmissionRequest.Operation;
import io.jvirt.apiserver.admission.SchemaValidation;
import io.jvirt.apiserver.http.ApiException;
import io.jvirt.apiserver.http.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Every VM and VMI in the repository's {@code examples/} passes admission with the default cluster config. */
class ExamplesAdmissionTest {
    private static final Path EXAMPLES = Path.of("..", "examples");

    @Test
    void examplesAreAdmitted() throws IOException {
        AdmissionChain chain = new AdmissionChain().add(new SchemaValidation())
                .add(new KubevirtAdmission(ClusterConfig::defaults));
        List<String> failures = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (MappingIterator<JsonNode> docs = Json.YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
                    while (docs.hasNext()) {
                        JsonNode doc = docs.next();
                        String kind = doc.path("kind").asText();
                        if (!(doc instanceof ObjectNode o)
                                || !(kind.equals("VirtualMachine") || kind.equals("VirtualMachineInstance"))) {
                            continue;
                        }
                        ResourceType rt = kind.equals("VirtualMachine") ? KubevirtAdmissionTest.VM
                                : KubevirtAdmissionTest.VMI;
                        checked++;
                        try {
                            chain.admit(new AdmissionRequest(Operation.CREATE, rt, null, o, null, "jvirt-admin",
                                    true, "Strict"));
                        } catch (ApiException e) {
                            failures.add(f.getFileName() + ": " + e.getMessage());
                        }
                    }
                }
            }
        }
        assertThat(checked).isPositive();
        assertThat(failures).isEmpty();
    }
}
