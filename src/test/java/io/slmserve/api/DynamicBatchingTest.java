package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.slmserve.testing.ParityInputs;
import io.slmserve.testing.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Concurrent requests are batched together, and each still gets exactly its own embedding. */
@QuarkusTest
class DynamicBatchingTest {

    @Test
    void concurrentRequestsAreBatchedAndEachGetsItsOwnEmbedding() throws Exception {
        ModelWait.ready();
        List<String> inputs = ParityInputs.normal().subList(0, 40);
        List<float[]> solo = new ArrayList<>();
        for (String input : inputs) {
            solo.add(EmbeddingParityTest.embedOpenAi(List.of(input)).get(0));
        }
        double before = batchedRows();

        ExecutorService clients = Executors.newFixedThreadPool(32);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<float[]>> futures = new ArrayList<>();
                for (String input : inputs) {
                    futures.add(clients.submit(() -> EmbeddingParityTest.embedOpenAi(List.of(input)).get(0)));
                }
                for (int i = 0; i < inputs.size(); i++) {
                    double diff = Vectors.maxAbsDiff(solo.get(i), futures.get(i).get());
                    assertTrue(diff <= 1e-5, "input " + i + " differs from its unbatched result by " + diff);
                }
            }
        } finally {
            clients.shutdownNow();
        }
        assertTrue(batchedRows() > before, "the batch-size metric shows batches of more than one row");
    }

    @Test
    void oneRequestWithManyInputsKeepsOrder() {
        ModelWait.ready();
        List<String> inputs = ParityInputs.normal().subList(0, 20);
        List<float[]> together = EmbeddingParityTest.embedOpenAi(inputs);
        for (int i = 0; i < inputs.size(); i += 5) {
            float[] alone = EmbeddingParityTest.embedOpenAi(List.of(inputs.get(i))).get(0);
            assertTrue(Vectors.maxAbsDiff(alone, together.get(i)) <= 1e-5, "input " + i);
        }
    }

    @Test
    void base64AndDimensionsFollowOpenAi() {
        ModelWait.ready();
        float[] full = EmbeddingParityTest.embedOpenAi(List.of("base64 check")).get(0);
        String encoded = given().contentType(ContentType.JSON)
                .body(Map.of("input", "base64 check", "encoding_format", "base64"))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");
        java.nio.FloatBuffer decoded = java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(encoded))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] fromBase64 = new float[decoded.remaining()];
        decoded.get(fromBase64);
        assertTrue(Vectors.maxAbsDiff(full, fromBase64) == 0, "base64 is the same little-endian float32 vector");

        List<Float> short64 = given().contentType(ContentType.JSON)
                .body(Map.of("input", "base64 check", "dimensions", 64))
                .post("/v1/embeddings").then().statusCode(200).extract().jsonPath().getList("data[0].embedding", Float.class);
        float[] truncated = Vectors.of(short64);
        assertTrue(truncated.length == 64 && Math.abs(Vectors.norm(truncated) - 1) < 1e-5, "64 dims, re-normalised");
        float[] expected = Vectors.normalized(java.util.Arrays.copyOf(full, 64));
        assertTrue(Vectors.maxAbsDiff(expected, truncated) < 1e-5, "first 64 dimensions of the full vector");
    }

    /** Sum of rows over batches that held more than one row, from the Prometheus histogram buckets. */
    static double batchedRows() {
        String metrics = given().get("/q/metrics").asString();
        Matcher le1 = Pattern.compile("slm_batch_size_bucket\\{model=\"all-minilm-l6-v2\",le=\"1\\.0\"} (\\S+)")
                .matcher(metrics);
        Matcher count = Pattern.compile("slm_batch_size_count\\{model=\"all-minilm-l6-v2\"} (\\S+)")
                .matcher(metrics);
        if (!le1.find() || !count.find()) {
            return 0;
        }
        return Double.parseDouble(count.group(1)) - Double.parseDouble(le1.group(1));
    }
}
