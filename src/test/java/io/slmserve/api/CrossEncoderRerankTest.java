package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.slmserve.testing.EncoderFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /rerank and /v1/rerank with a cross-encoder: a random-weight BertForSequenceClassification with one label
 * (written at test time by encoder_fixtures.py), next to all-minilm-l6-v2 and the two-label nano-bert-testament.
 * Raw scores equal the eager Python module's logits on the same pairs (so pair tokenization and token types
 * match), batched pairs equal single pairs within 1e-5, sigmoid is the logit's sigmoid, the Cohere/Jina shape
 * and top_n, the scorer is named, and bad input is a 4xx naming the field.
 */
@QuarkusTest
@TestProfile(CrossEncoderRerankTest.Profile.class)
class CrossEncoderRerankTest {

    static final String CROSS = "bert-rerank";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path root = Files.createTempDirectory("slm-rerank-models-");
                EncoderFixtures.copyServed(CROSS, root.resolve(CROSS));
                Files.createSymbolicLink(root.resolve("all-minilm-l6-v2"),
                        Path.of("models/all-minilm-l6-v2").toAbsolutePath());
                Files.createSymbolicLink(root.resolve("nano-bert-testament"),
                        Path.of("models/nano-bert-testament").toAbsolutePath());
                root.toFile().deleteOnExit();
                return Map.of("slm.models-dir", root.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void rawScoresAreThePythonModulesLogitsAndBatchedEqualsSingle() throws Exception {
        ModelWait.ready();
        JsonNode pairs = EncoderFixtures.reference(CROSS).get("pairs");
        for (JsonNode pair : pairs) {
            Map<Integer, Float> alone = scores(pair.get("query").asText(), List.of(pair.get("text").asText()), true,
                    null);
            assertEquals(pair.get("logit").asDouble(), alone.get(0), 1e-5, pair.toString());
        }
        // the three passages against the first query, together and one by one (no model named: the cross-encoder)
        String query = pairs.get(0).get("query").asText();
        List<String> texts = new ArrayList<>();
        pairs.forEach(p -> texts.add(p.get("text").asText()));
        Map<Integer, Float> together = scores(query, texts, true, null);
        Map<Integer, Float> sigmoid = scores(query, texts, false, null);
        for (int i = 0; i < texts.size(); i++) {
            float single = scores(query, List.of(texts.get(i)), true, null).get(0);
            assertEquals(single, together.get(i), 1e-5, "text " + i + " alone vs batched");
            assertEquals(1.0 / (1.0 + Math.exp(-together.get(i))), sigmoid.get(i), 1e-6);
        }
        given().contentType(ContentType.JSON).body(Map.of("query", query, "texts", texts)).post("/rerank").then()
                .statusCode(200).header(RerankResource.SCORER_HEADER, "cross-encoder");
        given().contentType(ContentType.JSON).body(Map.of("query", query, "texts", texts, "model", "all-minilm-l6-v2"))
                .post("/rerank").then().statusCode(200).header(RerankResource.SCORER_HEADER, "cosine");
    }

    @Test
    void documentsShapeWithTopNOnBothPaths() {
        ModelWait.ready();
        List<Object> docs = List.of("In the beginning God created the heaven and the earth.", "Jesus wept.",
                Map.of("text", "And the LORD spake unto Moses, saying,"));
        for (String path : List.of("/v1/rerank", "/rerank")) {
            JsonPath out = given().contentType(ContentType.JSON)
                    .body(Map.of("model", CROSS, "query", "Jesus wept", "documents", docs, "top_n", 2))
                    .post(path).then().statusCode(200)
                    .body("model", equalTo(CROSS)).body("scorer", equalTo("cross-encoder"))
                    .extract().jsonPath();
            assertEquals(2, out.getList("results").size());
            assertTrue(out.getDouble("results[0].relevance_score") >= out.getDouble("results[1].relevance_score"));
            int best = out.getInt("results[0].index");
            Object doc = docs.get(best);
            String text = doc instanceof Map<?, ?> m ? (String) m.get("text") : (String) doc;
            assertEquals(text, out.getString("results[0].document.text"));
            assertTrue(out.getInt("usage.total_tokens") > 0);
        }
        given().contentType(ContentType.JSON).body(Map.of("model", "all-minilm-l6-v2", "query", "Jesus wept",
                "documents", docs)).post("/v1/rerank").then().statusCode(200).body("scorer", equalTo("cosine"))
                .body("results.size()", equalTo(3));
    }

    @Test
    void badInputIsA4xxNamingTheField() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "texts", List.of()))
                .post("/rerank").then().statusCode(400).body("detail", containsString("texts"));
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "documents", List.of()))
                .post("/v1/rerank").then().statusCode(400).body("error.param", equalTo("documents"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", CROSS, "query", "q", "texts", Collections.nCopies(513, "a")))
                .post("/rerank").then().statusCode(400).body("detail", containsString("at most 512"));
        String longText = "and the LORD said unto Moses ".repeat(40);
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "texts", List.of(longText)))
                .post("/rerank").then().statusCode(422).body("detail", containsString("pair is longer"));
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "documents",
                List.of(longText))).post("/v1/rerank").then().statusCode(422).body("error.param", equalTo("documents"));
        for (String direction : List.of("right", "left")) {
            given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "texts", List.of(longText),
                    "truncate", true, "truncation_direction", direction)).post("/rerank").then().statusCode(200);
        }
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", longText, "texts", List.of("a"),
                "truncate", true)).post("/rerank").then().statusCode(422).body("detail", containsString("query"));
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "texts", List.of("a"),
                "truncation_direction", "middle")).post("/rerank").then().statusCode(400)
                .body("detail", containsString("truncation_direction"));
        given().contentType(ContentType.JSON).body(Map.of("model", CROSS, "query", "q", "documents", List.of("a"),
                "top_n", 0)).post("/v1/rerank").then().statusCode(400).body("error.param", equalTo("top_n"));
        given().contentType(ContentType.JSON).body(Map.of("model", "nano-bert-testament", "query", "q",
                "texts", List.of("a"))).post("/rerank").then().statusCode(400).body("detail", containsString("labels"));
        given().contentType(ContentType.JSON).body(Map.of("model", "all-minilm-l6-v2", "inputs", "a",
                "prompt_name", "query")).post("/embed").then().statusCode(400)
                .body("detail", containsString("prompt_name 'query' is not declared"));
    }

    @Test
    void embedAllReturnsTokenStatesWhosePoolingIsTheEmbedding() {
        ModelWait.ready();
        given().get("/models/all-minilm-l6-v2").then().statusCode(200).body("pooling.mode", equalTo("mean"));
        List<List<Number>> all = given().contentType(ContentType.JSON)
                .body(Map.of("model", "all-minilm-l6-v2", "inputs", List.of("Jesus wept.")))
                .post("/embed_all").then().statusCode(200).extract().jsonPath().getList("[0]");
        List<Float> pooled = given().contentType(ContentType.JSON)
                .body(Map.of("model", "all-minilm-l6-v2", "inputs", List.of("Jesus wept."), "normalize", false))
                .post("/embed").then().statusCode(200).extract().jsonPath().getList("[0]", Float.class);
        assertEquals(384, pooled.size());
        for (int j = 0; j < pooled.size(); j++) {
            double mean = 0;
            for (List<Number> token : all) {
                mean += token.get(j).doubleValue() / all.size();
            }
            assertEquals(mean, pooled.get(j), 1e-5, "dimension " + j);
        }
    }

    private static Map<Integer, Float> scores(String query, List<String> texts, boolean raw, String model) {
        Map<String, Object> body = new HashMap<>(Map.of("query", query, "texts", texts, "raw_scores", raw));
        if (model != null) {
            body.put("model", model);
        }
        JsonPath out = given().contentType(ContentType.JSON).body(body).post("/rerank")
                .then().statusCode(200).extract().jsonPath();
        Map<Integer, Float> byIndex = new HashMap<>();
        List<Integer> idx = out.getList("index", Integer.class);
        List<Float> sc = out.getList("score", Float.class);
        for (int i = 0; i < idx.size(); i++) {
            byIndex.put(idx.get(i), sc.get(i));
        }
        return byIndex;
    }
}
