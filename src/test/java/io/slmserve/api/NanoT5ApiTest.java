package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.slmserve.testing.T5Folder;
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
 * models/nano-t5 (a T5 v1.1 trained to read number words back into digits), served by default from models/,
 * through HTTP: held-out exact match with "inputs" as the source text, and beam search.
 */
@QuarkusTest
class NanoT5ApiTest {

    private static final String MODEL = "nano-t5";

    @BeforeEach
    void ready() {
        Assumptions.assumeTrue(T5Folder.trained(), "needs the trained models/nano-t5");
        ModelWait.ready();
    }

    private static JsonPath generate(String source, Map<String, Object> parameters) {
        Map<String, Object> params = new HashMap<>(parameters);
        params.put("details", true);
        return given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "inputs", source,
                "parameters", params)).post("/generate").then().statusCode(200).extract().jsonPath();
    }

    private static List<JsonNode> heldOut() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(T5Folder.nano().resolve("heldout.jsonl"))) {
            if (!line.isBlank()) {
                rows.add(json.readTree(line));
            }
        }
        return rows;
    }

    @Test
    void heldOutNumberWordsAreReadBackAsDigitsThroughHttp() throws Exception {
        List<JsonNode> rows = heldOut();
        assertEquals(1000, rows.size());
        given().get("/models/" + MODEL).then().statusCode(200).body("family", equalTo("encoder-decoder"))
                .body("task", equalTo("text2text-generation"));
        ExecutorService clients = Executors.newFixedThreadPool(32);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (JsonNode row : rows) {
                answers.add(clients.submit(() -> generate(row.get("input").asText(), Map.of())
                        .getString("generated_text")));
            }
            int exact = 0;
            List<String> misses = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                String got = answers.get(i).get();
                if (got.equals(rows.get(i).get("target").asText())) {
                    exact++;
                } else if (misses.size() < 5) {
                    misses.add(rows.get(i).get("input").asText() + " -> " + got);
                }
            }
            // The card (models/nano-t5/README.md) reports the measured figure; 98% is the bar it must clear.
            System.out.println("nano-t5 held-out exact match through HTTP: " + exact + "/1000");
            assertTrue(exact >= 980, "exact matches " + exact + "/1000, e.g. " + misses);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void fourBeamsFindTheDigitsAndScoreAtLeastAsWellAsGreedy() throws Exception {
        List<JsonNode> rows = heldOut().subList(0, 60);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<JsonPath[]>> runs = new ArrayList<>();
            for (JsonNode row : rows) {
                String source = row.get("input").asText();
                runs.add(clients.submit(() -> new JsonPath[] {generate(source, Map.of()),
                        generate(source, Map.of("num_beams", 4))}));
            }
            int exact = 0;
            for (int i = 0; i < rows.size(); i++) {
                JsonPath[] r = runs.get(i).get();
                double greedy = sum(r[0].getList("details.tokens.logprob", Float.class));
                double beams = sum(r[1].getList("details.tokens.logprob", Float.class));
                int n0 = r[0].getList("details.tokens.id").size();
                int n4 = r[1].getList("details.tokens.id").size();
                // Hugging Face's default length_penalty 1.0: summed log-probabilities over the length.
                assertTrue(beams / n4 >= greedy / n0 - 1e-4, rows.get(i) + ": 4 beams " + beams + ", greedy " + greedy);
                exact += r[1].getString("generated_text").equals(rows.get(i).get("target").asText()) ? 1 : 0;
            }
            assertTrue(exact >= 58, "beam search exact " + exact + "/60");
        } finally {
            clients.shutdownNow();
        }
    }

    private static double sum(List<Float> values) {
        double s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }
}
