package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Request deadlines (X-Request-Timeout, slm.limits.request-timeout): queued work past its deadline is dropped with
 * a 504, running generation stops and frees its slot, and under 10x overload every request is answered in time.
 */
@QuarkusTest
@TestProfile(GenerationProfile.class)
class DeadlineTest {

    /**
     * How late after its deadline an answer may come. On an idle 2-core machine the worst seen is ~0.6 s; a
     * machine starved of CPU (event loops blocked for seconds) needs more: -Dtest.deadline-margin-ms.
     */
    private static final long MARGIN_MS = Long.getLong("test.deadline-margin-ms", 3_000);

    private static final String LONG = "{\"prompt\": \"In the beginning\", \"max_tokens\": 400, \"temperature\": 0, "
            + "\"ignore_eos\": true%s}";

    @Test
    void aMalformedOrTooLargeTimeoutIs400InTheCallersShape() {
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "soon")
                .body("{\"inputs\": \"x\"}").post("/generate").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("X-Request-Timeout"));
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "-1")
                .body("{\"prompt\": \"x\"}").post("/v1/completions").then().statusCode(400)
                .body("error.param", equalTo("X-Request-Timeout"));
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "86400")
                .body("{\"prompt\": \"x\"}").post("/v1/completions").then().statusCode(400)
                .body("error.message", containsString("between 0 and 600"));
    }

    @Test
    void theServersNewTokenCapAppliesBelowTheModelsLimit() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body("{\"prompt\": \"In\", \"max_tokens\": 490}")
                .post("/v1/completions").then().statusCode(400).body("error.param", equalTo("max_tokens"))
                .body("error.message", containsString("at most 480 new tokens"));
        given().contentType(ContentType.JSON).body("{\"inputs\": \"In\", \"parameters\": {\"max_new_tokens\": 600}}")
                .post("/generate").then().statusCode(422);
    }

    @Test
    void aRunningGenerationPastItsDeadlineIs504AndFreesItsSlot() {
        ModelWait.ready();
        long start = System.nanoTime();
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "0.3").body(String.format(LONG, ""))
                .post("/v1/completions").then().statusCode(504)
                .body("error.code", equalTo("deadline_exceeded")).body("error.type", equalTo("timeout_error"))
                .body("error.message", containsString("deadline of 300 ms"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        // A 504 means the 400 tokens were cut short (a sequence that finishes is a 200, whenever it ends).
        assertTrue(ms < 300 + MARGIN_MS, "answered near its deadline: " + ms + " ms");
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "0.3")
                .body("{\"inputs\": \"And God said\", \"parameters\": {\"max_new_tokens\": 400}}")
                .post("/generate").then().statusCode(504).contentType("application/problem+json")
                .body("status", equalTo(504)).body("title", equalTo("Deadline exceeded"));
        awaitIdle();
        // 0 turns the deadline off; a short request is unaffected by a generous one.
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "0")
                .body("{\"prompt\": \"And\", \"max_tokens\": 2}").post("/v1/completions").then().statusCode(200);
        given().contentType(ContentType.JSON).header("X-Request-Timeout", "30")
                .body("{\"prompt\": \"And\", \"max_tokens\": 2}").post("/v1/completions").then().statusCode(200);
    }

    @Test
    void aStreamPastItsDeadlineEndsWithAnErrorEvent() {
        ModelWait.ready();
        String body = given().contentType(ContentType.JSON).header("X-Request-Timeout", "0.5")
                .body(String.format(LONG, ", \"stream\": true")).post("/v1/completions")
                .then().statusCode(200).extract().asString();
        List<String> events = Generate.events(body);
        assertEquals("[DONE]", events.get(events.size() - 1));
        assertTrue(events.get(events.size() - 2).contains("deadline_exceeded"), events.get(events.size() - 2));
        assertTrue(events.size() > 3, "tokens streamed before the deadline");
        awaitIdle();
    }

    /**
     * 80 requests (10x the queue of 8) in four waves, streaming and not, with deadlines of 1-2 s and generations
     * that may outlast them. Every answer is 200, 429, 503 or 504, none comes later than its deadline plus a margin,
     * and the server's own count of 200s and 504s matches what the clients received: no accepted request was lost.
     */
    @Test
    void overloadWithShortDeadlinesAnswersEveryRequestInTime() throws Exception {
        ModelWait.ready();
        Map<String, Double> before = statusCounts();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Random random = new Random(7);
        List<CompletableFuture<long[]>> calls = new ArrayList<>();
        for (int wave = 0; wave < 4; wave++) {
            for (int i = 0; i < 20; i++) {
                boolean stream = random.nextBoolean();
                long deadlineMs = 1_000 + random.nextInt(1_000);
                int tokens = 10 + random.nextInt(300);
                String body = "{\"prompt\": \"Blessed are\", \"max_tokens\": " + tokens + ", \"temperature\": 0, "
                        + "\"ignore_eos\": true, \"stream\": " + stream + "}";
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port
                                + "/v1/completions")).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header("X-Request-Timeout", String.format("%.3f", deadlineMs / 1000.0))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                long sent = System.nanoTime();
                calls.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
                    long took = (System.nanoTime() - sent) / 1_000_000;
                    int kind = !stream ? 0 : r.body().contains("deadline_exceeded") ? 2 : 1;
                    if (r.statusCode() == 200 && stream) {
                        List<String> events = Generate.events(r.body());
                        assertEquals("[DONE]", events.get(events.size() - 1), "every stream ends: " + r.body());
                    }
                    return new long[] {r.statusCode(), took, deadlineMs, kind};
                }));
            }
            Thread.sleep(500);
        }
        Map<Integer, Integer> byStatus = new TreeMap<>();
        int streamed200 = 0;
        int plain200 = 0;
        int plain504 = 0;
        long worstOvershoot = Long.MIN_VALUE;
        for (CompletableFuture<long[]> call : calls) {
            long[] r = call.get(60, TimeUnit.SECONDS);
            int status = (int) r[0];
            byStatus.merge(status, 1, Integer::sum);
            assertTrue(status == 200 || status == 429 || status == 503 || status == 504, "status " + status);
            worstOvershoot = Math.max(worstOvershoot, r[1] - r[2]);
            assertTrue(r[1] <= r[2] + MARGIN_MS, "answered " + (r[1] - r[2]) + " ms after its deadline");
            if (status == 200) {
                if (r[3] == 0) {
                    plain200++;
                } else {
                    streamed200++;
                }
            } else if (status == 504) {
                plain504++;
            }
        }
        System.out.printf("overload: %s, worst overshoot %d ms%n", byStatus, worstOvershoot);
        assertTrue(byStatus.getOrDefault(429, 0) > 0, "the queue overflowed: " + byStatus);
        assertTrue(byStatus.getOrDefault(200, 0) > 0, "some were served: " + byStatus);
        awaitIdle();
        Map<String, Double> after = statusCounts();
        assertEquals(plain200 + streamed200, delta(before, after, "200"), "server-side 200s = client 200s");
        assertEquals(plain504, delta(before, after, "504"), "server-side 504s = client 504s");
        assertEquals(byStatus.getOrDefault(429, 0), delta(before, after, "429"));
    }

    private static void awaitIdle() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline
                && Generate.metric("slm_running_sequences") + Generate.metric("slm_waiting_sequences") > 0) {
            sleep(20);
        }
        assertEquals(0, (int) Generate.metric("slm_running_sequences"), "every slot free");
        assertEquals(0, (int) Generate.metric("slm_waiting_sequences"), "nothing left waiting");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** slm_request_duration_seconds_count of /v1/completions by status. */
    private static Map<String, Double> statusCounts() {
        Map<String, Double> out = new TreeMap<>();
        for (String line : given().get("/q/metrics").asString().split("\n")) {
            if (line.startsWith("slm_request_duration_seconds_count{") && line.contains("endpoint=\"/v1/completions\"")) {
                int at = line.indexOf("status=\"") + 8;
                String status = line.substring(at, line.indexOf('"', at));
                out.merge(status, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
            }
        }
        return out;
    }

    private static int delta(Map<String, Double> before, Map<String, Double> after, String status) {
        return (int) Math.round(after.getOrDefault(status, 0.0) - before.getOrDefault(status, 0.0));
    }
}
