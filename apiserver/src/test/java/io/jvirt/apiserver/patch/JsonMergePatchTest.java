package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.jvirt.apiserver.patch.TestJson.json;
import static io.jvirt.apiserver.patch.TestJson.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonMergePatchTest {

    /** RFC 7386 Appendix A, all of it (targets and results that are not objects go through merge()). */
    static Stream<Arguments> rfc7386AppendixA() {
        return Stream.of(
                Arguments.of("{'a':'b'}", "{'a':'c'}", "{'a':'c'}"),
                Arguments.of("{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}"),
                Arguments.of("{'a':'b'}", "{'a':null}", "{}"),
                Arguments.of("{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}"),
                Arguments.of("{'a':['b']}", "{'a':'c'}", "{'a':'c'}"),
                Arguments.of("{'a':'c'}", "{'a':['b']}", "{'a':['b']}"),
                Arguments.of("{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}"),
                Arguments.of("{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}"),
                Arguments.of("['a','b']", "['c','d']", "['c','d']"),
                Arguments.of("{'a':'b'}", "['c']", "['c']"),
                Arguments.of("{'a':'foo'}", "null", "null"),
                Arguments.of("{'a':'foo'}", "'bar'", "'bar'"),
                Arguments.of("{'e':null}", "{'a':1}", "{'e':null,'a':1}"),
                Arguments.of("[1,2]", "{'a':'b','c':null}", "{'a':'b'}"),
                Arguments.of("{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}"));
    }

    @ParameterizedTest(name = "{0} + {1} = {2}")
    @MethodSource("rfc7386AppendixA")
    void rfc7386AppendixA(String target, String patch, String expected) {
        assertThat(JsonMergePatch.merge(json(target), json(patch))).isEqualTo(json(expected));
        if (json(target).isObject() && json(patch).isObject()) {
            assertThat(JsonMergePatch.apply(obj(target), json(patch))).isEqualTo(json(expected));
        }
    }

    static Stream<Arguments> kubectlMergePatches() {
        String pod = "{'metadata':{'name':'p','labels':{'app':'web','a':'b'}},'spec':{'containers':[{'name':'c',"
                + "'image':'i:1'}],'nodeName':'n1'}}";
        return Stream.of(
                Arguments.of("label", pod, "{'metadata':{'labels':{'tier':'fe'}}}",
                        "{'metadata':{'name':'p','labels':{'app':'web','a':'b','tier':'fe'}},'spec':{'containers':"
                                + "[{'name':'c','image':'i:1'}],'nodeName':'n1'}}"),
                Arguments.of("label removal", pod, "{'metadata':{'labels':{'a':null}}}",
                        "{'metadata':{'name':'p','labels':{'app':'web'}},'spec':{'containers':"
                                + "[{'name':'c','image':'i:1'}],'nodeName':'n1'}}"),
                Arguments.of("lists are replaced whole", pod, "{'spec':{'containers':[{'name':'d'}]}}",
                        "{'metadata':{'name':'p','labels':{'app':'web','a':'b'}},'spec':{'containers':"
                                + "[{'name':'d'}],'nodeName':'n1'}}"),
                Arguments.of("empty patch", pod, "{}", pod));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kubectlMergePatches")
    void kubectlMergePatches(String name, String target, String patch, String expected) {
        assertThat(JsonMergePatch.apply(obj(target), json(patch))).isEqualTo(json(expected));
    }

    @Test
    void rejectsNonObjectPatchWith400() {
        for (String patch : new String[] {"[]", "null", "'x'", "1"}) {
            assertThatThrownBy(() -> JsonMergePatch.apply(obj("{'a':1}"), json(patch)))
                    .isInstanceOfSatisfying(PatchException.class, e -> {
                        assertThat(e.code()).isEqualTo(400);
                        assertThat(e.reason()).isEqualTo("BadRequest");
                        assertThat(e.getMessage()).startsWith("invalid JSON merge patch: expected a JSON object");
                    });
        }
    }

    @Test
    void neverModifiesItsInputsNorSharesNodesWithThem() {
        ObjectNode target = obj("{'a':{'b':[1,2]},'c':'d'}");
        JsonNode patch = json("{'a':{'e':{'f':1}},'c':null,'g':[{'h':1}]}");
        ObjectNode targetCopy = target.deepCopy();
        JsonNode patchCopy = patch.deepCopy();

        ObjectNode result = JsonMergePatch.apply(target, patch);
        ((ObjectNode) result.get("a")).put("mutated", true);
        ((ObjectNode) result.get("a").get("e")).put("mutated", true);
        ((ObjectNode) result.get("g").get(0)).put("mutated", true);

        assertThat(target).isEqualTo(targetCopy);
        assertThat(patch).isEqualTo(patchCopy);
    }

    static Stream<Arguments> diffs() {
        return Stream.of(
                Arguments.of("{'a':1}", "{'a':1}", "{}"),
                Arguments.of("{'a':1}", "{'a':2}", "{'a':2}"),
                Arguments.of("{'a':1,'b':2}", "{'b':2}", "{'a':null}"),
                Arguments.of("{'a':{'x':1,'y':2}}", "{'a':{'x':1,'z':3}}", "{'a':{'y':null,'z':3}}"),
                Arguments.of("{'a':[1,2]}", "{'a':[1,2,3]}", "{'a':[1,2,3]}"),
                Arguments.of("{'a':'s'}", "{'a':{'k':'v'}}", "{'a':{'k':'v'}}"),
                Arguments.of("{'a':{'k':'v'}}", "{'a':'s'}", "{'a':'s'}"),
                Arguments.of("{'metadata':{'labels':{'a':'b'}}}", "{'metadata':{'labels':{}}}",
                        "{'metadata':{'labels':{'a':null}}}"));
    }

    @ParameterizedTest(name = "diff({0}, {1}) = {2}")
    @MethodSource("diffs")
    void diff(String from, String to, String expected) {
        assertThat(JsonMergePatch.diff(obj(from), obj(to))).isEqualTo(json(expected));
        assertThat(JsonMergePatch.apply(obj(from), JsonMergePatch.diff(obj(from), obj(to)))).isEqualTo(json(to));
    }

    @Test
    void applyOfDiffRoundTripsRandomDocuments() {
        Random random = new Random(7386);
        for (int i = 0; i < 5000; i++) {
            ObjectNode a = TestJson.randomObject(random, 4, true);
            ObjectNode b = TestJson.randomObject(random, 4, false);
            ObjectNode aCopy = a.deepCopy();
            ObjectNode bCopy = b.deepCopy();

            ObjectNode patch = JsonMergePatch.diff(a, b);

            assertThat(JsonMergePatch.apply(a, patch)).as("A=%s B=%s patch=%s", a, b, patch).isEqualTo(b);
            assertThat(JsonMergePatch.diff(b, b)).isEmpty();
            assertThat(a).isEqualTo(aCopy);
            assertThat(b).isEqualTo(bCopy);
        }
    }
}
