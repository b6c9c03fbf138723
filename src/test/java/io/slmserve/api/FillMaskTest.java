package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.slmserve.testing.HeldOut;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** nano-bert-mlm through /fill-mask: held-out quality against a frequency baseline, batching, bad inputs. */
@QuarkusTest
class FillMaskTest {

    private static final String MODEL = "nano-bert-mlm";

    @Test
    void heldOutTop5AccuracyIsAtLeastThreeTimesTheFrequencyBaseline() {
        ModelWait.ready();
        List<JsonNode> examples = HeldOut.read(MODEL);
        assertTrue(examples.size() >= 200, "enough held-out examples: " + examples.size());
        int top1 = 0;
        int top5 = 0;
        for (int from = 0; from < examples.size(); from += 64) {
            List<JsonNode> chunk = examples.subList(from, Math.min(examples.size(), from + 64));
            JsonPath answer = given().contentType(ContentType.JSON)
                    .body(Map.of("model", MODEL, "inputs", chunk.stream().map(e -> e.get("text").asText()).toList(),
                            "top_k", 5, "truncate", true))
                    .post("/fill-mask").then().statusCode(200).extract().jsonPath();
            for (int i = 0; i < chunk.size(); i++) {
                long expected = chunk.get(i).get("answer_id").asLong();
                List<Long> tokens = answer.getList("[" + i + "].token", Long.class);
                top1 += tokens.get(0) == expected ? 1 : 0;
                top5 += tokens.contains(expected) ? 1 : 0;
            }
        }
        // Baseline: always guess the five most frequent answers of this very set (generous to the baseline).
        Map<Long, Long> counts = examples.stream()
                .collect(Collectors.groupingBy(e -> e.get("answer_id").asLong(), Collectors.counting()));
        Set<Long> frequent = counts.entrySet().stream()
                .sorted(Map.Entry.<Long, Long>comparingByValue(Comparator.reverseOrder())).limit(5)
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        long baseline = examples.stream().filter(e -> frequent.contains(e.get("answer_id").asLong())).count();
        double n = examples.size();
        System.out.printf("fill-mask held-out (%d): top-1 %.3f, top-5 %.3f, frequency baseline top-5 %.3f%n",
                examples.size(), top1 / n, top5 / n, baseline / n);
        assertTrue(top5 >= 3 * baseline, "top-5 " + top5 + " vs 3 x baseline " + baseline);
    }

    @Test
    void candidatesLookLikeTheHuggingFacePipelineAndBatchingChangesNothing() {
        ModelWait.ready();
        List<JsonNode> examples = HeldOut.read(MODEL).subList(0, 6);
        List<String> texts = examples.stream().map(e -> e.get("text").asText()).toList();
        JsonPath together = given().contentType(ContentType.JSON)
                .body(Map.of("model", MODEL, "inputs", texts, "top_k", 3))
                .post("/fill-mask").then().statusCode(200).extract().jsonPath();
        for (int i = 0; i < texts.size(); i++) {
            JsonPath alone = given().contentType(ContentType.JSON)
                    .body(Map.of("model", MODEL, "inputs", texts.get(i), "top_k", 3))
                    .post("/fill-mask").then().statusCode(200).extract().jsonPath();
            assertEquals(together.getList("[" + i + "].token", Long.class), alone.getList("token", Long.class));
            List<Float> a = together.getList("[" + i + "].score", Float.class);
            List<Float> b = alone.getList("score", Float.class);
            for (int k = 0; k < 3; k++) {
                assertEquals(a.get(k), b.get(k), 1e-5);
            }
            String tokenStr = alone.getString("[0].token_str");
            assertTrue(alone.getString("[0].sequence").contains(tokenStr), alone.prettify());
            assertTrue(!alone.getString("[0].sequence").contains("[MASK]"), "the mask is filled");
        }
    }

    @Test
    void badFillMaskInputs() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", "no mask here")).post("/fill-mask")
                .then().statusCode(400).contentType("application/problem+json").body("detail", containsString("no [MASK]"));
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", "[MASK] and [MASK]"))
                .post("/fill-mask").then().statusCode(400).body("detail", containsString("more than one"));
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", List.of("")))
                .post("/fill-mask").then().statusCode(400).body("detail", containsString("empty"));
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", "a [MASK]", "top_k", 0))
                .post("/fill-mask").then().statusCode(400).body("detail", containsString("top_k"));
        given().contentType(ContentType.JSON).body(Map.of("model", "all-minilm-l6-v2", "inputs", "a [MASK]"))
                .post("/fill-mask").then().statusCode(400).body("detail", containsString("serves text-embedding"));
    }
}
