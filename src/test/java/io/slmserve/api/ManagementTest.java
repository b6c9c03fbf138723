package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Register, scale and unregister models at run time, behind the admin key. */
@QuarkusTest
@TestProfile(ManagementTest.AdminProfile.class)
class ManagementTest {

    private static final String ADMIN = "Bearer admin-secret";
    static final Path MODELS = folder();

    /** A models folder with MiniLM only, and an admin key. */
    public static class AdminProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("slm.models-dir", MODELS.toString(), "slm.auth.admin-key", "admin-secret");
        }
    }

    @TestHTTPResource("/v1/embeddings")
    URI embeddings;

    @Test
    void registerScaleAndUnregister() throws Exception {
        ModelWait.ready();
        given().post("/models?url=copy").then().statusCode(401);
        given().header("Authorization", ADMIN).post("/models?url=copy").then().statusCode(400);
        minilm(MODELS.resolve("copy"), 4);
        given().header("Authorization", ADMIN).post("/models?url=copy").then().statusCode(202)
                .body("id", equalTo("copy"));
        given().header("Authorization", ADMIN).post("/models?url=copy").then().statusCode(409);
        given().header("Authorization", ADMIN).post("/models?url=../../etc").then().statusCode(403);
        awaitReady("copy");
        given().contentType(ContentType.JSON).body("{\"model\": \"copy\", \"input\": \"hello\"}").post("/v1/embeddings")
                .then().statusCode(200).body("model", equalTo("copy"));

        given().header("Authorization", ADMIN).put("/models/copy?min_worker=2&max_worker=3").then().statusCode(200)
                .body("workers", equalTo(2)).body("batching.max_workers", equalTo(3));
        given().header("Authorization", ADMIN).put("/models/copy?min_worker=1&max_worker=1").then().statusCode(200)
                .body("batching.max_workers", equalTo(1));
        given().header("Authorization", ADMIN).put("/models/copy?min_worker=0").then().statusCode(400);

        // Unregistering drains: every request sent gets an answer (200 served, 429 queue of 4 full, 503 draining,
        // 404 already gone), and none hangs.
        HttpClient client = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(client.sendAsync(HttpRequest.newBuilder(embeddings).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"copy\", \"input\": \"drain " + i + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        given().header("Authorization", ADMIN).delete("/models/copy").then().statusCode(204);
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            int status = call.get(60, TimeUnit.SECONDS).statusCode();
            assertTrue(status == 200 || status == 429 || status == 503 || status == 404, "status " + status);
        }
        given().get("/models/copy").then().statusCode(404);
        given().header("Authorization", ADMIN).delete("/models/copy").then().statusCode(404);
        given().contentType(ContentType.JSON).body("{\"input\": \"the original still serves\"}").post("/v1/embeddings")
                .then().statusCode(200).body("model", equalTo("minilm"));
    }

    private static void awaitReady(String id) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            String status = given().get("/models/" + id).then().extract().path("status");
            if ("READY".equals(status)) {
                return;
            }
            assertTrue(!"FAILED".equals(status), "model failed: " + given().get("/models/" + id).asString());
            Thread.sleep(100);
        }
        throw new AssertionError(id + " not READY in 30 s");
    }

    private static Path folder() {
        try {
            Path root = Files.createTempDirectory("slm-managed-");
            minilm(root.resolve("minilm"), 16);
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void minilm(Path dir, int queue) {
        try {
            Files.createDirectories(dir);
            Path source = Path.of("models/all-minilm-l6-v2").toAbsolutePath();
            for (String file : new String[] {"model.pt", "tokenizer.json", "config.json"}) {
                Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
            }
            Files.writeString(dir.resolve("serving.properties"), "option.task=text-embedding\nbatch_size=8\n"
                    + "job_queue_size=" + queue + "\nmax_input_tokens=256\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
