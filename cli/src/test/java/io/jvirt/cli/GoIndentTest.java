package io.jvirt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** virtctl prints guest agent answers with Go's json.MarshalIndent(v, "", "  "); so do the jvirt verbs. */
class GoIndentTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void looksLikeGosMarshalIndent() throws Exception {
        String in = "{\"metadata\":{},\"items\":[{\"userName\":\"root\",\"loginTime\":1795409121000}],"
                + "\"fsInfo\":{\"disks\":[]},\"n\":[1,2]}";
        assertThat(JSON.writer(new VirtctlVerbs.GoIndent()).writeValueAsString(JSON.readTree(in))).isEqualTo("""
                {
                  "metadata": {},
                  "items": [
                    {
                      "userName": "root",
                      "loginTime": 1795409121000
                    }
                  ],
                  "fsInfo": {
                    "disks": []
                  },
                  "n": [
                    1,
                    2
                  ]
                }""");
    }
}
