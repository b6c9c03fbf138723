package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.slmserve.testing.BartFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The encoder-decoder end to end through the real engine and the shared scheduler: held-out accuracy, batching
 * that changes nothing, the model list, and what a seq2seq model refuses.
 */
@QuarkusTest
@TestProfile(Seq2SeqProfile.class)
class Seq2SeqApiTest {

    private static final List<String> NUMBERS = List.of("4817", "5", "1234567", "60", "999", "10", "70007",
            "213", "88", "300000");

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    static JsonPath bart(String source, Map<String, Object> parameters) {
        Map<String, Object> params = new HashMap<>(parameters);
        params.putIfAbsent("details", true);
        return given().contentType(ContentType.JSON)
                .body(Map.of("model", Seq2SeqProfile.BART, "inputs", source, "parameters", params))
                .post("/generate").then().statusCode(200).extract().jsonPath();
    }

    static String greedy(String source) {
        return bart(source, Map.of()).getString("generated_text");
    }

    @Test
    void heldOutNumbersAreWrittenInWordsThroughHttp() throws Exception {
        Assumptions.assumeTrue(BartFolder.trained(), "needs the trained models/nano-bart");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(BartFolder.dir().resolve("heldout.jsonl"))) {
            if (!line.isBlank()) {
                rows.add(json.readTree(line));
            }
        }
        assertEquals(1000, rows.size());
        ExecutorService clients = Executors.newFixedThreadPool(32);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (JsonNode row : rows) {
                answers.add(clients.submit(() -> greedy(row.get("input").asText())));
            }
            int exact = 0;
            List<String> misses = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                String got = answers.get(i).get().strip();
                if (got.equals(rows.get(i).get("target").asText())) {
                    exact++;
                } else if (misses.size() < 5) {
                    misses.add(rows.get(i).get("input").asText() + " -> " + got);
                }
            }
            assertTrue(exact >= 980, "exact matches " + exact + "/1000, e.g. " + misses);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void tenConcurrentRequestsEqualTheirSoloOutputsAndShareSteps() throws Exception {
        List<String> solo = new ArrayList<>();
        for (String n : NUMBERS) {
            solo.add(greedy(n));
        }
        ExecutorService clients = Executors.newFixedThreadPool(NUMBERS.size());
        try {
            for (int round = 0; round < 2; round++) {
                List<Future<String>> together = new ArrayList<>();
                for (String n : NUMBERS) {
                    together.add(clients.submit(() -> greedy(n)));
                }
                for (int i = 0; i < NUMBERS.size(); i++) {
                    assertEquals(solo.get(i), together.get(i).get(), "'" + NUMBERS.get(i) + "' batched vs alone");
                }
            }
        } finally {
            clients.shutdownNow();
        }
        assertTrue(stepRowsMax(Seq2SeqProfile.BART, "decode") > 1, "decode steps held several sequences");
    }

    @Test
    void completionsServeTheSeq2SeqModelAndChatIsRefused() {
        String expected = bart("4817", Map.of("max_new_tokens", 30)).getString("generated_text");
        JsonPath completion = given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART,
                "prompt", "4817", "max_tokens", 30, "temperature", 0)).post("/v1/completions")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(expected, completion.getString("choices[0].text"));
        assertEquals(Seq2SeqProfile.BART, completion.getString("model"));
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART, "messages",
                List.of(Map.of("role", "user", "content", "4817")))).post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("model"))
                .body("error.message", containsString("encoder-decoder"));
        given().get("/models/" + Seq2SeqProfile.BART).then().statusCode(200)
                .body("family", equalTo("encoder-decoder")).body("task", equalTo("text2text-generation"));
        // Without a model name the decoder still answers: adding a seq2seq model breaks no existing caller.
        given().contentType(ContentType.JSON).body(Map.of("prompt", "In the beginning", "max_tokens", 2))
                .post("/v1/completions").then().statusCode(200).body("model", equalTo(Seq2SeqProfile.GPT));
    }

    @Test
    void badSeq2SeqRequestsAreClearClientErrors() {
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART, "inputs",
                "1 ".repeat(2000))).post("/generate").then().statusCode(422);
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART, "inputs", "12",
                "parameters", Map.of("max_new_tokens", 100_000))).post("/generate").then().statusCode(422);
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART, "inputs", "12",
                "parameters", Map.of("num_beams", 0))).post("/generate").then().statusCode(400)
                .body("param", equalTo("num_beams"));
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART, "inputs", "12",
                "parameters", Map.of("num_beams", 3, "do_sample", true))).post("/generate").then().statusCode(400)
                .body("param", equalTo("num_beams"));
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.GPT, "inputs", "And",
                "parameters", Map.of("num_beams", Seq2SeqProfile.GPT_SLOTS + 1))).post("/generate").then()
                .statusCode(400).body("param", equalTo("num_beams"));
        given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.BART, "prompt", "12", "n", 2,
                "num_beams", 2)).post("/v1/completions").then().statusCode(400).body("error.param", equalTo("n"));
    }

    /** The decaying maximum of slm_decoder_step_rows for one model and phase. */
    static double stepRowsMax(String model, String phase) {
        for (String line : given().get("/q/metrics").asString().split("\n")) {
            if (line.startsWith("slm_decoder_step_rows_max{") && line.contains("model=\"" + model + "\"")
                    && line.contains("phase=\"" + phase + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    static List<String> heldOutInputs(int n) throws IOException {
        if (!BartFolder.trained()) {
            return NUMBERS.subList(0, Math.min(n, NUMBERS.size()));
        }
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(BartFolder.dir().resolve("heldout.jsonl"))) {
            if (!line.isBlank() && out.size() < n) {
                out.add(json.readTree(line).get("input").asText());
            }
        }
        return out;
    }
}
