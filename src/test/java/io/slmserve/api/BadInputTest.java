package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Every bad input is a 4xx with a message, in problem+json natively and the OpenAI shape under /v1. */
@QuarkusTest
class BadInputTest {

    private static final String LONG = "word ".repeat(400);

    @ParameterizedTest(name = "/v1/embeddings {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"input\": |400|malformed JSON",
        "[1,2,3]|400|",
        "{\"input\": 5}|400|must be a string or an array",
        "{\"input\": []}|400|must not be empty",
        "{\"input\": [\"a\", 5]}|400|input[1] must be a string",
        "{\"input\": [[1.5]]}|400|integer token id",
        "{\"input\": [[101, 99999999]]}|400|outside the vocabulary",
        "{\"input\": \"\"}|400|is empty",
        "{\"input\": \"x\", \"model\": 5}|400|model",
        "{\"input\": \"x\", \"model\": \"no-such-model\"}|404|does not exist",
        "{\"input\": \"x\", \"dimensions\": \"a\"}|400|dimensions",
        "{\"input\": \"x\", \"dimensions\": 0}|400|dimensions must be between",
        "{\"input\": \"x\", \"dimensions\": 385}|400|dimensions must be between",
        "{\"input\": \"x\", \"encoding_format\": \"int8\"}|400|encoding_format",
        "{\"input\": \"x\", \"encoding_format\": 1}|400|encoding_format",
    })
    void openAiErrors(String body, int status, String message) {
        given().contentType(ContentType.JSON).body(body).post("/v1/embeddings")
                .then().statusCode(status).contentType(ContentType.JSON)
                .body("error.message", message == null ? notNullValue() : containsString(message))
                .body("error.type", notNullValue());
    }

    @ParameterizedTest(name = "/embed {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"inputs\": |400|malformed JSON",
        "{}|400|is required",
        "{\"inputs\": [[1, 2]]}|400|array of strings",
        "{\"inputs\": \"x\", \"truncate\": \"yes\"}|400|truncate",
        "{\"inputs\": \"x\", \"normalize\": 1}|400|normalize",
        "{\"inputs\": \"x\", \"model\": \"no-such-model\"}|404|does not exist",
    })
    void nativeErrors(String body, int status, String message) {
        given().contentType(ContentType.JSON).body(body).post("/embed")
                .then().statusCode(status).contentType("application/problem+json")
                .body("status", equalTo(status)).body("detail", containsString(message));
    }

    @Test
    void tooLongWithoutTruncateIs422AndTruncateServesIt() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body("{\"inputs\": \"" + LONG + "\"}").post("/embed")
                .then().statusCode(422).contentType("application/problem+json").body("detail", containsString("256"));
        given().contentType(ContentType.JSON).body("{\"input\": \"" + LONG + "\"}").post("/v1/embeddings")
                .then().statusCode(422).body("error.message", containsString("256"));
        given().contentType(ContentType.JSON).body("{\"inputs\": \"" + LONG + "\", \"truncate\": true}").post("/embed")
                .then().statusCode(200);
    }

    @Test
    void tooManyInputsInOneCall() {
        String many = "[" + "\"a\",".repeat(512) + "\"a\"]";
        given().contentType(ContentType.JSON).body("{\"input\": " + many + "}").post("/v1/embeddings")
                .then().statusCode(400).body("error.message", containsString("at most 512 inputs"));
    }

    @Test
    void bodyOverThePayloadLimitIs413() {
        String big = "{\"inputs\": \"" + "a".repeat(5 * 1024 * 1024) + "\"}";
        given().contentType(ContentType.JSON).body(big).post("/embed")
                .then().statusCode(413).contentType("application/problem+json").body("status", equalTo(413));
        given().contentType(ContentType.JSON).body(big).post("/v1/embeddings")
                .then().statusCode(413).body("error.code", equalTo("payload_too_large"));
    }

    @Test
    void wrongMediaTypeUnknownRouteAndWrongMethod() {
        given().contentType(ContentType.TEXT).body("x").post("/v1/embeddings").then().statusCode(415);
        given().get("/no/such/route").then().statusCode(404).contentType("application/problem+json");
        given().get("/embed").then().statusCode(405);
        given().contentType(ContentType.JSON).post("/v1/embeddings").then().statusCode(400)
                .body("error.message", containsString("body is required"));
    }

    @Test
    void serverKeepsServingAfterBadInput() {
        ModelWait.ready();
        for (int i = 0; i < 20; i++) {
            given().contentType(ContentType.JSON).body("{\"input\": [[-1]]}").post("/v1/embeddings").then().statusCode(400);
        }
        given().contentType(ContentType.JSON).body("{\"input\": \"still serving\"}").post("/v1/embeddings")
                .then().statusCode(200).body("data[0].embedding.size()", equalTo(384));
    }
}
