package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Text generation end to end through the real engine: batching, sampling, stops, streaming. */
@QuarkusTest
@TestProfile(GenerationProfile.class)
class GenerationApiTest {

    private static final List<String> PROMPTS = List.of(
            "In the beginning God created",
            "And",
            "The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures",
            "Blessed are the meek: for they");

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    static JsonPath complete(Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body).post("/v1/completions")
                .then().statusCode(200).extract().jsonPath();
    }

    static String greedyCompletion(String prompt, int tokens) {
        return complete(Map.of("prompt", prompt, "max_tokens", tokens, "temperature", 0, "ignore_eos", true))
                .getString("choices[0].text");
    }

    @Test
    void concurrentGreedyRequestsEqualTheirSoloOutputs() throws Exception {
        List<String> solo = new ArrayList<>();
        for (String p : PROMPTS) {
            solo.add(greedyCompletion(p, 40));
        }
        ExecutorService clients = Executors.newFixedThreadPool(PROMPTS.size());
        try {
            for (int round = 0; round < 2; round++) {
                List<Future<String>> together = new ArrayList<>();
                for (String p : PROMPTS) {
                    together.add(clients.submit(() -> greedyCompletion(p, 40)));
                }
                for (int i = 0; i < PROMPTS.size(); i++) {
                    assertEquals(solo.get(i), together.get(i).get(), "prompt " + i + " batched vs alone");
                }
            }
        } finally {
            clients.shutdownNow();
        }
        assertTrue(Generate.metric("slm_decoder_step_rows_max") > 1, "decode steps held several sequences");
    }

    @Test
    void aShortRequestSentDuringALongGenerationFinishesFirst() throws Exception {
        String longPrompt = PROMPTS.get(0);
        String shortPrompt = PROMPTS.get(3);
        String longSolo = greedyCompletion(longPrompt, 180);
        String shortSolo = greedyCompletion(shortPrompt, 6);
        CompletableFuture<Long> longDone = new CompletableFuture<>();
        CompletableFuture<String> longText = CompletableFuture.supplyAsync(() -> {
            String text = greedyCompletion(longPrompt, 180);
            longDone.complete(System.nanoTime());
            return text;
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (Generate.metric("slm_running_sequences") < 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        String shortText = greedyCompletion(shortPrompt, 6);
        long shortDone = System.nanoTime();
        assertFalse(longDone.isDone() && longDone.get() < shortDone, "the short request finished first");
        assertEquals(shortSolo, shortText);
        assertEquals(longSolo, longText.get());
    }

    @Test
    void seededSamplingIsReproducible() {
        Map<String, Object> body = new HashMap<>(Map.of("prompt", PROMPTS.get(0), "max_tokens", 30,
                "temperature", 1.0, "top_k", 50, "top_p", 0.95, "seed", 1234, "ignore_eos", true));
        String first = complete(body).getString("choices[0].text");
        assertEquals(first, complete(body).getString("choices[0].text"), "same seed, same text");
        body.put("n", 3);
        JsonPath three = complete(body);
        assertEquals(first, three.getString("choices[0].text"), "choice i is sampled with seed + i");
        assertNotEquals(three.getString("choices[1].text"), three.getString("choices[2].text"));
        assertEquals(90, three.getInt("usage.completion_tokens"));
        body.put("n", 1);
        body.put("seed", 99);
        assertNotEquals(first, complete(body).getString("choices[0].text"), "another seed, another text");
    }

    @Test
    void stopStringsAndStopIdsSetTheFinishReason() {
        JsonPath full = Generate.tgi(PROMPTS.get(0), Map.of("max_new_tokens", 30));
        String text = full.getString("generated_text");
        assertEquals("length", full.getString("details.finish_reason"));
        String stop = text.substring(text.length() / 2, text.length() / 2 + 3);
        JsonPath stopped = Generate.tgi(PROMPTS.get(0), Map.of("max_new_tokens", 30, "stop", List.of(stop)));
        assertEquals("stop_sequence", stopped.getString("details.finish_reason"));
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.getString("generated_text"));

        List<Integer> ids = full.getList("details.tokens.id", Integer.class);
        int stopId = ids.get(2);
        JsonPath byId = complete(Map.of("prompt", PROMPTS.get(0), "max_tokens", 30, "temperature", 0,
                "stop_token_ids", List.of(stopId)));
        assertEquals("stop", byId.getString("choices[0].finish_reason"));
        assertEquals(ids.indexOf(stopId) + 1, byId.getInt("usage.completion_tokens"));
        JsonPath length = complete(Map.of("prompt", PROMPTS.get(0), "max_tokens", 5, "temperature", 0,
                "ignore_eos", true));
        assertEquals("length", length.getString("choices[0].finish_reason"));
        assertEquals(5, length.getInt("usage.completion_tokens"));
    }

    @Test
    void streamedTextEqualsNonStreamedText() {
        String expected = Generate.greedy(PROMPTS.get(2), 40);
        String body = given().contentType(ContentType.JSON)
                .body(Map.of("inputs", PROMPTS.get(2), "parameters", Map.of("max_new_tokens", 40)))
                .post("/generate_stream").then().statusCode(200)
                .header("Content-Type", startsWith("text/event-stream")).extract().asString();
        List<String> events = Generate.events(body);
        StringBuilder concatenated = new StringBuilder();
        JsonPath last = null;
        for (String event : events) {
            last = JsonPath.from(event);
            concatenated.append(last.getString("token.text"));
        }
        assertEquals(expected, concatenated.toString());
        assertEquals(expected, last.getString("generated_text"));
        assertEquals(events.size(), last.getInt("details.generated_tokens"));

        Map<String, Object> chat = new HashMap<>(Map.of("messages", List.of(Map.of("role", "user",
                "content", PROMPTS.get(1))), "max_tokens", 25, "temperature", 0));
        String message = given().contentType(ContentType.JSON).body(chat).post("/v1/chat/completions")
                .then().statusCode(200).extract().jsonPath().getString("choices[0].message.content");
        chat.put("stream", true);
        chat.put("stream_options", Map.of("include_usage", true));
        List<String> chunks = Generate.events(given().contentType(ContentType.JSON).body(chat)
                .post("/v1/chat/completions").then().statusCode(200).extract().asString());
        assertEquals("[DONE]", chunks.get(chunks.size() - 1));
        StringBuilder deltas = new StringBuilder();
        String finish = null;
        for (String chunk : chunks.subList(0, chunks.size() - 2)) {
            JsonPath c = JsonPath.from(chunk);
            String content = c.getString("choices[0].delta.content");
            deltas.append(content == null ? "" : content);
            finish = finish != null ? finish : c.getString("choices[0].finish_reason");
        }
        assertEquals(message, deltas.toString());
        assertTrue(finish != null, "a chunk carries the finish reason");
        JsonPath usage = JsonPath.from(chunks.get(chunks.size() - 2));
        assertTrue(usage.getInt("usage.completion_tokens") > 0 && usage.getList("choices").isEmpty());
    }

    @Test
    void logprobsTopTokensFullTextAndSeveralStreamedChoices() {
        JsonPath tgi = Generate.tgi(PROMPTS.get(0), Map.of("max_new_tokens", 5, "top_n_tokens", 3,
                "return_full_text", true));
        assertTrue(tgi.getString("generated_text").startsWith(PROMPTS.get(0)), "return_full_text keeps the prompt");
        assertEquals(5, tgi.getList("details.tokens").size());
        assertEquals(3, tgi.getList("details.top_tokens[0]").size());
        assertEquals(tgi.getInt("details.tokens[0].id"), tgi.getInt("details.top_tokens[0][0].id"),
                "greedy picks the most likely token");
        assertTrue(tgi.getDouble("details.tokens[0].logprob") <= 0);

        JsonPath text = complete(Map.of("prompt", PROMPTS.get(0), "max_tokens", 4, "temperature", 0, "logprobs", 2));
        assertEquals(4, text.getList("choices[0].logprobs.tokens").size());
        assertEquals(4, text.getList("choices[0].logprobs.token_logprobs").size());
        assertEquals(2, text.getMap("choices[0].logprobs.top_logprobs[0]").size());

        JsonPath chat = given().contentType(ContentType.JSON).body(Map.of("messages", List.of(Map.of("role", "user",
                        "content", "And")), "max_tokens", 3, "temperature", 0, "logprobs", true, "top_logprobs", 2))
                .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath();
        assertEquals("assistant", chat.getString("choices[0].message.role"));
        assertEquals(3, chat.getList("choices[0].logprobs.content").size());
        assertEquals(2, chat.getList("choices[0].logprobs.content[0].top_logprobs").size());

        List<String> chunks = Generate.events(given().contentType(ContentType.JSON).body(Map.of("prompt",
                        PROMPTS.get(1), "max_tokens", 6, "seed", 5, "n", 2, "stream", true))
                .post("/v1/completions").then().statusCode(200).extract().asString());
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        int finished = 0;
        for (String chunk : chunks.subList(0, chunks.size() - 1)) {
            JsonPath c = JsonPath.from(chunk);
            texts[c.getInt("choices[0].index")].append(c.getString("choices[0].text"));
            finished += c.getString("choices[0].finish_reason") == null ? 0 : 1;
        }
        assertEquals(2, finished, "each choice ends once");
        JsonPath whole = complete(Map.of("prompt", PROMPTS.get(1), "max_tokens", 6, "seed", 5, "n", 2));
        assertEquals(whole.getString("choices[0].text"), texts[0].toString());
        assertEquals(whole.getString("choices[1].text"), texts[1].toString());
    }

    @Test
    void badRequestsAreClearClientErrors() {
        given().contentType(ContentType.JSON).body(Map.of("prompt", "x", "temperature", -1))
                .post("/v1/completions").then().statusCode(400)
                .body("error.param", equalTo("temperature")).body("error.type", equalTo("invalid_request_error"));
        given().contentType(ContentType.JSON).body(Map.of("inputs", "x", "parameters", Map.of("top_p", 2.0)))
                .post("/generate").then().statusCode(400).contentType("application/problem+json")
                .body("param", equalTo("top_p"));
        given().contentType(ContentType.JSON).body(Map.of("inputs", "x", "parameters", Map.of("max_new_tokens", 0)))
                .post("/generate_stream").then().statusCode(400).contentType("application/problem+json");
        given().contentType(ContentType.JSON).body(Map.of("inputs", "x", "parameters",
                Map.of("max_new_tokens", 100_000))).post("/generate").then().statusCode(422);
        given().contentType(ContentType.JSON).body(Map.of("inputs", "word ".repeat(5000)))
                .post("/generate").then().statusCode(422);
        given().contentType(ContentType.JSON).body(Map.of("prompt", "x", "model", "nope"))
                .post("/v1/completions").then().statusCode(404).body("error.code", equalTo("model_not_found"));
        given().contentType(ContentType.JSON).body(Map.of("prompt", "x", "n", 100))
                .post("/v1/completions").then().statusCode(400).body("error.param", equalTo("n"));
        given().contentType(ContentType.JSON).body(Map.of("prompt", "x", "stop", List.of("a", "b", "c", "d", "e")))
                .post("/v1/completions").then().statusCode(400).body("error.param", equalTo("stop"));
        given().contentType(ContentType.JSON).body(Map.of("inputs", "")).post("/generate").then().statusCode(400);
        given().contentType(ContentType.JSON).body("{\"prompt\": \"x\", \"max_tokens\": \"5\"}")
                .post("/v1/completions").then().statusCode(400).body("error.param", equalTo("max_tokens"));
        given().contentType(ContentType.JSON).body(Map.of("messages", List.of()))
                .post("/v1/chat/completions").then().statusCode(400).body("error.param", equalTo("messages"));
        given().contentType(ContentType.JSON).body(Map.of("prompt", "x", "stop_token_ids", List.of(10_000_000)))
                .post("/v1/completions").then().statusCode(400);
    }
}
