package io.slmserve.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of every POST endpoint and the management routes: 10,000 requests that are malformed,
 * oversized, wrongly typed, deeply nested, invalid UTF-8, out of range or sent with a bad content type. Each must
 * be a 4xx with a non-empty message in the endpoint's error shape (problem+json natively, OpenAI under /v1),
 * never a 5xx; after every batch the server answers valid requests, and valid requests sent alongside the fuzz
 * are all served. {@link FuzzCases} builds the requests.
 */
@QuarkusTest
class FuzzTest {

    private static final int REQUESTS = 10_000;
    private static final int BATCH = 500;
    private static final int THREADS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tenThousandBadRequestsAreAll4xxInTheRightShapeAndNothingValidIsLost() throws Exception {
        ModelWait.ready();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://localhost:" + RestAssured.port;
        FuzzCases cases = new FuzzCases(new Random(20261129L));
        Map<String, Integer> byStatus = new TreeMap<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean fuzzing = new AtomicBoolean(true);
        AtomicInteger validSent = new AtomicInteger();
        AtomicInteger validServed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        Future<?> valid = pool.submit(() -> {
            while (fuzzing.get()) {
                validSent.incrementAndGet();
                if (sendValid(http, base, validSent.get())) {
                    validServed.incrementAndGet();
                }
            }
            return null;
        });
        long start = System.nanoTime();
        for (int sent = 0; sent < REQUESTS; sent += BATCH) {
            List<FuzzCases.Case> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                batch.add(cases.next());
            }
            Map<String, Integer> counts = new ConcurrentHashMap<>();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t;
                work.add(pool.submit(() -> {
                    for (int i = offset; i < batch.size(); i += THREADS) {
                        check(http, base, batch.get(i), counts, failures);
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(120, TimeUnit.SECONDS);
            }
            counts.forEach((k, v) -> byStatus.merge(k, v, Integer::sum));
            assertTrue(sendValid(http, base, sent), "the server still serves after " + (sent + BATCH) + " requests");
        }
        fuzzing.set(false);
        valid.get(60, TimeUnit.SECONDS);
        pool.shutdownNow();
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        System.out.printf("fuzz: %d requests in %d s by category/status %s; %d valid requests alongside%n", REQUESTS,
                seconds, byStatus, validSent.get());
        java.nio.file.Files.write(java.nio.file.Path.of("target/fuzz-failures.txt"), failures);
        assertTrue(failures.isEmpty(), failures.size() + " bad answers (all in target/fuzz-failures.txt), e.g.\n" + String.join("\n",
                failures.subList(0, Math.min(15, failures.size()))));
        assertEquals(validSent.get(), validServed.get(), "every valid request sent during the fuzz was served");
    }

    private static void check(HttpClient http, String base, FuzzCases.Case c, Map<String, Integer> counts,
                              List<String> failures) {
        HttpResponse<String> r;
        try {
            r = http.send(c.request(base), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            failures.add(c + " -> no answer: " + e);
            return;
        }
        int status = r.statusCode();
        counts.merge(c.kind() + "/" + status, 1, Integer::sum);
        String problem = problem(c, r);
        if (problem != null) {
            failures.add(c + " -> " + status + " " + problem + ": " + abbreviate(r.body()));
        }
    }

    /** Null when the answer is a 4xx with a message in the shape of the request's API, else what is wrong. */
    private static String problem(FuzzCases.Case c, HttpResponse<String> r) {
        int status = r.statusCode();
        if (status < 400 || status >= 500) {
            return "not a 4xx";
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        try {
            JsonNode body = JSON.readTree(r.body());
            if (c.path().startsWith("/v1/")) {
                String message = body.path("error").path("message").asText("");
                return type.startsWith("application/json") && !message.isBlank() ? null : "not the OpenAI error shape";
            }
            String detail = body.path("detail").asText("");
            return type.startsWith("application/problem+json") && body.path("status").asInt() == status
                    && !detail.isBlank() ? null : "not problem+json";
        } catch (Exception e) {
            return "body is not JSON";
        }
    }

    /** Sends one valid request of a rotating kind; true when it was served correctly. */
    private static boolean sendValid(HttpClient http, String base, int i) {
        String[][] valid = {
            {"/v1/embeddings", "{\"input\": \"valid request " + i + "\"}", "\"embedding\""},
            {"/generate", "{\"inputs\": \"And God\", \"parameters\": {\"max_new_tokens\": 2}}", "\"generated_text\""},
            {"/tokenize", "{\"inputs\": \"valid\", \"model\": \"all-minilm-l6-v2\"}", "\"text\""},
            {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 2}",
                "\"chat.completion\""},
        };
        String[] v = valid[Math.floorMod(i, valid.length)];
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + v[0]))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(v[1], StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains(v[2]);
        } catch (Exception e) {
            return false;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
