package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Broken model folders fail alone; a full queue answers 429 at once and nothing hangs. */
@QuarkusTest
@TestProfile(BrokenNeighboursProfile.class)
class IsolationAndOverloadTest {

    @TestHTTPResource("/v1/embeddings")
    URI embeddings;

    @Test
    void brokenFoldersFailWithReasonsWhileTheGoodOneServes() {
        ModelWait.ready();
        given().get("/models/broken-missing-model").then().statusCode(200)
                .body("status", equalTo("FAILED")).body("reason", containsString("model.pt"));
        given().get("/models/broken-corrupt").then().statusCode(200)
                .body("status", equalTo("FAILED")).body("reason", containsString("Exception"));
        given().get("/models/broken-properties").then().statusCode(200)
                .body("status", equalTo("FAILED")).body("reason", containsString("batch_size"));
        given().get("/models/" + BrokenNeighboursProfile.GOOD).then().statusCode(200).body("status", equalTo("READY"));
        given().get("/v1/models").then().body("data.size()", equalTo(1));

        given().contentType(ContentType.JSON).body("{\"input\": \"x\", \"model\": \"broken-corrupt\"}")
                .post("/v1/embeddings").then().statusCode(503).body("error.message", containsString("failed to load"));
        given().contentType(ContentType.JSON).body("{\"input\": \"still fine\"}")
                .post("/v1/embeddings").then().statusCode(200).body("model", equalTo(BrokenNeighboursProfile.GOOD));
    }

    @Test
    void fiftyConcurrentRequestsOnAQueueOfTwoGet200Or429AndNoneHangs() throws Exception {
        ModelWait.ready();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String body = "{\"input\": [\"" + "overload test sentence number ".repeat(30) + "\"]}";
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            HttpRequest request = HttpRequest.newBuilder(embeddings).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            calls.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int rejected = 0;
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> response = call.get(90, TimeUnit.SECONDS);
            if (response.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(429, response.statusCode(), response.body());
                assertTrue(response.headers().firstValue("Retry-After").isPresent(), "429 carries Retry-After");
                assertTrue(response.body().contains("rate_limit_error"), response.body());
                rejected++;
            }
        }
        assertEquals(50, ok + rejected);
        assertTrue(ok >= 1 && rejected >= 1, "some served, some rejected: " + ok + " / " + rejected);
        given().get("/models/" + BrokenNeighboursProfile.GOOD).then().body("queue_depth", equalTo(0));
    }
}
