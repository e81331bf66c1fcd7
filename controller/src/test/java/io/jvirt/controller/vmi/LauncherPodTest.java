package io.jvirt.controller.vmi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher pod rendered for a VMI (kubevirt.md §4.4 for the node selectors). */
class LauncherPodTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode vmi() {
        ObjectNode vmi = JSON.createObjectNode();
        vmi.put("apiVersion", "kubevirt.io/v1").put("kind", "VirtualMachineInstance");
        ObjectNode meta = vmi.putObject("metadata");
        meta.put("name", "testvm").put("namespace", "tenant-a").put("uid", "1234-abcd");
        meta.putObject("labels").put("app", "web").put("kubevirt.io/vm", "testvm").put("kubevirt.io/nodeName", "n9");
        ObjectNode spec = vmi.putObject("spec");
        spec.putObject("domain").putObject("cpu").put("cores", 2);
        return vmi;
    }

    private static ObjectNode resources() {
        ObjectNode r = JSON.createObjectNode();
        r.putObject("requests").put("cpu", "200m").put("memory", "1314Mi");
        r.putObject("limits").put("devices.kubevirt.io/kvm", "1").put("devices.kubevirt.io/tun", "1");
        return r;
    }

    @Test
    void nameNamespaceAndKind() {
        ObjectNode pod = LauncherPod.render(vmi(), resources(), null);
        assertThat(pod.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(pod.path("kind").asText()).isEqualTo("Pod");
        assertThat(pod.path("metadata").path("generateName").asText()).isEqualTo("virt-launcher-testvm-");
        assertThat(pod.path("metadata").has("name")).isFalse();
        assertThat(pod.path("metadata").path("namespace").asText()).isEqualTo("tenant-a");
    }

    @Test
    void ownedByTheVmi() {
        JsonNode refs = LauncherPod.render(vmi(), resources(), null).path("metadata").path("ownerReferences");
        assertThat(refs).hasSize(1);
        JsonNode ref = refs.get(0);
        assertThat(ref.path("apiVersion").asText()).isEqualTo("kubevirt.io/v1");
        assertThat(ref.path("kind").asText()).isEqualTo("VirtualMachineInstance");
        assertThat(ref.path("name").asText()).isEqualTo("testvm");
        assertThat(ref.path("uid").asText()).isEqualTo("1234-abcd");
        assertThat(ref.path("controller").asBoolean()).isTrue();
        assertThat(ref.path("blockOwnerDeletion").asBoolean()).isTrue();
    }

    @Test
    void labels() {
        JsonNode labels = LauncherPod.render(vmi(), resources(), null).path("metadata").path("labels");
        assertThat(labels.path(LauncherPod.APP_LABEL).asText()).isEqualTo(LauncherPod.LAUNCHER)
                .isEqualTo("virt-launcher");
        assertThat(labels.path(LauncherPod.CREATED_BY).asText()).isEqualTo("1234-abcd");
        assertThat(labels.path("kubevirt.io/created-by").asText()).isEqualTo("1234-abcd");
        assertThat(labels.path("vm.kubevirt.io/name").asText()).isEqualTo("testvm");
        // the VMI's own labels are copied, except those in the kubevirt.io/ namespace
        assertThat(labels.path("app").asText()).isEqualTo("web");
        assertThat(labels.has("kubevirt.io/vm")).isFalse();
        assertThat(labels.has("kubevirt.io/nodeName")).isFalse();
        assertThat(labels.size()).isEqualTo(4);
    }

    @Test
    void aVmiLabelCannotOverrideTheLauncherLabels() {
        ObjectNode vmi = vmi();
        vmi.withObjectProperty("metadata").withObjectProperty("labels").put("kubevirt.io", "something-else")
                .put("vm.kubevirt.io/name", "other");
        JsonNode labels = LauncherPod.render(vmi, resources(), null).path("metadata").path("labels");
        assertThat(labels.path("kubevirt.io").asText()).isEqualTo("virt-launcher");
        assertThat(labels.path("vm.kubevirt.io/name").asText()).isEqualTo("testvm");
        assertThat(labels.path("kubevirt.io/created-by").asText()).isEqualTo("1234-abcd");
    }

    @Test
    void annotations() {
        JsonNode ann = LauncherPod.render(vmi(), resources(), null).path("metadata").path("annotations");
        assertThat(ann.path("kubevirt.io/domain").asText()).isEqualTo("testvm");
        assertThat(ann.has("kubevirt.io/memory-overhead-bytes")).isFalse();

        ObjectNode vmi = vmi();
        vmi.withObjectProperty("metadata").withObjectProperty("annotations")
                .put("kubevirt.io/memory-overhead-bytes", "304087040");
        ann = LauncherPod.render(vmi, resources(), null).path("metadata").path("annotations");
        assertThat(ann.path("kubevirt.io/memory-overhead-bytes").asText()).isEqualTo("304087040");
    }

    @Test
    void nodeNameOnlyWhenChosen() {
        assertThat(LauncherPod.render(vmi(), resources(), null).path("spec").has("nodeName")).isFalse();
        assertThat(LauncherPod.render(vmi(), resources(), "node-2").path("spec").path("nodeName").asText())
                .isEqualTo("node-2");
    }

    @Test
    void restartPolicyAndGracePeriod() {
        JsonNode spec = LauncherPod.render(vmi(), resources(), null).path("spec");
        assertThat(spec.path("restartPolicy").asText()).isEqualTo("Never");
        // KubeVirt: the VMI's grace period (default 30 s) plus 15 s for the launcher to clean up
        assertThat(spec.path("terminationGracePeriodSeconds").asLong()).isEqualTo(45);
        ObjectNode vmi = vmi();
        vmi.withObjectProperty("spec").put("terminationGracePeriodSeconds", 0);
        assertThat(LauncherPod.render(vmi, resources(), null).path("spec").path("terminationGracePeriodSeconds")
                .asLong()).isEqualTo(15);
    }

    @Test
    void defaultNodeSelectors() {
        JsonNode sel = LauncherPod.render(vmi(), resources(), null).path("spec").path("nodeSelector");
        assertThat(sel.path("kubevirt.io/schedulable").asText()).isEqualTo("true");
        assertThat(sel.path("kubernetes.io/arch").asText()).isEqualTo("amd64");
        assertThat(sel.has("kubevirt.io/cpumanager")).isFalse();
        assertThat(sel.size()).isEqualTo(2);
    }

    @Test
    void architectureSelector() {
        ObjectNode vmi = vmi();
        vmi.withObjectProperty("spec").put("architecture", "arm64");
        JsonNode sel = LauncherPod.render(vmi, resources(), null).path("spec").path("nodeSelector");
        assertThat(sel.path("kubernetes.io/arch").asText()).isEqualTo("arm64");
    }

    @Test
    void dedicatedCpusNeedACpuManagerNode() {
        ObjectNode vmi = vmi();
        vmi.withObjectProperty("spec").withObjectProperty("domain").withObjectProperty("cpu")
                .put("dedicatedCpuPlacement", true);
        JsonNode sel = LauncherPod.render(vmi, resources(), null).path("spec").path("nodeSelector");
        assertThat(sel.path("kubevirt.io/cpumanager").asText()).isEqualTo("true");

        vmi.withObjectProperty("spec").withObjectProperty("domain").withObjectProperty("cpu")
                .put("dedicatedCpuPlacement", false);
        sel = LauncherPod.render(vmi, resources(), null).path("spec").path("nodeSelector");
        assertThat(sel.has("kubevirt.io/cpumanager")).isFalse();
    }

    @Test
    void theVmisNodeSelectorIsKeptAndTheRequiredOnesWin() {
        ObjectNode vmi = vmi();
        vmi.withObjectProperty("spec").putObject("nodeSelector").put("disktype", "ssd")
                .put("kubevirt.io/schedulable", "false");
        JsonNode sel = LauncherPod.render(vmi, resources(), null).path("spec").path("nodeSelector");
        assertThat(sel.path("disktype").asText()).isEqualTo("ssd");
        assertThat(sel.path("kubevirt.io/schedulable").asText()).isEqualTo("true");
    }

    @Test
    void oneComputeContainerWithTheResources() {
        ObjectNode res = resources();
        JsonNode containers = LauncherPod.render(vmi(), res, null).path("spec").path("containers");
        assertThat(containers).hasSize(1);
        JsonNode c = containers.get(0);
        assertThat(c.path("name").asText()).isEqualTo("compute");
        assertThat(c.path("image").asText()).isEqualTo(LauncherPod.IMAGE);
        assertThat(c.path("resources")).isEqualTo(resources());
        assertThat(c.path("resources").path("requests").path("memory").asText()).isEqualTo("1314Mi");
        assertThat(c.path("resources").path("limits").path("devices.kubevirt.io/kvm").asText()).isEqualTo("1");
    }

    @Test
    void theRenderedPodFitsANodeThroughNodeFit() {
        ObjectNode pod = LauncherPod.render(vmi(), resources(), null);
        ObjectNode node = JSON.createObjectNode();
        node.putObject("metadata").put("name", "n1").putObject("labels").put("kubevirt.io/schedulable", "true")
                .put("kubernetes.io/arch", "amd64");
        node.putObject("status").putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        node.withObjectProperty("status").putObject("allocatable").put("cpu", "4").put("memory", "8Gi")
                .put("devices.kubevirt.io/kvm", "1k").put("devices.kubevirt.io/tun", "1k");
        assertThat(NodeFit.choose(pod.path("spec"), java.util.List.of(node), java.util.List.of()))
                .isEqualTo(new NodeFit.Fits("n1"));
    }

    @Test
    void tolerationsAndAffinityAreCopied() {
        ObjectNode vmi = vmi();
        vmi.withObjectProperty("spec").putArray("tolerations").addObject().put("key", "dedicated")
                .put("operator", "Exists").put("effect", "NoSchedule");
        vmi.withObjectProperty("spec").putObject("affinity").putObject("nodeAffinity");
        JsonNode spec = LauncherPod.render(vmi, resources(), null).path("spec");
        assertThat(spec.path("tolerations")).isEqualTo(vmi.path("spec").path("tolerations"));
        assertThat(spec.path("affinity")).isEqualTo(vmi.path("spec").path("affinity"));
        // copies: changing the pod does not change the VMI
        ((ObjectNode) spec.path("tolerations").get(0)).put("key", "changed");
        assertThat(vmi.path("spec").path("tolerations").get(0).path("key").asText()).isEqualTo("dedicated");
    }

    @Test
    void noTolerationsOrAffinityWhenTheVmiHasNone() {
        JsonNode spec = LauncherPod.render(vmi(), resources(), null).path("spec");
        assertThat(spec.has("tolerations")).isFalse();
        assertThat(spec.has("affinity")).isFalse();
    }
}
