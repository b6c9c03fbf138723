package io.slmserve.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.slmserve.api.ModelWait;
import java.net.URL;
import org.junit.jupiter.api.Test;

/**
 * Hugging Face's @huggingface/inference client (src/test/js/hf-client.mjs) with endpointUrl set to this server, as
 * users point it at a TGI or TEI endpoint: textGeneration, textGenerationStream, featureExtraction (POST /) and
 * chatCompletion, each compared with the same request sent straight to the server's own route.
 */
@QuarkusTest
class HfInferenceClientTest {

    @TestHTTPResource("/")
    URL root;

    @Test
    void huggingFaceInferenceClientWorks() {
        NodeTools.requirePackage("@huggingface/inference");
        ModelWait.ready();
        NodeTools.Result result = NodeTools.run(300, "node", NodeTools.JS.resolve("hf-client.mjs").toString(),
                root.toString());
        assertEquals(0, result.exitCode(), "hf-client.mjs failed:\n" + result.output());
        assertTrue(result.output().contains("hf client: all checks passed"), result.output());
    }
}
