package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/** Health, metrics, the model list and the OpenAPI document. */
@QuarkusTest
class OperationsTest {

    @Test
    void healthEndpoints() {
        ModelWait.ready();
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/started").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'models' }.data.'all-minilm-l6-v2'", equalTo("READY"));
    }

    @Test
    void modelListsShowStateWorkersAndBatching() {
        ModelWait.ready();
        given().get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data.id", hasItem("all-minilm-l6-v2"));
        given().get("/models/all-minilm-l6-v2").then().statusCode(200)
                .body("status", equalTo("READY")).body("task", equalTo("text-embedding"))
                .body("family", equalTo("encoder")).body("workers", equalTo(2))
                .body("batching.max_input_tokens", equalTo(256));
        given().get("/models/nope").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void prometheusMetricsCoverTheServingPath() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body("{\"input\": \"metrics\"}").post("/v1/embeddings").then().statusCode(200);
        given().contentType(ContentType.JSON).body("{\"inputs\": \"metrics\"}").post("/embed").then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : new String[] {"slm_request_duration_seconds_count{endpoint=\"/v1/embeddings\"",
                "slm_request_duration_seconds_count{endpoint=\"/embed\"", "slm_queue_size{model=\"all-minilm-l6-v2\"",
                "slm_queue_wait_seconds_count{model=\"all-minilm-l6-v2\"", "slm_batch_size_bucket",
                "slm_input_tokens_count"}) {
            org.junit.jupiter.api.Assertions.assertTrue(metrics.contains(name), "metrics contain " + name);
        }
    }

    @Test
    void openApiDescribesEveryEndpoint() {
        String spec = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().asString();
        for (String path : new String[] {"/v1/models", "/v1/embeddings", "/embed", "/tokenize", "/decode", "/models",
                "/models/{id}"}) {
            org.junit.jupiter.api.Assertions.assertTrue(spec.contains("\"" + path + "\""), "spec has " + path);
        }
        given().queryParam("format", "json").get("/q/openapi").then()
                .body("components.schemas.EmbeddingsRequest.properties.input.examples[0]", org.hamcrest.Matchers.hasItem(containsString("cat")))
                .body("paths.'/v1/embeddings'.post.responses.'429'.description", containsString("queue"));
    }
}
