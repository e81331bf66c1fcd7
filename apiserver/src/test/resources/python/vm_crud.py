#!/usr/bin/python3
"""The official Python client (Debian python3-kubernetes) against jvirt.

Usage: vm_crud.py KUBECONFIG NAMESPACE

Creates NAMESPACE, then drives VirtualMachines through CustomObjectsApi (create, get, list, merge patch, replace,
delete, watch) and a ConfigMap through CoreV1Api, and deletes NAMESPACE. Prints one "CHECKPOINT <name>" line per
step that passed; any failure raises, so the exit code is non-zero and the traceback names the step.
"""
import sys
import threading

import kubernetes
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

GROUP, VERSION, PLURAL = "kubevirt.io", "v1", "virtualmachines"


def checkpoint(name):
    print("CHECKPOINT " + name, flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_status(status, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ApiException as e:
        expect(e.status == status, "expected HTTP %d, got %d: %s" % (status, e.status, e.body))
        return e
    raise AssertionError("expected HTTP %d, the call succeeded" % status)


def vm(name, run_strategy="Halted", labels=None):
    return {
        "apiVersion": GROUP + "/" + VERSION,
        "kind": "VirtualMachine",
        "metadata": {"name": name, "labels": dict(labels or {}, app="python-client")},
        "spec": {
            "runStrategy": run_strategy,
            "template": {
                "metadata": {"labels": {"kubevirt.io/vm": name}},
                "spec": {
                    "domain": {
                        "resources": {"requests": {"memory": "128Mi"}},
                        "devices": {"disks": [{"name": "rootdisk", "disk": {"bus": "virtio"}}]},
                    },
                    "volumes": [{"name": "rootdisk",
                                 "containerDisk": {"image": "quay.io/kubevirt/cirros-container-disk-demo"}}],
                },
            },
        },
    }


def main():
    kubeconfig, ns = sys.argv[1], sys.argv[2]
    print("python kubernetes client " + kubernetes.__version__, flush=True)
    config.load_kube_config(config_file=kubeconfig)
    api = client.CustomObjectsApi()
    core = client.CoreV1Api()

    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    expect(core.read_namespace(ns).metadata.name == ns, "namespace readable")
    checkpoint("namespace-created")

    # ------------------------------------------------------------------ VirtualMachine CRUD
    created = api.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, vm("py-vm"))
    expect(created["metadata"]["name"] == "py-vm", "create returns the object")
    expect(created["metadata"].get("uid"), "create assigns a uid")
    expect(created["metadata"].get("resourceVersion"), "create assigns a resourceVersion")
    checkpoint("vm-created")
    expect_status(409, api.create_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, vm("py-vm"))
    checkpoint("vm-create-conflict")

    got = api.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-vm")
    expect(got["spec"]["runStrategy"] == "Halted", "get: runStrategy %r" % got["spec"].get("runStrategy"))
    expect(got["metadata"]["uid"] == created["metadata"]["uid"], "get: same uid")
    generation = got["metadata"]["generation"]
    checkpoint("vm-read")

    api.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, vm("py-other", labels={"tier": "gold"}))
    listed = api.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)
    expect(listed["kind"] == "VirtualMachineList", "list kind %r" % listed.get("kind"))
    expect(sorted(i["metadata"]["name"] for i in listed["items"]) == ["py-other", "py-vm"],
           "list names %r" % [i["metadata"]["name"] for i in listed["items"]])
    selected = api.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, label_selector="tier=gold")
    expect([i["metadata"]["name"] for i in selected["items"]] == ["py-other"], "label selector")
    everywhere = api.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    expect({"py-vm", "py-other"} <= {i["metadata"]["name"] for i in everywhere["items"]}, "cluster-wide list")
    checkpoint("vm-listed")

    patched = api.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-vm", {
        "metadata": {"labels": {"patched": "yes"}},
        "spec": {"runStrategy": "Manual"},
    })
    expect(patched["spec"]["runStrategy"] == "Manual", "merge patch: runStrategy %r" % patched["spec"])
    expect(patched["metadata"]["labels"].get("patched") == "yes", "merge patch: label")
    expect(patched["metadata"]["labels"].get("app") == "python-client", "merge patch keeps other labels")
    expect(patched["metadata"]["generation"] == generation + 1, "merge patch bumps the generation")
    checkpoint("vm-patched")

    current = api.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-vm")
    current["spec"]["runStrategy"] = "Always"
    current["metadata"]["annotations"] = {"replaced": "true"}
    replaced = api.replace_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-vm", current)
    expect(replaced["spec"]["runStrategy"] == "Always", "replace: runStrategy")
    expect(replaced["metadata"]["annotations"].get("replaced") == "true", "replace: annotation")
    expect(int(replaced["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"]),
           "replace: new resourceVersion")
    # replacing with the old resourceVersion is a conflict
    current["spec"]["runStrategy"] = "Halted"
    expect_status(409, api.replace_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, "py-vm", current)
    checkpoint("vm-replaced")

    api.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-vm")
    expect_status(404, api.get_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, "py-vm")
    expect_status(404, api.delete_namespaced_custom_object, GROUP, VERSION, ns, PLURAL, "py-vm")
    api.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-other")
    checkpoint("vm-deleted")

    # ------------------------------------------------------------------ watch
    # Each change waits until the watch has delivered the previous one, so an event held back until more data
    # arrives (a stream that is not flushed through to the client) stalls the sequence until the watch times out.
    start = api.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["metadata"]["resourceVersion"]
    errors = []
    delivered = {t: threading.Event() for t in ("ADDED", "MODIFIED", "DELETED")}

    def writer():
        try:
            api.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, vm("py-watched"))
            if not delivered["ADDED"].wait(90):
                raise AssertionError("ADDED was not delivered")
            api.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-watched",
                                               {"spec": {"runStrategy": "Manual"}})
            if not delivered["MODIFIED"].wait(90):
                raise AssertionError("MODIFIED was not delivered")
            api.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "py-watched")
        except Exception as e:  # reported by the main thread
            errors.append(e)

    seen = []
    w = watch.Watch()
    thread = threading.Thread(target=writer)
    thread.start()
    # starting from the list's resourceVersion, the watch sees every change made after it, whenever it connects
    for event in w.stream(api.list_namespaced_custom_object, GROUP, VERSION, ns, PLURAL,
                          resource_version=start, timeout_seconds=60):
        obj = event["object"]
        if obj.get("metadata", {}).get("name") != "py-watched":
            continue
        seen.append((event["type"], obj["spec"]["runStrategy"]))
        if event["type"] in delivered:
            delivered[event["type"]].set()
        if event["type"] == "DELETED":
            w.stop()
    for e in delivered.values():
        e.set()  # lets a stalled writer finish
    thread.join(120)
    expect([t for t, _ in seen] == ["ADDED", "MODIFIED", "DELETED"], "watch events %r (writer: %r)" % (seen, errors))
    expect(not errors, "writer thread failed: %r" % errors)
    expect(seen[1][1] == "Manual", "MODIFIED carries the patched object: %r" % seen)
    checkpoint("vm-watched")

    # ------------------------------------------------------------------ ConfigMap through CoreV1Api
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"app": "python-client"}),
                            data={"color": "blue"})
    created_cm = core.create_namespaced_config_map(ns, cm)
    expect(created_cm.metadata.uid, "configmap uid")
    read = core.read_namespaced_config_map("py-cm", ns)
    expect(read.data == {"color": "blue"}, "configmap data %r" % read.data)
    # a dict body goes out as a strategic merge patch
    core.patch_namespaced_config_map("py-cm", ns, {"data": {"size": "10"}})
    expect(core.read_namespaced_config_map("py-cm", ns).data == {"color": "blue", "size": "10"}, "configmap patch")
    names = [c.metadata.name for c in core.list_namespaced_config_map(ns, label_selector="app=python-client").items]
    expect(names == ["py-cm"], "configmap list %r" % names)
    core.delete_namespaced_config_map("py-cm", ns)
    expect_status(404, core.read_namespaced_config_map, "py-cm", ns)
    checkpoint("configmap-crud")

    core.delete_namespace(ns)
    checkpoint("namespace-deleted")
    checkpoint("done")


if __name__ == "__main__":
    main()
