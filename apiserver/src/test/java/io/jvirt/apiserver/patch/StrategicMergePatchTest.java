package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;

import static io.jvirt.apiserver.patch.TestJson.json;
import static io.jvirt.apiserver.patch.TestJson.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeout;

class StrategicMergePatchTest {

    private static final String POD = """
            {'apiVersion':'v1','kind':'Pod',
             'metadata':{'name':'web','namespace':'default','labels':{'app':'web'},'annotations':{'note':'x'},
                         'finalizers':['example.com/a'],
                         'ownerReferences':[{'uid':'u1','kind':'ReplicaSet','name':'rs1','controller':true}],
                         'managedFields':[{'manager':'kubectl'},{'manager':'kubelet'}]},
             'spec':{'containers':[{'name':'app','image':'nginx:1.0',
                                    'ports':[{'containerPort':80,'protocol':'TCP'}],
                                    'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]},
                                   {'name':'sidecar','image':'envoy:1'}],
                     'volumes':[{'name':'data','emptyDir':{}}],
                     'tolerations':[{'key':'k','operator':'Exists'}]},
             'status':{'phase':'Running',
                       'conditions':[{'type':'PodScheduled','status':'True'},{'type':'Ready','status':'False'}]}}""";

    private static final String APP = "{'name':'app','image':'nginx:1.0','ports':[{'containerPort':80,"
            + "'protocol':'TCP'}],'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]}";
    private static final String SIDECAR = "{'name':'sidecar','image':'envoy:1'}";

