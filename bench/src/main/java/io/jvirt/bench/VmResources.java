package io.jvirt.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The KubeVirt resources the benches drive, and the VM objects they send, all made from examples/vm-cirros.yaml. */
final class VmResources {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final ResourceDefinitionContext VM = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachine").withPlural("virtualmachines")
            .withNamespaced(true).build();
    static final ResourceDefinitionContext VMI = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachineInstance")
            .withPlural("virtualmachineinstances").withNamespaced(true).build();

    private VmResources() {
    }

    /** examples/vm-cirros.yaml of the repository. */
    static ObjectNode manifest(Path repo) throws IOException {
        return (ObjectNode) new YAMLMapper().readTree(repo.resolve("examples/vm-cirros.yaml").toFile());
    }

    /**
     * The VM the VM start bench creates: the manifest named {@code name}, labelled as the bench's, with
     * runStrategy Always and, unless null, {@code memory} as its memory request.
     */
    static ObjectNode startVm(ObjectNode manifest, String name, String memory) {
        ObjectNode vm = manifest.deepCopy();
        ObjectNode meta = (ObjectNode) vm.get("metadata");
        meta.put("name", name);
        ((ObjectNode) meta.with("labels")).put("kubevirt.io/vm", name).put("jvirt.io/bench", "vm-start");
        ObjectNode spec = (ObjectNode) vm.get("spec");
        spec.put("runStrategy", "Always");
        ObjectNode tpl = (ObjectNode) spec.get("template");
        ((ObjectNode) tpl.with("metadata").with("labels")).put("kubevirt.io/vm", name);
        if (memory != null) {
            ((ObjectNode) tpl.with("spec").with("domain").with("resources").with("requests")).put("memory", memory);
        }
        return vm;
    }

    /**
     * The VM as {@code kubectl apply -f examples/vm-cirros.yaml} sends it: the manifest plus the
     * {@code kubectl.kubernetes.io/last-applied-configuration} annotation holding the manifest's JSON.
     */
    static ObjectNode appliedVm(ObjectNode manifest, String ns, String name) {
        ObjectNode vm = manifest.deepCopy();
        ObjectNode meta = (ObjectNode) vm.get("metadata");
        meta.put("name", name);
        meta.put("namespace", ns);
        vm.withObject("/metadata/labels").put("kubevirt.io/vm", name);
        vm.withObject("/spec/template/metadata/labels").put("kubevirt.io/vm", name);
        String applied;
        try {
            applied = JSON.writeValueAsString(vm) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        meta.putObject("annotations").put("kubectl.kubernetes.io/last-applied-configuration", applied);
        return vm;
    }

    /** Approximately what the store keeps: the request plus the server-set metadata. */
    static byte[] storedForm(ObjectNode vm) throws IOException {
        ObjectNode s = vm.deepCopy();
        ObjectNode meta = (ObjectNode) s.get("metadata");
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", "2025-01-01T00:00:00Z");
        meta.put("generation", 1);
        meta.put("resourceVersion", "123456");
        return JSON.writeValueAsBytes(s);
    }

    /** {@code n} applied VMs named by {@code nameFormat} (with the index), as fabric8 objects. */
    static List<GenericKubernetesResource> appliedVms(KubernetesSerialization ser, ObjectNode manifest, String ns,
                                                      String nameFormat, int n) throws IOException {
        List<GenericKubernetesResource> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(toResource(ser, appliedVm(manifest, ns, String.format(nameFormat, i))));
        }
        return out;
    }

    /** {@code n} applied VMs named by {@code nameFormat} (with the index), as JSON request bodies. */
    static List<byte[]> appliedVmBodies(ObjectNode manifest, String ns, String nameFormat, int n) throws IOException {
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(JSON.writeValueAsBytes(appliedVm(manifest, ns, String.format(nameFormat, i))));
        }
        return out;
    }

    static GenericKubernetesResource toResource(KubernetesSerialization ser, ObjectNode vm) throws IOException {
        return ser.unmarshal(JSON.writeValueAsString(vm), GenericKubernetesResource.class);
    }

    static byte[] toBytes(ObjectNode vm) throws IOException {
        return JSON.writeValueAsBytes(vm);
    }
}
