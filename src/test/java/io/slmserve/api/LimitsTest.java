package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The resource limits of docs/operations.md: each one exceeded is a 4xx naming it. */
@QuarkusTest
class LimitsTest {

    @ParameterizedTest(name = "/v1/completions {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "\"max_tokens\": 600|422|max_total_tokens",
        "\"n\": 17|400|n must be between 1 and 16",
        "\"n\": 2, \"best_of\": 3|400|best_of must equal n",
        "\"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]|400|at most 4 stop strings",
        "\"logit_bias\": {\"abc\": 1}|400|logit_bias keys must be token ids",
        "\"logit_bias\": {\"5\": 101}|400|between -100 and 100",
        "\"logit_bias\": {\"99999999\": 1}|400|outside the vocabulary",
        "\"logit_bias\": {\"5\": \"x\"}|400|logit_bias",
    })
    void generationLimits(String field, int status, String message) {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body("{\"prompt\": \"In\", \"model\": \"nano-gpt\", " + field + "}")
                .post("/v1/completions").then().statusCode(status).body("error.message", containsString(message));
    }

    @Test
    void longStopStringsAndLargeLogitBiasMapsAreRefused() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body(Map.of("prompt", "In", "model", "nano-gpt", "stop", List.of("x".repeat(257))))
                .post("/v1/completions").then().statusCode(400).body("error.param", equalTo("stop"))
                .body("error.message", containsString("the limit is 256"));
        Map<String, Integer> bias = new HashMap<>();
        for (int i = 0; i < 301; i++) {
            bias.put(Integer.toString(i), 1);
        }
        given().contentType(ContentType.JSON).body(Map.of("messages", List.of(Map.of("role", "user", "content", "In")),
                        "model", "nano-gpt", "logit_bias", bias))
                .post("/v1/chat/completions").then().statusCode(400).body("error.message", containsString("at most 300"));
    }

    @Test
    void aLogitBiasOf100ForcesItsToken() {
        ModelWait.ready();
        String text = given().contentType(ContentType.JSON).body(Map.of("prompt", "In the beginning", "model", "nano-gpt",
                        "max_tokens", 3, "temperature", 0, "logit_bias", Map.of("65", 100)))
                .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");
        String forced = given().contentType(ContentType.JSON).body(Map.of("ids", List.of(65, 65, 65), "model", "nano-gpt"))
                .post("/decode").then().statusCode(200).extract().asString();
        assertEquals(forced.replace("\"", ""), text);
    }

    @Test
    void httpHeaderAndRequestLineLimits() {
        given().header("X-Padding", "p".repeat(20_000)).get("/q/health/live").then().statusCode(431);
        given().get("/models?x=" + "q".repeat(5_000)).then().statusCode(414);
    }
}
