package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A model whose forward raises for some inputs: that request gets a 500 naming the model (a genuine engine
 * fault), its batch neighbours and the next requests are served by a replaced worker, and the other model is
 * untouched.
 */
@QuarkusTest
@TestProfile(ModelFaultProfile.class)
class ModelFaultTest {

    @Test
    void aFaultingForwardFailsThatRequestOnlyAndTheModelKeepsServing() throws Exception {
        ModelWait.ready();
        String poison = wordFor(ModelFaultProfile.POISON);

        given().contentType(ContentType.JSON).body(Map.of("model", ModelFaultProfile.FAULTY,
                        "input", List.of(List.of(101, ModelFaultProfile.POISON, 102))))
                .post("/v1/embeddings").then().statusCode(500).contentType(ContentType.JSON)
                .body("error.type", equalTo("server_error")).body("error.code", equalTo("engine_failure"))
                .body("error.message", containsString("'" + ModelFaultProfile.FAULTY + "'"));
        given().contentType(ContentType.JSON).body(Map.of("model", ModelFaultProfile.FAULTY, "inputs", poison))
                .post("/embed").then().statusCode(500).contentType("application/problem+json")
                .body("status", equalTo(500)).body("title", equalTo("Model execution failed"))
                .body("detail", containsString("corrupted weights"));

        // The same model serves the next valid request, and the other model never noticed.
        given().contentType(ContentType.JSON).body(Map.of("model", ModelFaultProfile.FAULTY, "inputs", "fine text"))
                .post("/embed").then().statusCode(200).body("[0].size()", equalTo(ModelFaultProfile.HIDDEN));
        given().contentType(ContentType.JSON).body(Map.of("model", ModelFaultProfile.GOOD, "input", "still fine"))
                .post("/v1/embeddings").then().statusCode(200).body("data[0].embedding.size()", equalTo(384));

        // A poisoned request batched with good ones fails alone.
        List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String text = i == 2 ? "a " + poison + " b" : "neighbour number " + i;
            calls.add(CompletableFuture.supplyAsync(() -> given().contentType(ContentType.JSON)
                    .body(Map.of("model", ModelFaultProfile.FAULTY, "inputs", text)).post("/embed")));
        }
        for (int i = 0; i < calls.size(); i++) {
            Response r = calls.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(i == 2 ? 500 : 200, r.statusCode(), "request " + i + ": " + r.asString());
        }
        given().get("/models/" + ModelFaultProfile.FAULTY).then().statusCode(200).body("status", equalTo("READY"))
                .body("queue_depth", equalTo(0));
        given().contentType(ContentType.JSON).body(Map.of("model", ModelFaultProfile.FAULTY, "inputs", "after all"))
                .post("/embed").then().statusCode(200);
    }

    /** The vocabulary word with this id in the shared BERT tokenizer. */
    private static String wordFor(long id) throws Exception {
        JsonNode vocab = new ObjectMapper().readTree(Path.of("models/all-minilm-l6-v2/tokenizer.json").toFile())
                .path("model").path("vocab");
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asLong() == id && e.getKey().matches("[a-z]+")) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("no plain word with id " + id);
    }
}
