package io.slmserve.clients;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.slmserve.api.ModelWait;
import io.slmserve.client.ApiClient;
import io.slmserve.client.ApiException;
import io.slmserve.client.api.NativeApi;
import io.slmserve.client.api.OpenAiApi;
import io.slmserve.client.model.EmbedRequest;
import io.slmserve.client.model.EmbeddingsRequest;
import io.slmserve.client.model.EmbeddingsResponse;
import io.slmserve.client.model.GenerateParameters;
import io.slmserve.client.model.GenerateRequest;
import io.slmserve.client.model.GenerateResponse;
import io.slmserve.client.model.Model;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Java client that openapi-generator (library native) makes from the committed openapi/slm-serve.yaml at
 * generate-test-sources, against this server: the contract is usable as published, not only valid.
 */
@QuarkusTest
class GeneratedJavaClientTest {

    private static final List<String> TEXTS = List.of("The cat sits on the mat.", "A dog plays in the park.");

    @TestHTTPResource("/")
    URL root;

    private OpenAiApi openAi;
    private NativeApi nativeApi;

    @BeforeEach
    void client() {
        ModelWait.ready();
        ApiClient client = new ApiClient();
        client.updateBaseUri(root.toString().replaceAll("/$", ""));
        openAi = new OpenAiApi(client);
        nativeApi = new NativeApi(client);
    }

    @Test
    void listsTheReadyModels() throws ApiException {
        List<String> ids = openAi.listModels().getData().stream().map(Model::getId).toList();
        assertTrue(ids.containsAll(List.of("all-minilm-l6-v2", "nano-gpt")), ids.toString());
    }

    @Test
    void embeddingsFloatBase64AndNativeAgree() throws ApiException {
        EmbeddingsResponse floats = openAi.createEmbedding(new EmbeddingsRequest().model("all-minilm-l6-v2")
                .input(TEXTS).encodingFormat(EmbeddingsRequest.EncodingFormatEnum.FLOAT));
        EmbeddingsResponse base64 = openAi.createEmbedding(new EmbeddingsRequest().model("all-minilm-l6-v2")
                .input(TEXTS).encodingFormat(EmbeddingsRequest.EncodingFormatEnum.BASE64));
        List<List<Float>> tei = nativeApi.embed(new EmbedRequest().inputs(TEXTS).model("all-minilm-l6-v2"));
        assertEquals(2, floats.getData().size());
        assertEquals(2, tei.size());
        for (int i = 0; i < TEXTS.size(); i++) {
            List<?> vector = (List<?>) floats.getData().get(i).getEmbedding();
            float[] decoded = decode((String) base64.getData().get(i).getEmbedding());
            assertEquals(384, vector.size());
            assertEquals(384, decoded.length);
            assertEquals(384, tei.get(i).size());
            for (int d = 0; d < 384; d++) {
                float value = ((Number) vector.get(d)).floatValue();
                assertEquals(value, decoded[d], 1e-6, "base64 vs float, text " + i + " dim " + d);
                assertEquals(value, tei.get(i).get(d), 1e-6, "/embed vs /v1/embeddings, text " + i + " dim " + d);
            }
        }
    }

    @Test
    void generatesTheGreedyText() throws ApiException {
        GenerateResponse response = nativeApi.generate(new GenerateRequest().inputs("In the beginning")
                .model("nano-gpt").parameters(new GenerateParameters().maxNewTokens(16).doSample(false)));
        String expected = given().contentType(ContentType.JSON)
                .body(Map.of("inputs", "In the beginning", "model", "nano-gpt",
                        "parameters", Map.of("max_new_tokens", 16, "do_sample", false)))
                .post("/generate").then().statusCode(200).extract().path("generated_text");
        assertFalse(response.getGeneratedText().isEmpty());
        assertEquals(expected, response.getGeneratedText());
    }

    @Test
    void anUnknownModelIsAnApiExceptionWithA4xxCode() {
        ApiException error = assertThrows(ApiException.class, () -> nativeApi.generate(
                new GenerateRequest().inputs("x").model("no-such-model")));
        assertEquals(404, error.getCode(), error.getResponseBody());
        assertTrue(error.getResponseBody().contains("no-such-model"), error.getResponseBody());
        ApiException openAiError = assertThrows(ApiException.class, () -> openAi.createEmbedding(
                new EmbeddingsRequest().model("all-minilm-l6-v2").input("")));
        assertEquals(400, openAiError.getCode(), openAiError.getResponseBody());
        assertTrue(openAiError.getResponseBody().contains("\"error\""), openAiError.getResponseBody());
    }

    private static float[] decode(String base64) {
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(out);
        return out;
    }
}
