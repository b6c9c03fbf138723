package io.slmserve.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.slmserve.api.ModelWait;
import java.net.URL;
import org.junit.jupiter.api.Test;

/**
 * The official openai npm client (src/test/js/openai-client.mjs) against this server, on the bundled models:
 * embeddings (base64 default and float), completions and chat completions, plain and streamed, an error and the
 * model list. The script asserts with node:assert; this test passes only when it exits 0.
 */
@QuarkusTest
class OpenAiNodeClientTest {

    @TestHTTPResource("/v1")
    URL v1;

    @Test
    void officialOpenAiClientWorks() {
        NodeTools.requirePackage("openai");
        ModelWait.ready();
        NodeTools.Result result = NodeTools.run(300, "node", NodeTools.JS.resolve("openai-client.mjs").toString(),
                v1.toString());
        assertEquals(0, result.exitCode(), "openai-client.mjs failed:\n" + result.output());
        assertTrue(result.output().contains("openai client: all checks passed"), result.output());
    }
}
