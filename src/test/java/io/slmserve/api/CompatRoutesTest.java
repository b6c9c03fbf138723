package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * TGI's and TEI's compatibility routes POST / and POST /invocations answer as the native route the body picks,
 * on the bundled models (several models fit a bare {inputs}); a model that is an http(s) URL names no model.
 */
@QuarkusTest
class CompatRoutesTest {

    private static String post(String path, Object body, int status) {
        return given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(status)
                .extract().asString();
    }

    @Test
    void rootAndInvocationsAnswerAsTheNativeRoute() {
        ModelWait.ready();
        Map<String, Object> generate = Map.of("inputs", "In the beginning", "parameters", Map.of("max_new_tokens", 12));
        String direct = post("/generate", generate, 200);
        assertEquals(direct, post("/", generate, 200));
        assertEquals(direct, post("/invocations", generate, 200));

        String stream = given().contentType(ContentType.JSON)
                .body(Map.of("inputs", "In the beginning", "parameters", Map.of("max_new_tokens", 12), "stream", true))
                .post("/").then().statusCode(200).contentType(containsString("text/event-stream"))
                .extract().asString();
        List<String> events = stream.lines().filter(l -> l.startsWith("data:")).toList();
        assertTrue(events.size() > 1, stream);
        assertEquals(JsonPath.from(direct).getString("generated_text"),
                JsonPath.from(events.get(events.size() - 1).substring(5)).getString("generated_text"));

        Map<String, Object> embed = Map.of("inputs", List.of("The cat sits on the mat."), "normalize", true);
        assertEquals(post("/embed", embed, 200), post("/", embed, 200));
        Map<String, Object> predict = Map.of("inputs", "And Jesus answered and said unto them", "raw_scores", true);
        assertEquals(post("/predict", predict, 200), post("/invocations", predict, 200));
        Map<String, Object> rerank = Map.of("query", "capital of France",
                "texts", List.of("Bananas are yellow.", "Paris is the capital of France."));
        assertEquals(post("/rerank", rerank, 200), post("/", rerank, 200));
        Map<String, Object> named = Map.of("inputs", "In the beginning God created the [MASK] and the earth.",
                "model", "nano-bert-mlm");
        assertEquals(post("/fill-mask", named, 200), post("/", named, 200));
    }

    @Test
    void anAmbiguousOrMismatchedBodyIsA400NamingWhy() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body(Map.of("inputs", "hello")).post("/").then().statusCode(400)
                .contentType("application/problem+json").body("param", equalTo("model"))
                .body("detail", allOf(containsString("all-minilm-l6-v2 (text-embedding, POST /embed)"),
                        containsString("nano-bert-testament (text-classification, POST /predict)"),
                        containsString("nano-gpt (text-generation, POST /generate)")));
        given().contentType(ContentType.JSON).body(Map.of("inputs", "hello", "normalize", true, "model", "nano-gpt"))
                .post("/").then().statusCode(400).body("detail", containsString("serves text-generation"));
        given().contentType(ContentType.JSON).body(Map.of("parameters", Map.of())).post("/invocations").then()
                .statusCode(400).body("param", equalTo("inputs"));
        given().contentType(ContentType.JSON).body("[1]").post("/").then().statusCode(400);
        given().contentType(ContentType.JSON).body(Map.of("inputs", 5, "normalize", true)).post("/").then()
                .statusCode(400).body("param", equalTo("inputs"));
        given().get("/").then().statusCode(200).contentType(containsString("text/html"));
    }

    @Test
    void anHttpUrlAsModelNamesNoModel() {
        ModelWait.ready();
        String url = "http://localhost:8080";
        given().contentType(ContentType.JSON)
                .body(Map.of("model", url, "prompt", "In the beginning", "max_tokens", 4, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).body("model", equalTo("nano-gpt"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "https://example.org/x", "messages", List.of(Map.of("role", "user",
                        "content", "hi")), "max_tokens", 2)).post("/v1/chat/completions").then().statusCode(200)
                .body("model", equalTo("nano-gpt"));
        given().contentType(ContentType.JSON).body(Map.of("model", url + "/", "input", "hi")).post("/v1/embeddings")
                .then().statusCode(200).body("model", equalTo("all-minilm-l6-v2"));
        given().contentType(ContentType.JSON).body(Map.of("model", "ftp://x", "input", "hi")).post("/v1/embeddings")
                .then().statusCode(404);
    }
}
