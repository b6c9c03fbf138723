package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The committed contract (openapi/slm-serve.yaml) is exactly what the server serves. When an endpoint changes,
 * regenerate it: {@code ./mvnw -B package -DskipTests && cp target/openapi/openapi.yaml openapi/slm-serve.yaml}.
 */
@QuarkusTest
class OpenApiContractTest {

    @Test
    void servedSpecEqualsTheCommittedOne() throws Exception {
        // Compared as JSON trees: key order differs between the build-time file and the served document.
        YAMLMapper yaml = new YAMLMapper();
        JsonNode served = yaml.readTree(given().get("/q/openapi").then().statusCode(200).extract().asString());
        JsonNode committed = yaml.readTree(Files.readString(Path.of("openapi/slm-serve.yaml")));
        assertEquals(committed, served, "openapi/slm-serve.yaml drifted from the served spec; "
                + "regenerate it (see this test's Javadoc)");
    }
}
