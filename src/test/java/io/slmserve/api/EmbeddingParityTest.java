package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.slmserve.testing.OnnxMiniLmOracle;
import io.slmserve.testing.ParityInputs;
import io.slmserve.testing.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Embeddings served over HTTP against ONNX Runtime running the original ONNX file on the same tokens
 * (taken from /tokenize, so truncation is the server's).
 */
@QuarkusTest
class EmbeddingParityTest {

    private static OnnxMiniLmOracle oracle;

    @BeforeAll
    static void loadOracle() throws Exception {
        oracle = new OnnxMiniLmOracle();
    }

    @AfterAll
    static void closeOracle() throws Exception {
        oracle.close();
    }

    @Test
    void servedEmbeddingsMatchOnnxRuntime() throws Exception {
        ModelWait.ready();
        List<String> normal = ParityInputs.normal();
        List<String> overLong = ParityInputs.overLong();
        assertTrue(normal.size() + overLong.size() >= 50, "at least 50 varied inputs");

        List<float[]> served = new ArrayList<>(embedOpenAi(normal));
        served.addAll(embedTruncated(overLong));
        List<String> all = new ArrayList<>(normal);
        all.addAll(overLong);
        List<long[]> tokens = tokenize(all);

        double worst = 1;
        String worstInput = null;
        for (int i = 0; i < all.size(); i++) {
            double cos = Vectors.cosine(served.get(i), oracle.embed(tokens.get(i)));
            if (cos < worst) {
                worst = cos;
                worstInput = all.get(i);
            }
            assertEquals(1.0, Vectors.norm(served.get(i)), 1e-4, "normalised");
        }
        for (int i = normal.size(); i < all.size(); i++) {
            assertEquals(256, tokens.get(i).length, "over-long input truncated to 256 tokens");
        }
        System.out.printf("parity: %d inputs, min cosine vs ONNX Runtime %.9f (%.40s)%n", all.size(), worst, worstInput);
        assertTrue(worst >= 0.9999, "min cosine " + worst + " for input: " + worstInput);
    }

    @Test
    void paraphraseIsCloserThanUnrelatedSentence() {
        ModelWait.ready();
        List<float[]> v = embedOpenAi(List.of("A man is eating food.", "A man is eating a piece of bread.",
                "The girl is carrying a baby.", "How do I reset my password?", "I forgot my login credentials.",
                "The weather is sunny today."));
        assertTrue(Vectors.cosine(v.get(0), v.get(1)) > Vectors.cosine(v.get(0), v.get(2)) + 0.2);
        assertTrue(Vectors.cosine(v.get(3), v.get(4)) > Vectors.cosine(v.get(3), v.get(5)) + 0.2);
    }

    static List<float[]> embedOpenAi(List<String> inputs) {
        JsonPath json = given().contentType(ContentType.JSON)
                .body(Map.of("model", "all-minilm-l6-v2", "input", inputs))
                .post("/v1/embeddings").then().statusCode(200).extract().jsonPath();
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            assertEquals(i, json.getInt("data[" + i + "].index"));
            out.add(Vectors.of(json.getList("data[" + i + "].embedding", Float.class)));
        }
        return out;
    }

    private static List<float[]> embedTruncated(List<String> inputs) {
        List<List<Float>> vectors = given().contentType(ContentType.JSON)
                .body(Map.of("inputs", inputs, "truncate", true))
                .post("/embed").then().statusCode(200).extract().jsonPath().getList("$");
        return vectors.stream().map(Vectors::of).toList();
    }

    private static List<long[]> tokenize(List<String> inputs) {
        JsonPath json = given().contentType(ContentType.JSON)
                .body(Map.of("inputs", inputs, "truncate", true, "model", "all-minilm-l6-v2"))
                .post("/tokenize").then().statusCode(200).extract().jsonPath();
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            out.add(json.getList("[" + i + "].id", Long.class).stream().mapToLong(Long::longValue).toArray());
        }
        return out;
    }
}
