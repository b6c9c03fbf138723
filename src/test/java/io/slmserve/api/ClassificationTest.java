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
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** nano-bert-testament through /predict: held-out accuracy against the majority class, batching, bad inputs. */
@QuarkusTest
class ClassificationTest {

    private static final String MODEL = "nano-bert-testament";

    @Test
    void heldOutAccuracyBeatsTheMajorityBaselineByTwentyPoints() {
        ModelWait.ready();
        List<JsonNode> examples = HeldOut.read(MODEL);
        assertTrue(examples.size() >= 200, "enough held-out examples: " + examples.size());
        int correct = 0;
        for (int from = 0; from < examples.size(); from += 64) {
            List<JsonNode> chunk = examples.subList(from, Math.min(examples.size(), from + 64));
            JsonPath answer = given().contentType(ContentType.JSON)
                    .body(Map.of("model", MODEL, "inputs", chunk.stream().map(e -> e.get("text").asText()).toList(),
                            "truncate", true))
                    .post("/predict").then().statusCode(200).extract().jsonPath();
            for (int i = 0; i < chunk.size(); i++) {
                correct += answer.getString("[" + i + "][0].label").equals(chunk.get(i).get("label").asText()) ? 1 : 0;
            }
        }
        long majority = examples.stream().collect(Collectors.groupingBy(e -> e.get("label").asText(),
                Collectors.counting())).values().stream().mapToLong(Long::longValue).max().orElseThrow();
        double accuracy = correct / (double) examples.size();
        double baseline = majority / (double) examples.size();
        System.out.printf("classification held-out (%d): accuracy %.3f, majority baseline %.3f%n", examples.size(),
                accuracy, baseline);
        assertTrue(accuracy >= 0.85, "accuracy " + accuracy);
        assertTrue(accuracy >= baseline + 0.20, "accuracy " + accuracy + " vs majority " + baseline);
    }

    @Test
    void scoresAreProbabilitiesAndBatchingChangesNothing() {
        ModelWait.ready();
        List<String> texts = HeldOut.read(MODEL).subList(0, 8).stream().map(e -> e.get("text").asText()).toList();
        JsonPath together = given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", texts))
                .post("/predict").then().statusCode(200).extract().jsonPath();
        for (int i = 0; i < texts.size(); i++) {
            JsonPath alone = given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", texts.get(i)))
                    .post("/predict").then().statusCode(200).extract().jsonPath();
            List<Float> a = together.getList("[" + i + "].score", Float.class);
            List<Float> b = alone.getList("score", Float.class);
            assertEquals(together.getList("[" + i + "].label"), alone.getList("label"));
            assertEquals(1.0, b.stream().mapToDouble(Float::doubleValue).sum(), 1e-5, "probabilities sum to 1");
            for (int k = 0; k < a.size(); k++) {
                assertEquals(a.get(k), b.get(k), 1e-5);
            }
        }
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", texts.get(0), "raw_scores", true,
                "top_k", 1)).post("/predict").then().statusCode(200).body("size()", org.hamcrest.Matchers.equalTo(1));
    }

    @Test
    void badPredictInputs() {
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", List.of())).post("/predict")
                .then().statusCode(400).contentType("application/problem+json").body("detail", containsString("empty"));
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", "x", "top_k", 3)).post("/predict")
                .then().statusCode(400).body("detail", containsString("top_k"));
        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", List.of("a", ""))).post("/predict")
                .then().statusCode(400).body("detail", containsString("inputs[1] is empty"));
    }
}
