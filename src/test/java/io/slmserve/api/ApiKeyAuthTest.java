package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With API keys configured, inference needs a bearer key; health, OpenAPI, metrics and the playground stay open. */
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
    void thePlaygroundPageAndItsAssetsStayOpen() throws IOException {
        given().get("/").then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("playground/app.js"));
        for (String asset : new String[] {"app.js", "api.js", "dom.js", "panels.js", "style.css"}) {
            given().get("/playground/" + asset).then().statusCode(200);
        }
        // The page is open, the inference routes at the same path are not.
        given().contentType(ContentType.JSON).body("{\"inputs\": \"hi\", \"normalize\": true}").post("/")
                .then().statusCode(401);
        given().contentType(ContentType.JSON).body("{\"inputs\": \"hi\", \"normalize\": true}").post("/invocations")
                .then().statusCode(401);
        // Sent as is (an HTTP client would collapse the dots): the check must see the path the router matches.
        assertTrue(rawGet("/playground/../models").startsWith("HTTP/1.1 401"));
        assertTrue(rawGet("/q/health/../../models").startsWith("HTTP/1.1 401"));
    }

    private static String rawGet(String path) throws IOException {
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void everyResponseCarriesARequestId() {
        given().header("X-Request-Id", "abc-123").get("/q/health/live").then().header("X-Request-Id", "abc-123");
        given().header("X-Request-Id", "bad id with spaces").get("/v1/models").then().statusCode(401)
                .header("X-Request-Id", notNullValue());
    }
}
