package io.jvirt.api.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Realistic request bodies for the schema tests. */
final class Manifests {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Manifests() {
    }

    /** A cirros VM with a containerDisk, cloud-init, dedicated CPUs, 2Mi hugepages and NUMA passthrough. */
    static final String CIRROS_VM = """
            {
              "apiVersion": "kubevirt.io/v1",
              "kind": "VirtualMachine",
              "metadata": {
                "name": "cirros-numa",
                "namespace": "default",
                "labels": {"kubevirt.io/vm": "cirros-numa", "app": "demo"},
                "annotations": {"description": "pinned cirros guest"},
                "creationTimestamp": null
              },
              "spec": {
                "runStrategy": "Always",
                "template": {
                  "metadata": {
                    "labels": {"kubevirt.io/vm": "cirros-numa"},
                    "creationTimestamp": null
                  },
                  "spec": {
                    "architecture": "amd64",
                    "terminationGracePeriodSeconds": 0,
                    "evictionStrategy": "None",
                    "nodeSelector": {"kubevirt.io/cpumanager": "true"},
                    "tolerations": [
                      {"key": "dedicated", "operator": "Equal", "value": "vms", "effect": "NoSchedule"}
                    ],
                    "domain": {
                      "cpu": {
                        "cores": 2,
                        "sockets": 1,
                        "threads": 1,
                        "model": "host-passthrough",
                        "dedicatedCpuPlacement": true,
                        "isolateEmulatorThread": true,
                        "numa": {"guestMappingPassthrough": {}},
                        "features": [{"name": "x2apic", "policy": "require"}]
                      },
                      "memory": {
                        "guest": "512Mi",
                        "hugepages": {"pageSize": "2Mi"}
                      },
                      "resources": {
                        "requests": {"memory": "512Mi", "cpu": 2},
                        "limits": {"memory": "512Mi", "cpu": "2"}
                      },
                      "machine": {"type": "q35"},
                      "firmware": {"bootloader": {"bios": {"useSerial": true}}, "serial": "cirros-0001"},
                      "features": {"acpi": {}, "smm": {"enabled": true}},
                      "clock": {"utc": {}, "timer": {"rtc": {"tickPolicy": "catchup"}}},
                      "ioThreadsPolicy": "auto",
                      "devices": {
                        "autoattachSerialConsole": true,
                        "autoattachGraphicsDevice": false,
                        "autoattachMemBalloon": false,
                        "blockMultiQueue": true,
                        "networkInterfaceMultiqueue": true,
                        "rng": {},
                        "disks": [
                          {"name": "containerdisk", "disk": {"bus": "virtio"}, "bootOrder": 1,
                           "dedicatedIOThread": true, "cache": "none"},
                          {"name": "cloudinitdisk", "disk": {"bus": "virtio", "readonly": true}}
                        ],
                        "interfaces": [
                          {"name": "default", "masquerade": {}, "model": "virtio",
                           "ports": [{"name": "ssh", "port": 22, "protocol": "TCP"}]}
                        ]
                      }
                    },
                    "networks": [{"name": "default", "pod": {}}],
                    "volumes": [
                      {"name": "containerdisk",
                       "containerDisk": {"image": "quay.io/kubevirt/cirros-container-disk-demo:v1.4.0",
                                         "imagePullPolicy": "IfNotPresent"}},
                      {"name": "cloudinitdisk",
                       "cloudInitNoCloud": {"userData": "#cloud-config\\npassword: cirros\\nchpasswd: { expire: False }\\n"}}
                    ]
                  }
                }
              }
            }
            """;

    static final String POD = """
            {
              "apiVersion": "v1",
              "kind": "Pod",
              "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
              "spec": {
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "containers": [{
                  "name": "nginx",
                  "image": "nginx:1.27",
                  "args": ["-g", "daemon off;"],
                  "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
                  "env": [
                    {"name": "MODE", "value": "prod"},
                    {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
                  ],
                  "resources": {"requests": {"cpu": 0.5, "memory": "64Mi"}, "limits": {"cpu": "1", "memory": 134217728}},
                  "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
                  "volumeMounts": [{"name": "data", "mountPath": "/data"}]
                }],
                "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}]
              }
            }
            """;

    static ObjectNode parse(String json) {
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The object at a JSON pointer such as {@code /spec/volumes/0}. */
    static ObjectNode ptr(ObjectNode root, String pointer) {
        return (ObjectNode) root.at(pointer);
    }

    /** Navigates a dotted path of object fields and returns the parent object of the last segment. */
    static ObjectNode at(ObjectNode root, String dottedPath) {
        JsonNode n = root;
        for (String part : dottedPath.split("\\.")) {
            n = n.get(part);
        }
        return (ObjectNode) n;
    }
}
