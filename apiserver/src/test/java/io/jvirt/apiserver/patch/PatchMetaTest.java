package io.jvirt.apiserver.patch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PatchMetaTest {

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            v1                     | Pod            | spec.containers                   | true  | false | name
            v1                     | Pod            | spec.initContainers.env           | true  | false | name
            v1                     | Pod            | spec.ephemeralContainers.ports    | true  | false | containerPort
            v1                     | Pod            | spec.containers.volumeMounts      | true  | false | mountPath
            v1                     | Pod            | spec.containers.volumeDevices     | true  | false | devicePath
            v1                     | Pod            | spec.containers.envFrom           | false | false |
            v1                     | Pod            | spec.volumes                      | true  | true  | name
            v1                     | Pod            | spec.imagePullSecrets             | true  | false | name
            v1                     | Pod            | spec.tolerations                  | false | false |
            v1                     | Pod            | spec.hostAliases                  | true  | false | ip
            v1                     | Pod            | status.conditions                 | true  | false | type
            v1                     | Pod            | status.containerStatuses          | false | false |
            v1                     | Node           | spec.taints                       | false | false |
            v1                     | Node           | status.conditions                 | true  | false | type
            v1                     | Node           | status.addresses                  | true  | false | type
            v1                     | Node           | status.images                     | false | false |
            v1                     | Service        | spec.ports                        | true  | false | port
            v1                     | ServiceAccount | secrets                           | true  | false | name
            v1                     | ServiceAccount | imagePullSecrets                  | false | false |
            v1                     | Namespace      | spec.finalizers                   | false | false |
            v1                     | ConfigMap      | metadata.finalizers               | true  | false |
            v1                     | Secret         | metadata.ownerReferences          | true  | false | uid
            storage.k8s.io/v1      | StorageClass   | metadata.managedFields            | false | false |
            coordination.k8s.io/v1 | Lease          | metadata.finalizers               | true  | false |
            example.com/v1         | Pod            | spec.containers                   | false | false |
            example.com/v1         | Widget         | metadata.ownerReferences          | true  | false | uid
            """)
    void builtInTable(String apiVersion, String kind, String path, boolean merge, boolean retainKeys,
                      String mergeKey) {
        PatchMeta.Field field = PatchMeta.forKind(apiVersion, kind).field(path);
        assertThat(field.merge()).isEqualTo(merge);
        assertThat(field.retainKeys()).isEqualTo(retainKeys);
        assertThat(field.mergeKey()).isEqualTo(mergeKey == null ? "" : mergeKey);
    }

    @Test
    void builderParsesGoTagStrategies() {
        PatchMeta meta = PatchMeta.builder()
                .field("a", "merge,retainKeys", "k")
                .field("b", "replace")
                .field("c", null)
                .build();
        assertThat(meta.field("a")).isEqualTo(new PatchMeta.Field(true, true, false, "k"));
        assertThat(meta.field("b")).isEqualTo(new PatchMeta.Field(false, false, true, ""));
        assertThat(meta.field("c")).isEqualTo(PatchMeta.Field.DEFAULT);
        assertThat(meta.field("nope")).isEqualTo(PatchMeta.Field.DEFAULT);
        assertThat(PatchMeta.empty().field("metadata.finalizers")).isEqualTo(PatchMeta.Field.DEFAULT);
        assertThatThrownBy(() -> PatchMeta.builder().field("x", "frob"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
