package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.slmserve.testing.GptFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a folder's Hugging Face metadata changes in serving, through the real engine on copies of nano-gpt: a
 * Llama-3-style config.json with three eos ids (ids that greedy decoding is first seen to produce here) stops at
 * each of them, and generation_config.json's defaults apply where a request leaves a parameter unset and only
 * there.
 */
@QuarkusTest
@TestProfile(HfMetadataApiTest.Profile.class)
class HfMetadataApiTest {

    private static final String ADMIN = "Bearer admin-secret";
    static final Path MODELS = folders();
    /** do_sample with temperature 1.5 and top_k 1 (which makes sampling greedy), 5 new tokens. */
    private static final String SAMPLED = "sampled-defaults";
    /** do_sample false: a request that leaves greedy-or-sampling open runs greedy. */
    private static final String GREEDY = "greedy-defaults";
    /** do_sample with temperature 1.5 and no filter. */
    private static final String HOT = "hot-defaults";
    private static final List<String> PROMPTS = List.of("In the beginning God created", "And Moses said unto",
            "The LORD is my shepherd", "Blessed are the meek: for they", "And it came to pass", "Thou shalt not");

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("slm.models-dir", MODELS.toString(), "slm.auth.admin-key", "admin-secret");
        }
    }

    private static Path folders() {
        try {
            Path root = Files.createTempDirectory("slm-hfmeta-models-");
            copy(root.resolve(SAMPLED), Files.readString(GptFolder.dir().resolve("config.json")),
                    "{\"do_sample\": true, \"temperature\": 1.5, \"top_k\": 1, \"max_new_tokens\": 5}");
            copy(root.resolve(GREEDY), Files.readString(GptFolder.dir().resolve("config.json")),
                    "{\"do_sample\": false, \"temperature\": 1.5}");
            copy(root.resolve(HOT), Files.readString(GptFolder.dir().resolve("config.json")),
                    "{\"do_sample\": true, \"temperature\": 1.5}");
            root.toFile().deleteOnExit();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** nano-gpt's weights and tokenizer linked, config.json and generation_config.json as given, 2 slots. */
    private static void copy(Path dir, String configJson, String generationConfig) throws IOException {
        Path source = GptFolder.dir();
        Files.createDirectories(dir);
        for (String file : new String[] {"model.pt", "tokenizer.json", "tokenizer_config.json"}) {
            Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
        }
        Files.writeString(dir.resolve("config.json"), configJson);
        if (generationConfig != null) {
            Files.writeString(dir.resolve("generation_config.json"), generationConfig);
        }
        Files.writeString(dir.resolve("serving.properties"), "option.task=text-generation\nbatch_size=2\n"
                + "max_input_tokens=128\nmax_total_tokens=256\nminWorkers=1\nmaxWorkers=1\n");
    }

    @BeforeEach
    void ready() {
        ModelWait.ready();
    }

    private static JsonPath post(String path, Map<String, Object> body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then().statusCode(200).extract().jsonPath();
    }

    /** TGI /generate with details: the generated token ids and the finish reason. */
    private static JsonPath generate(String model, String prompt, Map<String, Object> parameters) {
        Map<String, Object> p = new HashMap<>(parameters);
        p.put("details", true);
        return post("/generate", Map.of("model", model, "inputs", prompt, "parameters", p));
    }

    private static List<Long> ids(JsonPath generated) {
        return generated.getList("details.tokens.id", Long.class);
    }

    @Test
    void aFolderWithThreeEosIdsStopsAtEachOfThem() throws Exception {
        // Greedy continuations with nano-gpt's own end of sequence only.
        List<List<Long>> greedy = new ArrayList<>();
        for (String prompt : PROMPTS) {
            greedy.add(ids(generate(GREEDY, prompt, Map.of("max_new_tokens", 24, "do_sample", false))));
        }
        int[] pick = EosTriple.find(greedy);
        assertNotNull(pick, "three prompts whose greedy outputs each meet a different id first: " + greedy);
        List<Long> eos = List.of(greedy.get(pick[0]).get(pick[1]), greedy.get(pick[2]).get(pick[3]),
                greedy.get(pick[4]).get(pick[5]));
        System.out.printf("three eos ids %s at tokens %d, %d, %d of prompts %d, %d, %d%n", eos, pick[1] + 1,
                pick[3] + 1, pick[5] + 1, pick[0], pick[2], pick[4]);
        String config = Files.readString(GptFolder.dir().resolve("config.json"))
                .replaceFirst("\"eos_token_id\":\\s*\\d+", "\"eos_token_id\": [" + eos.get(0) + ", " + eos.get(1)
                        + ", " + eos.get(2) + "]");
        copy(MODELS.resolve("three-eos"), config, null);
        given().header("Authorization", ADMIN).post("/models?url=three-eos").then().statusCode(202);
        awaitReady("three-eos");

        JsonPath described = given().get("/models/three-eos").then().statusCode(200).extract().jsonPath();
        List<Long> listed = described.getList("generation.eos_token_ids", Long.class);
        assertEquals(eos, listed.subList(0, 3), "config.json's ids first, in order");
        assertEquals(List.of(EosTriple.NANO_GPT_EOS), listed.subList(3, listed.size()),
                "then the tokenizer's <|endoftext|>");
        assertFalse(described.getBoolean("generation.add_bos_token"));

        for (int k = 0; k < 3; k++) {
            int prompt = pick[2 * k];
            int at = pick[2 * k + 1];
            JsonPath stopped = generate("three-eos", PROMPTS.get(prompt), Map.of("max_new_tokens", 24));
            assertEquals("eos_token", stopped.getString("details.finish_reason"), "eos id " + eos.get(k));
            assertEquals(greedy.get(prompt).subList(0, at + 1), ids(stopped),
                    "prompt " + prompt + " runs greedy up to and including eos id " + eos.get(k));
            JsonPath completion = post("/v1/completions", Map.of("model", "three-eos", "prompt", PROMPTS.get(prompt),
                    "max_tokens", 24, "temperature", 0));
            assertEquals("stop", completion.getString("choices[0].finish_reason"));
            assertEquals(at + 1, completion.getInt("usage.completion_tokens"));
            // ignore_eos runs past every one of them; min_tokens keeps all of them out until it is reached.
            JsonPath ignoring = post("/v1/completions", Map.of("model", "three-eos", "prompt", PROMPTS.get(prompt),
                    "max_tokens", 24, "temperature", 0, "ignore_eos", true));
            assertEquals(24, ignoring.getInt("usage.completion_tokens"));
            JsonPath atLeast = post("/v1/completions", Map.of("model", "three-eos", "prompt", PROMPTS.get(prompt),
                    "max_tokens", 24, "temperature", 0, "min_tokens", at + 2));
            assertTrue(atLeast.getInt("usage.completion_tokens") >= at + 2,
                    "min_tokens " + (at + 2) + " suppressed all three ids: " + atLeast.prettify());
        }
    }

    @Test
    void generationConfigMaxNewTokensIsTheDefaultOfEveryApi() {
        JsonPath completion = post("/v1/completions", Map.of("model", SAMPLED, "prompt", PROMPTS.get(0),
                "ignore_eos", true));
        assertEquals(5, completion.getInt("usage.completion_tokens"), "generation_config's 5, not OpenAI's 16");
        assertEquals(9, post("/v1/completions", Map.of("model", SAMPLED, "prompt", PROMPTS.get(0), "max_tokens", 9,
                "ignore_eos", true)).getInt("usage.completion_tokens"));
        JsonPath tgi = generate(SAMPLED, PROMPTS.get(0), Map.of());
        assertTrue(tgi.getInt("details.generated_tokens") <= 5, "not TGI's 100: " + tgi.prettify());
        JsonPath chat = post("/v1/chat/completions", Map.of("model", SAMPLED, "ignore_eos", true,
                "messages", List.of(Map.of("role", "user", "content", PROMPTS.get(2)))));
        assertEquals(5, chat.getInt("usage.completion_tokens"), "not up to the model's limit");
        // The model without max_new_tokens keeps OpenAI's 16.
        assertEquals(16, post("/v1/completions", Map.of("model", GREEDY, "prompt", PROMPTS.get(0),
                "ignore_eos", true)).getInt("usage.completion_tokens"));

        JsonPath described = given().get("/models/" + SAMPLED).then().statusCode(200).extract().jsonPath();
        assertEquals(5, described.getInt("generation.generation_defaults.max_new_tokens"));
        assertEquals(1.5f, described.getFloat("generation.generation_defaults.temperature"));
        assertEquals(1, described.getInt("generation.generation_defaults.top_k"));
        assertTrue(described.getBoolean("generation.generation_defaults.do_sample"));
        assertNull(described.get("generation.generation_defaults.top_p"));
    }

    @Test
    void samplingDefaultsApplyOnlyWhereTheRequestIsSilent() {
        String greedy = text(SAMPLED, Map.of("temperature", 0));
        // The model's top_k 1 makes its default sampling greedy, whatever the seed...
        for (long seed = 1; seed <= 3; seed++) {
            assertEquals(greedy, text(SAMPLED, Map.of("seed", seed)), "seed " + seed);
        }
        // ...and an explicit top_k (0: off) wins: the request then samples at the model's temperature 1.5.
        boolean differs = false;
        for (long seed = 1; seed <= 4 && !differs; seed++) {
            differs = !greedy.equals(text(SAMPLED, Map.of("seed", seed, "top_k", 0)));
        }
        assertTrue(differs, "without top_k 1 the model's sampling leaves the greedy path for some seed");

        // An unset temperature is the model's 1.5; an explicit one wins.
        boolean apiTemperatureDiffers = false;
        for (long seed = 1; seed <= 4; seed++) {
            String modelTemperature = text(HOT, Map.of("seed", seed));
            assertEquals(text(HOT, Map.of("seed", seed, "temperature", 1.5)), modelTemperature, "seed " + seed);
            apiTemperatureDiffers |= !modelTemperature.equals(text(HOT, Map.of("seed", seed, "temperature", 0.2)));
        }
        assertTrue(apiTemperatureDiffers, "an explicit temperature replaces the model's");

        // do_sample false: an open choice is greedy; an explicit temperature samples.
        String greedyModel = text(GREEDY, Map.of("temperature", 0));
        assertEquals(greedyModel, text(GREEDY, Map.of("seed", 7)));
        assertEquals(greedyModel, text(GREEDY, Map.of("seed", 8)));
        boolean sampled = false;
        for (long seed = 1; seed <= 4 && !sampled; seed++) {
            sampled = !greedyModel.equals(text(GREEDY, Map.of("seed", seed, "temperature", 1.0)));
        }
        assertTrue(sampled, "temperature 1.0 asked for samples although the model's do_sample is false");

        // TGI /generate: nothing about sampling in the request stays greedy although the model's do_sample is true;
        // a request that samples without a temperature takes the model's.
        String prompt = PROMPTS.get(1);
        assertEquals(ids(generate(HOT, prompt, Map.of("max_new_tokens", 12, "do_sample", false))),
                ids(generate(HOT, prompt, Map.of("max_new_tokens", 12))));
        for (long seed = 1; seed <= 2; seed++) {
            assertEquals(ids(generate(HOT, prompt, Map.of("max_new_tokens", 12, "seed", seed, "temperature", 1.5))),
                    ids(generate(HOT, prompt, Map.of("max_new_tokens", 12, "seed", seed, "do_sample", true))));
        }
    }

    /** A 12-token completion of the second prompt, past eos. */
    private static String text(String model, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(extra);
        body.put("model", model);
        body.put("prompt", PROMPTS.get(1));
        body.put("max_tokens", 12);
        body.put("ignore_eos", true);
        return post("/v1/completions", body).getString("choices[0].text");
    }

    @Test
    void aMalformedGenerationConfigFailsThatFolderAloneNamingTheField() throws Exception {
        copy(MODELS.resolve("bad-generation-config"), Files.readString(GptFolder.dir().resolve("config.json")),
                "{\"do_sample\": true, \"top_p\": 1.5}");
        given().header("Authorization", ADMIN).post("/models?url=bad-generation-config").then().statusCode(202);
        assertEquals("FAILED", awaitSettled("bad-generation-config"));
        String reason = given().get("/models/bad-generation-config").then().extract().path("reason");
        assertTrue(reason.contains("generation_config.json top_p must be in (0, 1]"), reason);
        assertEquals(5, post("/v1/completions", Map.of("model", SAMPLED, "prompt", PROMPTS.get(0), "ignore_eos", true))
                .getInt("usage.completion_tokens"), "the other folders keep serving");
    }

    private static void awaitReady(String id) throws InterruptedException {
        assertEquals("READY", awaitSettled(id), given().get("/models/" + id).asString());
    }

    private static String awaitSettled(String id) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        String status = "";
        while (System.nanoTime() < deadline) {
            status = given().get("/models/" + id).then().extract().path("status");
            if ("READY".equals(status) || "FAILED".equals(status)) {
                break;
            }
            Thread.sleep(200);
        }
        return status;
    }
}
