package io.slmserve.observability;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * With the JSON formatter on, a log line written while a request runs is one JSON object whose MDC holds that
 * request's id. The JSON formatter is the one QUARKUS_LOG_CONSOLE_JSON_ENABLED=true puts on the console; here it
 * writes to a file so the test can read it back.
 */
@QuarkusTest
@TestProfile(JsonLogTest.JsonLogs.class)
class JsonLogTest {

    static final Path LOG = Path.of("target", "json-log-test", "slm-serve.log");

    /** JSON to a file, the per-request DEBUG line on, no models (the request only has to be answered). */
    public static class JsonLogs implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.deleteIfExists(LOG);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of(
                    "slm.models-dir", EmptyModelsDir.create(),
                    "quarkus.log.console.json.enabled", "true",
                    "quarkus.log.file.enabled", "true",
                    "quarkus.log.file.path", LOG.toString(),
                    "quarkus.log.file.json.enabled", "true",
                    "quarkus.log.category.\"io.slmserve.requests\".level", "DEBUG");
        }
    }

    @Test
    void aRequestsLogLineIsJsonWithItsRequestId() throws Exception {
        String id = "json-log-test-7f3a";
        int status = given().header("X-Request-Id", id).contentType(ContentType.JSON).body("{\"inputs\": \"hi\"}")
                .post("/predict").then().header("X-Request-Id", id).extract().statusCode();
        assertTrue(status >= 400 && status < 500, "no classifier is loaded: a 4xx, was " + status);

        ObjectMapper json = new ObjectMapper();
        JsonNode line = awaitLine(json, id);
        assertEquals("io.slmserve.requests", line.path("loggerName").asText());
        assertEquals("DEBUG", line.path("level").asText());
        assertTrue(line.path("message").asText().startsWith("POST /predict " + status + " "), line.toString());
        assertTrue(line.hasNonNull("timestamp"), line.toString());
    }

    /** Every line of the file parses as JSON; returns the one whose MDC carries the id. */
    private static JsonNode awaitLine(ObjectMapper json, String id) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<String> lines = Files.exists(LOG) ? Files.readAllLines(LOG) : List.of();
            Optional<JsonNode> found = Optional.empty();
            for (String text : lines) {
                JsonNode node = json.readTree(text); // throws on a line that is not JSON
                if (id.equals(node.path("mdc").path("requestId").asText(null))) {
                    found = Optional.of(node);
                }
            }
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no JSON log line with mdc.requestId=" + id + " in " + LOG + ":\n"
                        + String.join("\n", lines));
            }
            Thread.sleep(100);
        }
    }
}
