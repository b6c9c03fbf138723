package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With API keys configured, inference needs a bearer key; health, OpenAPI and metrics stay open. */
@QuarkusTest
@TestProfile(ApiKeyAuthTest.WithKeys.class)
class ApiKeyAuthTest {

    /** Two keys, so rotation works. */
    public static class WithKeys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("slm.auth.api-keys", "key-one,key-two");
        }
    }

    @Test
    void inferenceNeedsAValidKey() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body("{\"input\": \"hi\"}").post("/v1/embeddings")
                .then().statusCode(401).header("WWW-Authenticate", "Bearer")
                .body("error.type", equalTo("authentication_error"));
        given().header("Authorization", "Bearer wrong").contentType(ContentType.JSON).body("{\"inputs\": \"hi\"}")
                .post("/embed").then().statusCode(401).contentType("application/problem+json").body("status", equalTo(401));
        given().header("Authorization", "Bearer key-two").contentType(ContentType.JSON).body("{\"input\": \"hi\"}")
                .post("/v1/embeddings").then().statusCode(200);
        given().header("Authorization", "bearer key-one").get("/models").then().statusCode(200);
        given().get("/models").then().statusCode(401);
    }

    @Test
    void probesOpenApiAndMetricsStayOpen() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    void everyResponseCarriesARequestId() {
        given().header("X-Request-Id", "abc-123").get("/q/health/live").then().header("X-Request-Id", "abc-123");
        given().header("X-Request-Id", "bad id with spaces").get("/v1/models").then().statusCode(401)
                .header("X-Request-Id", notNullValue());
    }
}
