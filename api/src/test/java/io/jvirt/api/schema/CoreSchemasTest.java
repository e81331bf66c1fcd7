package io.jvirt.api.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import org.junit.jupiter.api.Test;

class CoreSchemasTest {
    private final SchemaRegistry registry = SchemaRegistry.standard();

    @Test
    void definitionNamesFollowKubernetes() {
        assertThat(CoreSchemas.definitionName(PodSpec.class)).isEqualTo("io.k8s.api.core.v1.PodSpec");
        assertThat(CoreSchemas.definitionName(ObjectMeta.class))
                .isEqualTo("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
        assertThat(CoreSchemas.definitionName(StorageClass.class)).isEqualTo("io.k8s.api.storage.v1.StorageClass");
        assertThat(CoreSchemas.definitionName(Lease.class)).isEqualTo("io.k8s.api.coordination.v1.Lease");
        assertThat(CoreSchemas.definitionName(io.fabric8.kubernetes.api.model.events.v1.Event.class))
                .isEqualTo("io.k8s.api.events.v1.Event");
    }

    @Test
    void fabric8CatchAllMapIsNotAField() {
        for (Schema s : registry.definitions().values()) {
            assertThat(s.properties()).doesNotContainKey("additionalProperties");
        }
    }

    @Test
    void typesMapLikeKubernetes() {
        Schema pod = registry.definition("io.k8s.api.core.v1.Pod").orElseThrow();
        assertThat(pod.properties().get("spec").ref()).isEqualTo("io.k8s.api.core.v1.PodSpec");
        Schema container = registry.definition("io.k8s.api.core.v1.Container").orElseThrow();
        assertThat(container.properties().get("args").type()).isEqualTo("array");
        assertThat(container.properties().get("tty").type()).isEqualTo("boolean");
        Schema resources = registry.resolve(container.properties().get("resources"));
        assertThat(resources.properties().get("limits").additionalProperties().intOrString()).isTrue();
        Schema port = registry.definition("io.k8s.api.core.v1.ContainerPort").orElseThrow();
        assertThat(port.properties().get("containerPort").type()).isEqualTo("integer");
        Schema meta = registry.definition(SchemaRegistry.OBJECT_META).orElseThrow();
        assertThat(meta.properties().get("labels").additionalProperties().type()).isEqualTo("string");
        assertThat(meta.properties().get("generation").format()).isEqualTo("int64");
        Schema probe = registry.definition("io.k8s.api.core.v1.HTTPGetAction").orElseThrow();
        assertThat(probe.properties().get("port").intOrString()).isTrue();
    }

    @Test
    void humanizeSplitsCamelCase() {
        assertThat(CoreSchemas.humanize("terminationGracePeriodSeconds")).isEqualTo("Termination grace period seconds");
        assertThat(CoreSchemas.humanize("podIP")).isEqualTo("Pod IP");
    }
}