    /** (name, original, patch, JSON pointer into the result, expected value there); the Pod table applies. */
    static Stream<Arguments> kubectlOnPods() {
        return Stream.of(
                Arguments.of("kubectl label", POD, "{'metadata':{'labels':{'a':'b'}}}",
                        "/metadata/labels", "{'app':'web','a':'b'}"),
                Arguments.of("kubectl label a-", POD.replace("{'app':'web'}", "{'app':'web','a':'b'}"),
                        "{'metadata':{'labels':{'a':null}}}", "/metadata/labels", "{'app':'web'}"),
                Arguments.of("kubectl annotate", POD, "{'metadata':{'annotations':{'note':'y','new':'z'}}}",
                        "/metadata/annotations", "{'note':'y','new':'z'}"),
                Arguments.of("kubectl apply changes one image",
                        POD, "{'spec':{'$setElementOrder/containers':[{'name':'app'},{'name':'sidecar'}],"
                                + "'containers':[{'image':'nginx:1.1','name':'app'}]}}",
                        "/spec/containers", "[" + APP.replace("nginx:1.0", "nginx:1.1") + "," + SIDECAR + "]"),
                Arguments.of("kubectl apply deletes a container", POD,
                        "{'spec':{'$setElementOrder/containers':[{'name':'app'}],"
                                + "'containers':[{'$patch':'delete','name':'sidecar'}]}}",
                        "/spec/containers", "[" + APP + "]"),
                Arguments.of("kubectl apply reorders containers", POD,
                        "{'spec':{'$setElementOrder/containers':[{'name':'sidecar'},{'name':'app'}]}}",
                        "/spec/containers", "[" + SIDECAR + "," + APP + "]"),
                Arguments.of("kubectl apply adds a container at the end", POD,
                        "{'spec':{'$setElementOrder/containers':[{'name':'app'},{'name':'sidecar'},"
                                + "{'name':'new'}],'containers':[{'name':'new','image':'busybox'}]}}",
                        "/spec/containers", "[" + APP + "," + SIDECAR + ",{'name':'new','image':'busybox'}]"),
                Arguments.of("kubectl patch adds a container (kube puts it first)", POD,
                        "{'spec':{'containers':[{'name':'new','image':'busybox'}]}}",
                        "/spec/containers", "[{'name':'new','image':'busybox'}," + APP + "," + SIDECAR + "]"),
                Arguments.of("env merged by name", POD,
                        "{'spec':{'containers':[{'name':'app','env':[{'name':'B','value':'3'},"
                                + "{'name':'C','value':'4'}]}]}}",
                        "/spec/containers/0/env",
                        "[{'name':'A','value':'1'},{'name':'B','value':'3'},{'name':'C','value':'4'}]"),
                Arguments.of("env entry deleted", POD,
                        "{'spec':{'containers':[{'name':'app','env':[{'name':'A','$patch':'delete'}]}]}}",
                        "/spec/containers/0/env", "[{'name':'B','value':'2'}]"),
                Arguments.of("ports merged by containerPort", POD,
                        "{'spec':{'containers':[{'name':'app','ports':[{'containerPort':80,'name':'http'}]}]}}",
                        "/spec/containers/0/ports", "[{'containerPort':80,'protocol':'TCP','name':'http'}]"),
                Arguments.of("tolerations replaced", POD,
                        "{'spec':{'tolerations':[{'key':'other','operator':'Exists'}]}}",
                        "/spec/tolerations", "[{'key':'other','operator':'Exists'}]"),
                Arguments.of("$retainKeys switches a volume's source", POD,
                        "{'spec':{'$setElementOrder/volumes':[{'name':'data'}],'volumes':[{'$retainKeys':"
                                + "['hostPath','name'],'hostPath':{'path':'/tmp'},'name':'data'}]}}",
                        "/spec/volumes", "[{'name':'data','hostPath':{'path':'/tmp'}}]"),
                Arguments.of("finalizer added (kube puts it first)", POD,
                        "{'metadata':{'finalizers':['example.com/b']}}",
                        "/metadata/finalizers", "['example.com/b','example.com/a']"),
                Arguments.of("finalizer added with $setElementOrder", POD,
                        "{'metadata':{'$setElementOrder/finalizers':['example.com/a','example.com/b'],"
                                + "'finalizers':['example.com/b']}}",
                        "/metadata/finalizers", "['example.com/a','example.com/b']"),
                Arguments.of("finalizers are a set", POD, "{'metadata':{'finalizers':['example.com/a']}}",
                        "/metadata/finalizers", "['example.com/a']"),
                Arguments.of("finalizer removed", POD,
                        "{'metadata':{'$deleteFromPrimitiveList/finalizers':['example.com/a']}}",
                        "/metadata/finalizers", "[]"),
                Arguments.of("ownerReferences merged by uid", POD,
                        "{'metadata':{'ownerReferences':[{'uid':'u1','blockOwnerDeletion':true}]}}",
                        "/metadata/ownerReferences", "[{'uid':'u1','kind':'ReplicaSet','name':'rs1',"
                                + "'controller':true,'blockOwnerDeletion':true}]"),
                Arguments.of("managedFields replaced", POD,
                        "{'metadata':{'managedFields':[{'manager':'kube-controller-manager'}]}}",
                        "/metadata/managedFields", "[{'manager':'kube-controller-manager'}]"),
                Arguments.of("kubelet status patch", POD,
                        "{'status':{'$setElementOrder/conditions':[{'type':'PodScheduled'},{'type':'Ready'}],"
                                + "'conditions':[{'status':'True','type':'Ready'}],'phase':'Running'}}",
                        "/status/conditions",
                        "[{'type':'PodScheduled','status':'True'},{'type':'Ready','status':'True'}]"),
                Arguments.of("$patch: replace on a map", POD,
                        "{'metadata':{'labels':{'$patch':'replace','x':'y'}}}", "/metadata/labels", "{'x':'y'}"),
                Arguments.of("$patch: delete on a map", POD, "{'metadata':{'annotations':{'$patch':'delete'}}}",
                        "/metadata/annotations", "{}"),
                Arguments.of("$patch: merge on a map", POD,
                        "{'metadata':{'labels':{'$patch':'merge','x':'y'}}}", "/metadata/labels",
                        "{'app':'web','x':'y'}"),
                Arguments.of("$patch: replace as a list element", POD,
                        "{'spec':{'containers':[{'$patch':'replace'},{'name':'only','image':'i'}]}}",
                        "/spec/containers", "[{'name':'only','image':'i'}]"),
                Arguments.of("new field: directives resolved, nulls dropped", POD,
                        "{'spec':{'initContainers':[{'name':'init','image':'x','$setElementOrder/env':"
                                + "[{'name':'E'}],'env':[{'name':'E','value':'v'},{'name':'gone','$patch':'delete'}],"
                                + "'securityContext':{'runAsUser':1000,'fsGroup':null}}]}}",
                        "/spec/initContainers", "[{'name':'init','image':'x','env':[{'name':'E','value':'v'}],"
                                + "'securityContext':{'runAsUser':1000}}]"),
                Arguments.of("new field deleted by directive is absent", POD,
                        "{'spec':{'securityContext':{'$patch':'delete'}}}", "/spec", "{'containers':[" + APP + ","
                                + SIDECAR + "],'volumes':[{'name':'data','emptyDir':{}}],"
                                + "'tolerations':[{'key':'k','operator':'Exists'}]}"),
                Arguments.of("field set to null is removed", POD, "{'spec':{'tolerations':null}}",
                        "/spec/tolerations", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kubectlOnPods")
    void kubectlOnPods(String name, String original, String patch, String pointer, String expected) {
        check(PatchMeta.forKind("v1", "Pod"), original, patch, pointer, expected);
    }

    static Stream<Arguments> otherKinds() {
        return Stream.of(
                Arguments.of("v1", "Node", "{'spec':{'taints':[{'key':'a','effect':'NoSchedule'}]}}",
                        "{'spec':{'taints':[{'key':'b','effect':'NoExecute'}]}}",
                        "/spec/taints", "[{'key':'b','effect':'NoExecute'}]"),
                Arguments.of("v1", "Node", "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.1'},"
                                + "{'type':'Hostname','address':'n1'}]}}",
                        "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'}]}}",
                        "/status/addresses",
                        "[{'type':'InternalIP','address':'10.0.0.2'},{'type':'Hostname','address':'n1'}]"),
                Arguments.of("v1", "Node", "{'status':{'conditions':[{'type':'MemoryPressure','status':'False'},"
                                + "{'type':'Ready','status':'True','lastHeartbeatTime':'t1'}],'images':[{'names':['a']}]}}",
                        "{'status':{'$setElementOrder/conditions':[{'type':'MemoryPressure'},{'type':'Ready'}],"
                                + "'conditions':[{'type':'Ready','lastHeartbeatTime':'t2'}],'images':[{'names':['b']}]}}",
                        "/status", "{'conditions':[{'type':'MemoryPressure','status':'False'},"
                                + "{'type':'Ready','status':'True','lastHeartbeatTime':'t2'}],'images':[{'names':['b']}]}"),
                Arguments.of("v1", "Service", "{'spec':{'ports':[{'port':80,'targetPort':8080,'name':'http'}]}}",
                        "{'spec':{'ports':[{'port':80,'targetPort':9090}]}}",
                        "/spec/ports", "[{'port':80,'targetPort':9090,'name':'http'}]"),
                Arguments.of("v1", "Service", "{'spec':{'ports':[{'port':80,'name':'http'}]}}",
                        "{'spec':{'ports':[{'port':443,'name':'https'}]}}",
                        "/spec/ports", "[{'port':443,'name':'https'},{'port':80,'name':'http'}]"),
                Arguments.of("v1", "ServiceAccount", "{'secrets':[{'name':'s1'}],'imagePullSecrets':[{'name':'p1'}]}",
                        "{'secrets':[{'name':'s2'}],'imagePullSecrets':[{'name':'p2'}]}",
                        "", "{'secrets':[{'name':'s2'},{'name':'s1'}],'imagePullSecrets':[{'name':'p2'}]}"),
                Arguments.of("v1", "Namespace", "{'spec':{'finalizers':['kubernetes']}}",
                        "{'spec':{'finalizers':[]}}", "/spec/finalizers", "[]"),
                Arguments.of("v1", "ConfigMap", "{'data':{'a':'1','b':'2'},'metadata':{'finalizers':['f1']}}",
                        "{'data':{'a':null,'c':'3'},'metadata':{'finalizers':['f2']}}",
                        "", "{'data':{'b':'2','c':'3'},'metadata':{'finalizers':['f2','f1']}}"),
                Arguments.of("example.com/v1", "Pod", "{'spec':{'containers':[{'name':'a'}]}}",
                        "{'spec':{'containers':[{'name':'b'}]}}", "/spec/containers", "[{'name':'b'}]"),
                Arguments.of("coordination.k8s.io/v1", "Lease", "{'spec':{'holderIdentity':'a','leaseDurationSeconds':15}}",
                        "{'spec':{'holderIdentity':'b'}}", "/spec",
                        "{'holderIdentity':'b','leaseDurationSeconds':15}"));
    }

    @ParameterizedTest(name = "{1} {2} + {3}")
    @MethodSource("otherKinds")
    void otherKinds(String apiVersion, String kind, String original, String patch, String pointer, String expected) {
        check(PatchMeta.forKind(apiVersion, kind), original, patch, pointer, expected);
    }

    /** The MergeItem test type of apimachinery's patch_test.go, as metadata. */
    private static final PatchMeta MERGE_ITEM = PatchMeta.builder()
            .field("mergingList", "merge", "name")
            .field("mergingList.mergingList", "merge", "name")
            .field("mergingIntList", "merge")
            .field("mergingList.mergingIntList", "merge")
            .field("retainKeysMap", "retainKeys")
            .field("retainKeysMergingList", "merge,retainKeys", "name")
            .field("replacingItem", "replace")
            .build();

    /** Cases of k8s.io/apimachinery pkg/util/strategicpatch/patch_test.go: (name, current, patch, result). */
    static Stream<Arguments> apimachineryCases() {
        return Stream.of(
                Arguments.of("unique scalars when merging lists", "{'mergingIntList':[1,2]}",
                        "{'mergingIntList':[2,3]}", "{'mergingIntList':[1,2,3]}"),
                Arguments.of("delete map from nested map", "{'simpleMap':{'key1':1,'key2':1}}",
                        "{'simpleMap':{'$patch':'delete'}}", "{'simpleMap':{}}"),
                Arguments.of("delete all items from merging list", "{'mergingList':[{'name':1},{'name':2}]}",
                        "{'mergingList':[{'$patch':'replace'}]}", "{'mergingList':[]}"),
                Arguments.of("merge empty merging lists", "{'mergingList':[]}", "{'mergingList':[]}",
                        "{'mergingList':[]}"),
                Arguments.of("delete all keys from map", "{'name':1,'value':1}", "{'$patch':'replace'}", "{}"),
                Arguments.of("add key and delete all keys from map", "{'name':1,'value':1}",
                        "{'other':'a','$patch':'replace'}", "{'other':'a'}"),
                Arguments.of("delete all duplicate entries in a merging list",
                        "{'mergingList':[{'name':1},{'name':1},{'name':2,'value':'a'},{'name':3},{'name':3}]}",
                        "{'mergingList':[{'name':1,'$patch':'delete'},{'name':3,'$patch':'delete'}]}",
                        "{'mergingList':[{'name':2,'value':'a'}]}"),
                Arguments.of("retainKeys map can add a field when no retainKeys directive present",
                        "{'retainKeysMap':{'name':'foo'}}", "{'retainKeysMap':{'value':'bar'}}",
                        "{'retainKeysMap':{'name':'foo','value':'bar'}}"),
                Arguments.of("retainKeys list can change a field when no retainKeys directive present",
                        "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'a'}]}",
                        "{'retainKeysMergingList':[{'name':'foo','value':'b'}]}",
                        "{'retainKeysMergingList':[{'name':'bar'},{'name':'foo','value':'b'}]}"),
                Arguments.of("retainKeys map with directive clears other keys",
                        "{'retainKeysMap':{'name':'foo','value':'a','other':'x'}}",
                        "{'retainKeysMap':{'$retainKeys':['name','value'],'value':'b'}}",
                        "{'retainKeysMap':{'name':'foo','value':'b'}}"),
                Arguments.of("preserve the order from the patch in a merging list",
                        "{'mergingList':[{'name':1},{'name':2,'value':'b'},{'name':3}]}",
                        "{'mergingList':[{'name':3,'value':'c'},{'name':1,'value':'a'},{'name':2,'other':'x'}]}",
                        "{'mergingList':[{'name':3,'value':'c'},{'name':1,'value':'a'},"
                                + "{'name':2,'value':'b','other':'x'}]}"),
                Arguments.of("preserve the order from the patch in a merging list 2",
                        "{'mergingList':[{'name':1},{'name':2,'value':'b'},{'name':3}]}",
                        "{'mergingList':[{'name':3,'value':'c'},{'name':1,'value':'a'}]}",
                        "{'mergingList':[{'name':2,'value':'b'},{'name':3,'value':'c'},{'name':1,'value':'a'}]}"),
                Arguments.of("preserve the order from the patch in a merging int list", "{'mergingIntList':[1,2,3]}",
                        "{'mergingIntList':[3,1,2]}", "{'mergingIntList':[3,1,2]}"),
                Arguments.of("preserve the order from the patch in a merging int list 2",
                        "{'mergingIntList':[1,2,3]}", "{'mergingIntList':[3,1]}", "{'mergingIntList':[2,3,1]}"),
                Arguments.of("$setElementOrder contains item that is not present in the list to be merged",
                        "{'mergingList':[{'name':1},{'name':3}]}",
                        "{'$setElementOrder/mergingList':[{'name':3},{'name':2},{'name':1}],"
                                + "'mergingList':[{'name':3,'value':3},{'name':1,'value':1}]}",
                        "{'mergingList':[{'name':3,'value':3},{'name':1,'value':1}]}"),
                Arguments.of("$setElementOrder contains item that is not present in the int list",
                        "{'mergingIntList':[1,3]}", "{'$setElementOrder/mergingIntList':[3,2,1]}",
                        "{'mergingIntList':[3,1]}"),
                Arguments.of("$deleteFromPrimitiveList of nonexistent item", "{'mergingIntList':[1,2]}",
                        "{'$deleteFromPrimitiveList/mergingIntList':[3]}", "{'mergingIntList':[1,2]}"),
                Arguments.of("$deleteFromPrimitiveList on null list", "{'mergingIntList':null}",
                        "{'$deleteFromPrimitiveList/mergingIntList':[3]}", "{'mergingIntList':null}"),
                Arguments.of("$deleteFromPrimitiveList on nonexistent list", "{'foo':['bar']}",
                        "{'$deleteFromPrimitiveList/mergingIntList':[3]}", "{'foo':['bar']}"),
                Arguments.of("$deleteFromPrimitiveList with merge strategy", "{'mergingIntList':[1,2,3]}",
                        "{'$deleteFromPrimitiveList/mergingIntList':[2]}", "{'mergingIntList':[1,3]}"),
                Arguments.of("$deleteFromPrimitiveList without merge strategy", "{'nonMergingIntList':[1,2,3]}",
                        "{'$deleteFromPrimitiveList/nonMergingIntList':[2]}", "{'nonMergingIntList':[1,3]}"),
                Arguments.of("nested patch merge with empty list", "{'name':'hi','mergingList':[{'name':'hello2'}]}",
                        "{'$setElementOrder/mergingList':[{'name':'hello'},{'name':'doesntexist'}],"
                                + "'mergingList':[{'name':'hello'},{'$patch':'delete','name':'doesntexist'}]}",
                        "{'name':'hi','mergingList':[{'name':'hello'},{'name':'hello2'}]}"),
                Arguments.of("delete all duplicate items in lists of scalars", "{'mergingIntList':[1,2,3,3,4]}",
                        "{'$setElementOrder/mergingIntList':[1,2],'$deleteFromPrimitiveList/mergingIntList':[3]}",
                        "{'mergingIntList':[1,2,4]}"),
                Arguments.of("add and delete items in lists of scalars", "{'mergingIntList':[1,2,3,4]}",
                        "{'$setElementOrder/mergingIntList':[1,2,4],'$deleteFromPrimitiveList/mergingIntList':[3]}",
                        "{'mergingIntList':[1,2,4]}"),
                Arguments.of("merge lists of maps",
                        "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
                        "{'$setElementOrder/mergingList':[{'name':4},{'name':1},{'name':2},{'name':3}],"
                                + "'mergingList':[{'name':4,'value':4},{'name':3,'value':3}]}",
                        "{'mergingList':[{'name':4,'value':4},{'name':1,'other':'a'},"
                                + "{'name':2,'value':2,'other':'b'},{'name':3,'value':3}]}"),
                Arguments.of("add field to map in merging list with conflict",
                        "{'mergingList':[{'name':1,'other':'a'},{'name':3,'value':2,'other':'b'}]}",
                        "{'$setElementOrder/mergingList':[{'name':1},{'name':2}],"
                                + "'mergingList':[{'name':1,'value':1},{'name':2,'value':2}]}",
                        "{'mergingList':[{'name':1,'other':'a','value':1},{'name':2,'value':2},"
                                + "{'name':3,'value':2,'other':'b'}]}"),
                Arguments.of("delete missing map from merging list with conflict",
                        "{'mergingList':[{'name':3,'other':'a'}]}",
                        "{'$setElementOrder/mergingList':[{'name':2}],"
                                + "'mergingList':[{'name':2},{'name':1,'$patch':'delete'}]}",
                        "{'mergingList':[{'name':2},{'name':3,'other':'a'}]}"),
                Arguments.of("add map and delete map from merging list",
                        "{'mergingList':[{'name':1},{'name':2,'other':'b'},{'name':4,'other':'c'}]}",
                        "{'$setElementOrder/mergingList':[{'name':2},{'name':3}],"
                                + "'mergingList':[{'name':3},{'name':1,'$patch':'delete'}]}",
                        "{'mergingList':[{'name':2,'other':'b'},{'name':4,'other':'c'},{'name':3}]}"),
                Arguments.of("add map and delete map from merging list with conflict",
                        "{'mergingList':[{'name':1,'other':'a'},{'name':4,'other':'c'}]}",
                        "{'$setElementOrder/mergingList':[{'name':2},{'name':3}],"
                                + "'mergingList':[{'name':2},{'name':3},{'name':1,'$patch':'delete'}]}",
                        "{'mergingList':[{'name':4,'other':'c'},{'name':2},{'name':3}]}"),
                Arguments.of("delete field from map in merging list",
                        "{'mergingList':[{'name':1,'value':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}",
                        "{'$setElementOrder/mergingList':[{'name':1},{'name':2}],"
                                + "'mergingList':[{'name':1,'value':null}]}",
                        "{'mergingList':[{'name':1,'other':'a'},{'name':2,'value':2,'other':'b'}]}"),
                Arguments.of("replace non merging list nested in merging list",
                        "{'mergingList':[{'name':1,'other':'a','nonMergingList':[{'name':1},{'name':2,'value':2}]},"
                                + "{'name':2,'other':'b'}]}",
                        "{'$setElementOrder/mergingList':[{'name':1},{'name':2}],"
                                + "'mergingList':[{'name':1,'nonMergingList':[{'name':1,'value':1}]}]}",
                        "{'mergingList':[{'name':1,'other':'a','nonMergingList':[{'name':1,'value':1}]},"
                                + "{'name':2,'other':'b'}]}"),
                Arguments.of("replace strategy on a map", "{'replacingItem':{'a':1,'b':2}}",
                        "{'replacingItem':{'c':3}}", "{'replacingItem':{'c':3}}"),
                Arguments.of("scalar replaced by map", "{'name':'x'}", "{'name':{'k':'v','n':null}}",
                        "{'name':{'k':'v'}}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apimachineryCases")
    void apimachineryCases(String name, String original, String patch, String expected) {
        check(MERGE_ITEM, original, patch, "", expected);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("patch is not an object", "[]", 400,
                        "invalid strategic merge patch: expected a JSON object, got array"),
                Arguments.of("unknown $patch", "{'metadata':{'labels':{'$patch':'frob'}}}", 400,
                        "unknown patch type: \"frob\" in map: {\"$patch\":\"frob\"} (path \"/metadata/labels\")"),
                Arguments.of("missing merge key", "{'spec':{'containers':[{'image':'x'}]}}", 422,
                        "map: {\"image\":\"x\"} does not contain declared merge key: name "
                                + "(path \"/spec/containers/0\")"),
                Arguments.of("delete without merge key", "{'spec':{'containers':[{'$patch':'delete'}]}}", 422,
                        "map: {\"$patch\":\"delete\"} does not contain declared merge key: name "
                                + "(path \"/spec/containers/0\")"),
                Arguments.of("setElementOrder mismatch", "{'spec':{'$setElementOrder/containers':[{'name':'app'},"
                                + "{'name':'sidecar'}],'containers':[{'name':'sidecar'},{'name':'app'}]}}", 400,
                        "the order in patch list [{\"name\":\"sidecar\"},{\"name\":\"app\"}] doesn't match "
                                + "$setElementOrder list [{\"name\":\"app\"},{\"name\":\"sidecar\"}] "
                                + "(path \"/spec/containers\")"),
                Arguments.of("retainKeys violated", "{'spec':{'volumes':[{'$retainKeys':['name'],'hostPath':{},"
                                + "'name':'data'}]}}", 400,
                        "invalid patch format of retainKeys: the patch sets \"hostPath\" which is not in the "
                                + "$retainKeys list [\"name\"] (path \"/spec/volumes/0\")"),
                Arguments.of("retainKeys not a list", "{'spec':{'$retainKeys':'x'}}", 400,
                        "invalid patch format of retainKeys: $retainKeys must be a list, got string (path \"/spec\")"),
                Arguments.of("malformed $setElementOrder", "{'spec':{'$setElementOrderContainers':[]}}", 400,
                        "invalid patch format of setElementOrder list: \"$setElementOrderContainers\" is not of the "
                                + "form $setElementOrder/<field> (path \"/spec\")"),
                Arguments.of("malformed $deleteFromPrimitiveList",
                        "{'metadata':{'$deleteFromPrimitiveList':['a']}}", 400,
                        "invalid patch format of primitive list: \"$deleteFromPrimitiveList\" is not of the form "
                                + "$deleteFromPrimitiveList/<field> (path \"/metadata\")"),
                Arguments.of("mixed element types", "{'metadata':{'finalizers':[1]}}", 422,
                        "list element types are not identical: string and number (path \"/metadata/finalizers\")"),
                Arguments.of("lists of lists", "{'metadata':{'finalizers':[['a']]}}", 422,
                        "lists of lists are not supported (path \"/metadata/finalizers\")"),
                Arguments.of("deletion list of objects",
                        "{'spec':{'$deleteFromPrimitiveList/containers':[{'name':'app'}]}}", 400,
                        "invalid patch format of primitive list: $deleteFromPrimitiveList cannot delete from a list "
                                + "of objects (path \"/spec/containers\")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void errors(String name, String patch, int code, String message) {
        ObjectNode pod = obj(POD);
        assertThatThrownBy(() -> StrategicMergePatch.apply(pod, json(patch), PatchMeta.forKind("v1", "Pod")))
                .isInstanceOfSatisfying(PatchException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.code()).isEqualTo(code);
                });
        assertThat(pod).isEqualTo(obj(POD));
    }

    @Test
    void resultSharesNoNodesWithTheInputs() {
        ObjectNode pod = obj(POD);
        JsonNode patch = json("{'spec':{'containers':[{'name':'new','env':[{'name':'X','value':'1'}]},"
                + "{'name':'app','env':[{'name':'C','value':'3'}]}],'nodeSelector':{'a':'b'}},"
                + "'metadata':{'finalizers':['f']}}");
        JsonNode patchCopy = patch.deepCopy();

        ObjectNode result = StrategicMergePatch.apply(pod, patch, PatchMeta.forKind("v1", "Pod"));
        result.withObject("/spec/nodeSelector").put("mutated", "yes");
        for (JsonNode container : result.at("/spec/containers")) {
            ((ObjectNode) container).put("mutated", "yes");
            for (JsonNode env : container.path("env")) {
                ((ObjectNode) env).put("mutated", "yes");
            }
        }

        assertThat(pod).isEqualTo(obj(POD));
        assertThat(patch).isEqualTo(patchCopy);
    }

    @Test
    void longListsMergeWithoutQuadraticBlowUp() {
        int n = 50_000;
        ObjectNode target = obj("{'metadata':{'finalizers':[]},'spec':{'containers':[]}}");
        ObjectNode patch = obj("{'metadata':{},'spec':{}}");
        ArrayNode order = patch.withObject("/spec").putArray("$setElementOrder/containers");
        for (int i = 0; i < n; i++) {
            target.withArray("/metadata/finalizers").add("f" + i);
            target.withArray("/spec/containers").addObject().put("name", "c" + i).put("image", "old");
            patch.withObject("/metadata").withArray("finalizers").add("g" + i);
            order.addObject().put("name", "c" + (n - 1 - i));
        }
        patch.withObject("/spec").withArray("containers").addObject().put("name", "c0").put("image", "new");

        ObjectNode result = assertTimeout(Duration.ofSeconds(20),
                () -> StrategicMergePatch.apply(target, patch, PatchMeta.forKind("v1", "Pod")));

        assertThat(result.at("/metadata/finalizers")).hasSize(2 * n);
        assertThat(result.at("/metadata/finalizers/0").asText()).isEqualTo("g0");
        assertThat(result.at("/spec/containers")).hasSize(n);
        assertThat(result.at("/spec/containers/0/name").asText()).isEqualTo("c" + (n - 1));
        assertThat(result.at("/spec/containers/" + (n - 1))).isEqualTo(json("{'name':'c0','image':'new'}"));
    }

    @Test
    void withoutPatchMetadataItIsAJsonMergePatch() {
        Random random = new Random(1979);
        for (int i = 0; i < 3000; i++) {
            ObjectNode a = TestJson.randomObject(random, 4, true);
            ObjectNode b = TestJson.randomObject(random, 4, false);
            ObjectNode patch = JsonMergePatch.diff(a, b);
            assertThat(StrategicMergePatch.apply(a, patch, PatchMeta.empty()))
                    .as("A=%s B=%s patch=%s", a, b, patch)
                    .isEqualTo(JsonMergePatch.apply(a, patch))
                    .isEqualTo(b);
        }
    }

    private static void check(PatchMeta meta, String original, String patch, String pointer, String expected) {
        ObjectNode target = obj(original);
        JsonNode patchNode = json(patch);
        ObjectNode result = StrategicMergePatch.apply(target, patchNode, meta);

        if (expected == null) {
            assertThat(result.at(pointer).isMissingNode()).as("%s in %s", pointer, result).isTrue();
        } else {
            assertThat(result.at(pointer)).as("%s in %s", pointer, result).isEqualTo(json(expected));
        }
        assertThat(TestJson.findDirective(result)).as("directive left in %s", result).isNull();
        assertThat(target).isEqualTo(obj(original));
        assertThat(patchNode).isEqualTo(json(patch));
    }
}
