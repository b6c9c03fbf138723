package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /rerank on all-minilm-l6-v2 (cosine over embeddings; named, since without a name the cross-encoder answers)
 * puts the relevant passage first on real query/passage pairs.
 */
@QuarkusTest
class RerankTest {

    private static final String MINILM = "all-minilm-l6-v2";

    /** Each query's relevant passage is at index {@code relevant} among distractors on nearby topics. */
    record Case(String query, int relevant, List<String> passages) {
    }

    private static final List<Case> CASES = List.of(
            new Case("What is the capital of France?", 1, List.of(
                    "Berlin is the capital and largest city of Germany.",
                    "Paris is the capital and most populous city of France.",
                    "France is famous for its wine and cheese.")),
            new Case("How do plants make food?", 2, List.of(
                    "Animals get energy by eating plants or other animals.",
                    "Gardening is a relaxing hobby for many people.",
                    "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar.")),
            new Case("How can I reset my forgotten password?", 0, List.of(
                    "Click 'Forgot password' on the login page and follow the link sent to your email.",
                    "Strong passwords mix letters, numbers and symbols.",
                    "Our office is open from nine to five on weekdays.")),
            new Case("What causes rain?", 1, List.of(
                    "Umbrellas were invented thousands of years ago.",
                    "Water vapour in clouds condenses into droplets that fall when they grow heavy.",
                    "Deserts receive very little precipitation each year.")),
            new Case("Who wrote Romeo and Juliet?", 0, List.of(
                    "The play Romeo and Juliet was written by William Shakespeare.",
                    "Verona is a city in northern Italy.",
                    "Many tragedies end with the death of the main characters.")),
            new Case("Which programming language runs on the JVM?", 2, List.of(
                    "Python is popular for data science.",
                    "The kernel schedules processes on the CPU.",
                    "Java compiles to bytecode that the Java Virtual Machine executes.")));

    @Test
    void relevantPassageRanksFirst() {
        ModelWait.ready();
        for (Case c : CASES) {
            JsonPath ranked = given().contentType(ContentType.JSON)
                    .body(Map.of("query", c.query(), "texts", c.passages(), "return_text", true, "model", MINILM))
                    .post("/rerank").then().statusCode(200).header(RerankResource.SCORER_HEADER, "cosine")
                    .extract().jsonPath();
            assertEquals(c.relevant(), ranked.getInt("[0].index"), c.query() + " -> " + ranked.prettify());
            assertEquals(c.passages().get(c.relevant()), ranked.getString("[0].text"));
            List<Float> scores = ranked.getList("score", Float.class);
            for (int i = 1; i < scores.size(); i++) {
                assertTrue(scores.get(i - 1) >= scores.get(i), "sorted by descending score");
            }
        }
    }

    @Test
    void batchedScoresEqualSoloScores() {
        ModelWait.ready();
        Case c = CASES.get(0);
        List<Float> together = given().contentType(ContentType.JSON)
                .body(Map.of("query", c.query(), "texts", c.passages(), "model", MINILM))
                .post("/rerank").then().statusCode(200).extract().jsonPath().getList("score", Float.class);
        float best = given().contentType(ContentType.JSON)
                .body(Map.of("query", c.query(), "texts", List.of(c.passages().get(c.relevant())), "model", MINILM))
                .post("/rerank").then().statusCode(200).extract().jsonPath().getFloat("[0].score");
        assertEquals(best, together.get(0), 1e-5);
    }

    @Test
    void badRerankInputs() {
        given().contentType(ContentType.JSON).body("{\"query\": \"q\", \"texts\": []}").post("/rerank")
                .then().statusCode(400).contentType("application/problem+json").body("detail", containsString("texts"));
        given().contentType(ContentType.JSON).body("{\"query\": \"\", \"texts\": [\"a\"]}").post("/rerank")
                .then().statusCode(400).body("detail", containsString("query"));
        given().contentType(ContentType.JSON).body("{\"query\": \"q\", \"texts\": [\"a\", \"\"]}").post("/rerank")
                .then().statusCode(400).body("detail", containsString("texts[1] is empty"));
        given().contentType(ContentType.JSON).body("{\"query\": \"q\", \"texts\": \"a\"}").post("/rerank")
                .then().statusCode(400).body("detail", containsString("texts"));
    }
}
