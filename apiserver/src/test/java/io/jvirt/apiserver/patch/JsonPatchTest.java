package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static io.jvirt.apiserver.patch.TestJson.json;
import static io.jvirt.apiserver.patch.TestJson.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonPatchTest {

    /** RFC 6902 Appendix A; A.13 (duplicate "op" members) is a JSON parsing matter and does not apply here. */
    static Stream<Arguments> rfc6902AppendixA() {
        return Stream.of(
                Arguments.of("A.1 add an object member", "{'foo':'bar'}",
                        "[{'op':'add','path':'/baz','value':'qux'}]", "{'baz':'qux','foo':'bar'}"),
                Arguments.of("A.2 add an array element", "{'foo':['bar','baz']}",
                        "[{'op':'add','path':'/foo/1','value':'qux'}]", "{'foo':['bar','qux','baz']}"),
                Arguments.of("A.3 remove an object member", "{'baz':'qux','foo':'bar'}",
                        "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}"),
                Arguments.of("A.4 remove an array element", "{'foo':['bar','qux','baz']}",
                        "[{'op':'remove','path':'/foo/1'}]", "{'foo':['bar','baz']}"),
                Arguments.of("A.5 replace a value", "{'baz':'qux','foo':'bar'}",
                        "[{'op':'replace','path':'/baz','value':'boo'}]", "{'baz':'boo','foo':'bar'}"),
                Arguments.of("A.6 move a value", "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
                        "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
                        "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}"),
                Arguments.of("A.7 move an array element", "{'foo':['all','grass','cows','eat']}",
                        "[{'op':'move','from':'/foo/1','path':'/foo/3'}]", "{'foo':['all','cows','eat','grass']}"),
                Arguments.of("A.8 test a value: success", "{'baz':'qux','foo':['a',2,'c']}",
                        "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
                        "{'baz':'qux','foo':['a',2,'c']}"),
                Arguments.of("A.10 add a nested member object", "{'foo':'bar'}",
                        "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
                        "{'foo':'bar','child':{'grandchild':{}}}"),
                Arguments.of("A.11 ignore unrecognized elements", "{'foo':'bar'}",
                        "[{'op':'add','path':'/baz','value':'qux','xyz':123}]", "{'foo':'bar','baz':'qux'}"),
                Arguments.of("A.14 ~ escape ordering", "{'/':9,'~1':10}",
                        "[{'op':'test','path':'/~01','value':10}]", "{'/':9,'~1':10}"),
                Arguments.of("A.16 add an array value", "{'foo':['bar']}",
                        "[{'op':'add','path':'/foo/-','value':['abc','def']}]", "{'foo':['bar',['abc','def']]}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc6902AppendixA")
    void rfc6902AppendixA(String name, String target, String patch, String expected) {
        assertThat(JsonPatch.apply(obj(target), json(patch))).isEqualTo(json(expected));
    }

    static Stream<Arguments> rfc6902AppendixAErrors() {
        return Stream.of(
                Arguments.of("A.9 test a value: error", "{'baz':'qux'}",
                        "[{'op':'test','path':'/baz','value':'bar'}]",
                        "jsonpatch test operation does not apply: is: \"qux\" expected: \"bar\" (path \"/baz\")"),
                Arguments.of("A.12 add to a nonexistent target", "{'foo':'bar'}",
                        "[{'op':'add','path':'/baz/bat','value':'qux'}]",
                        "jsonpatch add operation does not apply: doc is missing path: \"/baz/bat\""),
                Arguments.of("A.15 comparing strings and numbers", "{'/':9,'~1':10}",
                        "[{'op':'test','path':'/~01','value':'10'}]",
                        "jsonpatch test operation does not apply: is: 10 expected: \"10\" (path \"/~01\")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc6902AppendixAErrors")
    void rfc6902AppendixAErrors(String name, String target, String patch, String message) {
        assertThatThrownBy(() -> JsonPatch.apply(obj(target), json(patch)))
                .isInstanceOfSatisfying(PatchException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.code()).isEqualTo(422);
                });
    }

    static Stream<Arguments> moreOperations() {
        return Stream.of(
                Arguments.of("add replaces an existing member", "{'a':1}", "[{'op':'add','path':'/a','value':2}]",
                        "{'a':2}"),
                Arguments.of("add at the end index", "{'a':[1]}", "[{'op':'add','path':'/a/1','value':2}]",
                        "{'a':[1,2]}"),
                Arguments.of("add null value", "{}", "[{'op':'add','path':'/a','value':null}]", "{'a':null}"),
                Arguments.of("add to the empty key", "{}", "[{'op':'add','path':'/','value':1}]", "{'':1}"),
                Arguments.of("escaped slash in a label key", "{'metadata':{'labels':{}}}",
                        "[{'op':'add','path':'/metadata/labels/app.kubernetes.io~1name','value':'web'}]",
                        "{'metadata':{'labels':{'app.kubernetes.io/name':'web'}}}"),
                Arguments.of("replace the whole document", "{'a':1}",
                        "[{'op':'replace','path':'','value':{'b':2}}]", "{'b':2}"),
                Arguments.of("add the whole document", "{'a':1}", "[{'op':'add','path':'','value':{'b':2}}]",
                        "{'b':2}"),
                Arguments.of("copy deep", "{'a':{'x':1}}",
                        "[{'op':'copy','from':'/a','path':'/b'},{'op':'add','path':'/b/y','value':2}]",
                        "{'a':{'x':1},'b':{'x':1,'y':2}}"),
                Arguments.of("move to itself", "{'a':1}", "[{'op':'move','from':'/a','path':'/a'}]", "{'a':1}"),
                Arguments.of("move an array element backwards", "{'a':[1,2,3]}",
                        "[{'op':'move','from':'/a/2','path':'/a/0'}]", "{'a':[3,1,2]}"),
                Arguments.of("test numbers by value", "{'a':1,'b':[1.0]}",
                        "[{'op':'test','path':'/a','value':1.0},{'op':'test','path':'/b','value':[1]}]",
                        "{'a':1,'b':[1.0]}"),
                Arguments.of("test objects ignoring member order", "{'a':{'x':1,'y':2}}",
                        "[{'op':'test','path':'/a','value':{'y':2,'x':1}}]", "{'a':{'x':1,'y':2}}"),
                Arguments.of("test the whole document", "{'a':1}", "[{'op':'test','path':'','value':{'a':1}}]",
                        "{'a':1}"),
                Arguments.of("kubectl-style scale", "{'spec':{'replicas':1}}",
                        "[{'op':'test','path':'/spec/replicas','value':1},"
                                + "{'op':'replace','path':'/spec/replicas','value':3}]",
                        "{'spec':{'replicas':3}}"),
                Arguments.of("empty patch", "{'a':1}", "[]", "{'a':1}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("moreOperations")
    void moreOperations(String name, String target, String patch, String expected) {
        assertThat(JsonPatch.apply(obj(target), json(patch))).isEqualTo(json(expected));
    }

    static Stream<Arguments> errors() {
        String doc = "{'spec':{'a':[1,2],'s':'x'}}";
        return Stream.of(
                Arguments.of("remove missing", "[{'op':'remove','path':'/spec/foo'}]", 422,
                        "jsonpatch remove operation does not apply: doc is missing path: \"/spec/foo\""),
                Arguments.of("replace missing", "[{'op':'replace','path':'/spec/foo','value':1}]", 422,
                        "jsonpatch replace operation does not apply: doc is missing path: \"/spec/foo\""),
                Arguments.of("remove past the end", "[{'op':'remove','path':'/spec/a/2'}]", 422,
                        "jsonpatch remove operation does not apply: doc is missing path: \"/spec/a/2\""),
                Arguments.of("remove '-'", "[{'op':'remove','path':'/spec/a/-'}]", 422,
                        "jsonpatch remove operation does not apply: doc is missing path: \"/spec/a/-\""),
                Arguments.of("add beyond the end", "[{'op':'add','path':'/spec/a/3','value':1}]", 422,
                        "jsonpatch add operation does not apply: doc is missing path: \"/spec/a/3\""),
                Arguments.of("index with leading zero", "[{'op':'replace','path':'/spec/a/01','value':1}]", 422,
                        "jsonpatch replace operation does not apply: doc is missing path: \"/spec/a/01\""),
                Arguments.of("into a string", "[{'op':'add','path':'/spec/s/x','value':1}]", 422,
                        "jsonpatch add operation does not apply: doc is missing path: \"/spec/s/x\""),
                Arguments.of("move missing from", "[{'op':'move','from':'/nope','path':'/b'}]", 422,
                        "jsonpatch move operation does not apply: doc is missing from path: \"/nope\""),
                Arguments.of("copy missing from", "[{'op':'copy','from':'/nope','path':'/b'}]", 422,
                        "jsonpatch copy operation does not apply: doc is missing from path: \"/nope\""),
                Arguments.of("move into own child", "[{'op':'move','from':'/spec','path':'/spec/x'}]", 422,
                        "jsonpatch move operation does not apply: cannot move \"/spec\" into its own child "
                                + "\"/spec/x\""),
                Arguments.of("test missing", "[{'op':'test','path':'/spec/zz','value':1}]", 422,
                        "jsonpatch test operation does not apply: doc is missing path: \"/spec/zz\""),
                Arguments.of("unknown op", "[{'op':'foo','path':'/a'}]", 422, "unknown operation \"foo\""),
                Arguments.of("missing op", "[{'path':'/a'}]", 422,
                        "jsonpatch: operation {\"path\":\"/a\"} has no \"op\" string"),
                Arguments.of("missing path", "[{'op':'add','value':1}]", 422,
                        "jsonpatch add operation: \"path\" is missing or not a string"),
                Arguments.of("missing value", "[{'op':'add','path':'/x'}]", 422,
                        "jsonpatch add operation: \"value\" is missing"),
                Arguments.of("pointer without slash", "[{'op':'add','path':'spec','value':1}]", 422,
                        "jsonpatch add operation: invalid JSON pointer \"spec\": must be empty or start with \"/\""),
                Arguments.of("bad escape", "[{'op':'remove','path':'/a~2'}]", 422,
                        "jsonpatch remove operation: invalid JSON pointer \"/a~2\": '~' must be followed by '0' "
                                + "or '1'"),
                Arguments.of("remove the document", "[{'op':'remove','path':''}]", 422,
                        "jsonpatch remove operation does not apply: cannot remove the whole document (path \"\")"),
                Arguments.of("result not an object", "[{'op':'replace','path':'','value':[1]}]", 422,
                        "jsonpatch: the patched document must be a JSON object, got array"),
                Arguments.of("not an array", "{'op':'add','path':'/a','value':1}", 400,
                        "invalid JSON patch: expected an array of operations, got object"),
                Arguments.of("operation not an object", "[1]", 400,
                        "invalid JSON patch: operation 0 is a number, expected an object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void errors(String name, String patch, int code, String message) {
        ObjectNode target = obj("{'spec':{'a':[1,2],'s':'x'}}");
        assertThatThrownBy(() -> JsonPatch.apply(target, json(patch)))
                .isInstanceOfSatisfying(PatchException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.code()).isEqualTo(code);
                });
        assertThat(target).isEqualTo(obj("{'spec':{'a':[1,2],'s':'x'}}"));
    }

    @Test
    void failingOperationLeavesNothingHalfApplied() {
        ObjectNode target = obj("{'a':1}");
        JsonNode patch = json("[{'op':'add','path':'/b','value':2},{'op':'remove','path':'/zz'}]");
        assertThatThrownBy(() -> JsonPatch.apply(target, patch)).isInstanceOf(PatchException.class);
        assertThat(target).isEqualTo(obj("{'a':1}"));
    }

    @Test
    void rejectsMoreThanTenThousandOperationsWith413() {
        ArrayNode ops = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < JsonPatch.MAX_OPERATIONS; i++) {
            ops.add(json("{'op':'test','path':'/a','value':1}"));
        }
        assertThat(JsonPatch.apply(obj("{'a':1}"), ops)).isEqualTo(obj("{'a':1}"));

        ops.add(json("{'op':'test','path':'/a','value':1}"));
        assertThatThrownBy(() -> JsonPatch.apply(obj("{'a':1}"), ops))
                .isInstanceOfSatisfying(PatchException.class, e -> {
                    assertThat(e.code()).isEqualTo(413);
                    assertThat(e.reason()).isEqualTo("RequestEntityTooLarge");
                    assertThat(e.getMessage())
                            .isEqualTo("The allowed maximum operations in a JSON patch is 10000, got 10001");
                });
    }

    @Test
    void neverModifiesItsInputsNorSharesNodesWithThem() {
        ObjectNode target = obj("{'a':{'b':[1]}}");
        JsonNode patch = json("[{'op':'add','path':'/c','value':{'d':[1]}},{'op':'add','path':'/a/b/-','value':2}]");
        JsonNode patchCopy = patch.deepCopy();

        ObjectNode result = JsonPatch.apply(target, patch);
        ((ObjectNode) result.get("c")).put("mutated", true);

        assertThat(target).isEqualTo(obj("{'a':{'b':[1]}}"));
        assertThat(patch).isEqualTo(patchCopy);
        assertThat(result).isEqualTo(obj("{'a':{'b':[1,2]},'c':{'d':[1],'mutated':true}}"));
    }

    @Test
    void randomDocumentsRoundTrip() {
        Random random = new Random(6902);
        for (int i = 0; i < 3000; i++) {
            ObjectNode a = TestJson.randomObject(random, 4, true);
            ObjectNode b = TestJson.randomObject(random, 4, true);

            ArrayNode replaceRoot = JsonNodeFactory.instance.arrayNode();
            replaceRoot.addObject().put("op", "replace").put("path", "").set("value", b);
            assertThat(JsonPatch.apply(a, replaceRoot)).isEqualTo(b);

            ArrayNode testRoot = JsonNodeFactory.instance.arrayNode();
            testRoot.addObject().put("op", "test").put("path", "").set("value", a);
            assertThat(JsonPatch.apply(a, testRoot)).isEqualTo(a);

            ArrayNode ops = JsonNodeFactory.instance.arrayNode();
            diff(a, b, "", ops);
            assertThat(JsonPatch.apply(a, ops)).as("A=%s B=%s ops=%s", a, b, ops).isEqualTo(b);
        }
    }

    /** A simple JSON patch generator: member-wise for objects, whole replacement for anything else. */
    private static void diff(JsonNode from, JsonNode to, String path, ArrayNode ops) {
        if (from.isObject() && to.isObject()) {
            for (Map.Entry<String, JsonNode> e : from.properties()) {
                if (!to.has(e.getKey())) {
                    ops.addObject().put("op", "remove").put("path", path + "/" + escape(e.getKey()));
                }
            }
            for (Map.Entry<String, JsonNode> e : to.properties()) {
                String child = path + "/" + escape(e.getKey());
                JsonNode old = from.get(e.getKey());
                if (old == null) {
                    ops.addObject().put("op", "add").put("path", child).set("value", e.getValue());
                } else {
                    diff(old, e.getValue(), child, ops);
                }
            }
        } else if (!from.equals(to)) {
            ops.addObject().put("op", "test").put("path", path).set("value", from);
            ops.addObject().put("op", "replace").put("path", path).set("value", to);
        }
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
