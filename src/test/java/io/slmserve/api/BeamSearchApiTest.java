package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Beam search through HTTP on both families: one beam is greedy decoding, and four beams find a sequence that
 * scores (sum of log-probabilities / length, Hugging Face's beam score) at least as well as greedy's, on every
 * input; a stream sends the best beam's tokens.
 */
@QuarkusTest
@TestProfile(Seq2SeqProfile.class)
class BeamSearchApiTest {

    private static final List<String> PROMPTS = List.of("In the beginning God created", "And",
            "The LORD is my shepherd; I shall not want.", "Blessed are the meek: for they");
    private static final int GPT_TOKENS = 16;

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    private static JsonPath generate(String model, String inputs, Map<String, Object> parameters) {
        Map<String, Object> params = new HashMap<>(parameters);
        params.put("details", true);
        return given().contentType(ContentType.JSON).body(Map.of("model", model, "inputs", inputs,
                "parameters", params)).post("/generate").then().statusCode(200).extract().jsonPath();
    }

    /** Hugging Face's sequence score: summed token log-probabilities over length^length_penalty. */
    private static double score(JsonPath response, double lengthPenalty) {
        List<Float> logprobs = response.getList("details.tokens.logprob", Float.class);
        double sum = 0;
        for (float lp : logprobs) {
            sum += lp;
        }
        return sum / Math.pow(logprobs.size(), lengthPenalty);
    }

    @Test
    void oneBeamIsGreedyAndFourBeamsScoreAtLeastAsWellOnTheEncoderDecoder() throws Exception {
        List<String> inputs = Seq2SeqApiTest.heldOutInputs(40);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<JsonPath[]>> runs = new ArrayList<>();
            for (String source : inputs) {
                runs.add(clients.submit(() -> new JsonPath[] {
                        generate(Seq2SeqProfile.BART, source, Map.of()),
                        generate(Seq2SeqProfile.BART, source, Map.of("num_beams", 1)),
                        generate(Seq2SeqProfile.BART, source, Map.of("num_beams", 4))}));
            }
            for (int i = 0; i < inputs.size(); i++) {
                JsonPath[] r = runs.get(i).get();
                compare(inputs.get(i), r[0], r[1], r[2], 1.0);
            }
        } finally {
            clients.shutdownNow();
        }
        assertTrue(Seq2SeqApiTest.stepRowsMax(Seq2SeqProfile.BART, "decode") >= 4, "beams share decode steps");
    }

    @Test
    void oneBeamIsGreedyAndFourBeamsScoreAtLeastAsWellOnTheDecoder() {
        for (String prompt : PROMPTS) {
            JsonPath greedy = generate(Seq2SeqProfile.GPT, prompt, Map.of("max_new_tokens", GPT_TOKENS));
            JsonPath one = generate(Seq2SeqProfile.GPT, prompt, Map.of("max_new_tokens", GPT_TOKENS, "num_beams", 1));
            JsonPath four = generate(Seq2SeqProfile.GPT, prompt, Map.of("max_new_tokens", GPT_TOKENS, "num_beams", 4));
            compare(prompt, greedy, one, four, 1.0);
            // OpenAI completions take num_beams as an extra; without a temperature the search runs greedy.
            given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.GPT, "prompt", prompt,
                    "max_tokens", GPT_TOKENS, "num_beams", 4)).post("/v1/completions").then().statusCode(200)
                    .body("choices[0].text", org.hamcrest.Matchers.equalTo(four.getString("generated_text")));
            JsonPath penalised = generate(Seq2SeqProfile.GPT, prompt, Map.of("max_new_tokens", GPT_TOKENS,
                    "num_beams", 4, "length_penalty", 0.0, "early_stopping", true));
            assertTrue(score(penalised, 0.0) >= score(greedy, 0.0) - 1e-4, "'" + prompt + "' length_penalty 0");
        }
    }

    private static void compare(String input, JsonPath greedy, JsonPath one, JsonPath four, double lengthPenalty) {
        assertEquals(greedy.getString("generated_text"), one.getString("generated_text"), "'" + input + "' 1 beam");
        assertEquals(greedy.getList("details.tokens.id"), one.getList("details.tokens.id"), "'" + input + "' ids");
        double g = score(greedy, lengthPenalty);
        double b = score(four, lengthPenalty);
        assertTrue(b >= g - 1e-4, "'" + input + "': 4 beams scored " + b + " ('" + four.getString("generated_text")
                + "'), greedy " + g + " ('" + greedy.getString("generated_text") + "')");
    }

    @Test
    void aBeamStreamSendsTheBestBeamsTokens() throws Exception {
        Map<String, Object> params = Map.of("max_new_tokens", GPT_TOKENS, "num_beams", 3);
        String expected = generate(Seq2SeqProfile.GPT, PROMPTS.get(0), params).getString("generated_text");
        String body = given().contentType(ContentType.JSON).body(Map.of("model", Seq2SeqProfile.GPT,
                "inputs", PROMPTS.get(0), "parameters", params)).post("/generate_stream")
                .then().statusCode(200).extract().asString();
        ObjectMapper json = new ObjectMapper();
        StringBuilder streamed = new StringBuilder();
        String last = null;
        for (String event : Generate.events(body)) {
            JsonNode node = json.readTree(event);
            streamed.append(node.path("token").path("text").asText());
            if (node.hasNonNull("generated_text")) {
                last = node.get("generated_text").asText();
            }
        }
        assertEquals(expected, last);
        assertEquals(expected, streamed.toString());
    }
}
