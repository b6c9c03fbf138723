package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.slmserve.testing.GptFolder;
import io.slmserve.testing.Processes;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * LoRA adapters through the HTTP API on nano-gpt with random adapters written at test time: one under
 * nano-gpt/adapters/ at start, a raw PEFT folder there that fails alone, three more added at run time; the merged
 * model (merge_lora.py) served beside it as the reference.
 */
@QuarkusTest
@TestProfile(LoraApiTest.Profile.class)
class LoraApiTest {

    /** The adapters trained here (models/nano-gpt/adapters, see their cards) and a prompt of their task. */
    private static final Map<String, String> TRAINED = Map.of("numwords", "<|endoftext|>123 =",
            "mhcc", "<|endoftext|>Here we see the goodness of God in");
    static final Path MODELS = folder();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** nano-gpt (linked) with adapters/a0 and adapters/raw, and the a0-merged model; fixtures under .fixtures. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("slm.models-dir", MODELS.toString());
        }
    }

    @TestHTTPResource("/v1/completions")
    URI completions;

    private static Path folder() {
        try {
            Path root = Files.createTempDirectory("lora-api");
            Path fixtures = root.resolve(".fixtures");
            Path gpt = root.resolve("nano-gpt");
            Files.createDirectories(gpt.resolve("adapters"));
            try (Stream<Path> files = Files.list(GptFolder.dir())) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Files.createSymbolicLink(gpt.resolve(f.getFileName()), f);
                }
            }
            Processes.python("models/tools/lora_java_fixtures.py", "--base", GptFolder.dir(), "--out", fixtures,
                    "--name", "a0,a1,a2,a3", "--rank", "8,8,4,8", "--only", "a2=c_attn", "--merge", "a0");
            Files.move(fixtures.resolve("a0"), gpt.resolve("adapters/a0"));
            copy(fixtures.resolve("a1-peft"), gpt.resolve("adapters/raw"));
            Files.move(fixtures.resolve("a0-merged"), root.resolve("merged"));
            // the committed, trained adapters: registered at run time by their test; their merged models
            // (merge_lora.py) served beside them as references
            for (String trained : TRAINED.keySet()) {
                copy(GptFolder.dir().resolve("adapters/" + trained), fixtures.resolve(trained));
                Processes.python("models/tools/merge_lora.py", "--base", GptFolder.dir(), "--adapter",
                        GptFolder.dir().resolve("adapters/" + trained), "--out", root.resolve(trained + "-merged"));
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void add(String name, String url) {
        int status = given().post("/models/nano-gpt/adapters?name=" + name + "&url=" + url).statusCode();
        if (status != 201 && status != 409) {
            throw new AssertionError("adding " + name + ": " + status);
        }
    }

    @Test
    void startupAdaptersAreListedAndABadOneFailsAlone() {
        ModelWait.ready();
        given().get("/models/nano-gpt").then().statusCode(200)
                .body("status", equalTo("READY"))
                .body("adapters.find { it.name == 'a0' }.status", equalTo("READY"))
                .body("adapters.find { it.name == 'a0' }.rank", equalTo(8))
                .body("adapters.find { it.name == 'a0' }.memory_bytes", greaterThan(0))
                .body("adapters.find { it.name == 'raw' }.status", equalTo("FAILED"))
                .body("adapters.find { it.name == 'raw' }.reason", containsString("convert_lora.py"));
        given().get("/v1/models").then().statusCode(200)
                .body("data.find { it.id == 'a0' }.parent", equalTo("nano-gpt"))
                .body("data.id", hasItem("nano-gpt"));
        complete("nano-gpt", null, "And", 4);
    }

    @Test
    void badAdaptersAreRefusedNamingTheFaultAndTheBaseServesOn() throws IOException {
        ModelWait.ready();
        Path bad = MODELS.resolve(".bad");
        Path rank = bad.resolve("rank");
        copy(MODELS.resolve(".fixtures/a1"), rank);
        edit(rank.resolve("lora.json"), json -> json.put("rank", 4));
        refused("rank", ".bad/rank", 400, "rank mismatch");
        Path target = bad.resolve("target");
        copy(MODELS.resolve(".fixtures/a1"), target);
        edit(target.resolve("lora.json"), json -> json.withArray("targets").add("q_proj"));
        refused("target", ".bad/target", 400, "unknown target module 'q_proj'");
        Path missing = bad.resolve("missing");
        copy(MODELS.resolve(".fixtures/a1"), missing);
        Files.delete(missing.resolve("lora.safetensors"));
        refused("missing", ".bad/missing", 400, "missing file lora.safetensors");
        Path saved = bad.resolve("saved");
        copy(MODELS.resolve(".fixtures/a1"), saved);
        edit(saved.resolve("adapter_config.json"), json -> json.putArray("modules_to_save").add("lm_head"));
        refused("saved", ".bad/saved", 400, "modules_to_save");
        refused("raw2", ".fixtures/a1-peft", 400, "run models/tools/convert_lora.py");
        refused("out", "../../etc", 403, "inside");
        refused("a0", ".fixtures/a1", 409, "already has an adapter 'a0'");
        given().post("/models/nope/adapters?name=x&url=.fixtures/a1").then().statusCode(404);
        given().get("/models/nano-gpt").then().body("adapters.name", org.hamcrest.Matchers.not(hasItem("rank")));
        complete("nano-gpt", null, "And", 4);
    }

    @Test
    void adapterOutputEqualsTheMergedModelAndDiffersFromTheBase() {
        ModelWait.ready();
        String prompt = "In the beginning God created the heaven and the earth.";
        String merged = complete("merged", null, prompt, 32);
        assertEquals(merged, complete("nano-gpt:a0", null, prompt, 32), "BASE:ADAPTER vs the merged model");
        assertEquals(merged, complete("a0", null, prompt, 32), "the adapter's own name as model");
        assertEquals(generate("merged", Map.of("max_new_tokens", 32), prompt),
                generate("nano-gpt", Map.of("max_new_tokens", 32, "adapter_id", "a0"), prompt),
                "TGI parameters.adapter_id");
        assertNotEquals(merged, complete("nano-gpt", null, prompt, 32), "the adapter changes the output");
    }

    /**
     * Each trained adapter through the service (BASE:ADAPTER) against its merged model: the same 32 greedy tokens
     * and each token's logprob within 1e-3; and not the base's output.
     */
    @Test
    void trainedAdaptersEqualTheirMergedModels() {
        ModelWait.ready();
        for (Map.Entry<String, String> task : TRAINED.entrySet()) {
            String name = task.getKey();
            add(name, ".fixtures/" + name);
            try {
                JsonNode served = scored("nano-gpt:" + name, task.getValue());
                JsonNode merged = scored(name + "-merged", task.getValue());
                assertEquals(merged.path("text").asText(), served.path("text").asText(), name);
                JsonNode a = served.path("logprobs").path("token_logprobs");
                JsonNode m = merged.path("logprobs").path("token_logprobs");
                assertEquals(32, a.size(), name);
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(m.get(i).asDouble(), a.get(i).asDouble(), 1e-3, name + " token " + i);
                }
                assertNotEquals(merged.path("text").asText(), complete("nano-gpt", null, task.getValue(), 32), name);
            } finally {
                given().delete("/models/nano-gpt/adapters/" + name);
            }
        }
    }

    private static JsonNode scored(String model, String prompt) {
        String body = given().contentType(ContentType.JSON).body(Map.of("model", model, "prompt", prompt,
                "max_tokens", 32, "temperature", 0, "ignore_eos", true, "logprobs", 1)).post("/v1/completions")
                .then().statusCode(200).extract().asString();
        try {
            return JSON.readTree(body).path("choices").path(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void unknownAdapterIs404NamingIt() {
        ModelWait.ready();
        given().contentType(ContentType.JSON).body(Map.of("model", "nano-gpt:nope", "prompt", "And"))
                .post("/v1/completions").then().statusCode(404)
                .body("error.message", containsString("'nope'"));
        given().contentType(ContentType.JSON).body(Map.of("model", "nano-gpt", "inputs", "And",
                        "parameters", Map.of("adapter_id", "nope")))
                .post("/generate").then().statusCode(404).contentType("application/problem+json")
                .body("detail", containsString("'nope'"));
    }

    @Test
    void removedAdapterAnswers404() {
        ModelWait.ready();
        given().post("/models/nano-gpt/adapters?name=gone&url=.fixtures/a3").then().statusCode(201)
                .body("adapters.name", hasItem("gone"));
        complete("nano-gpt:gone", null, "And", 4);
        given().delete("/models/nano-gpt/adapters/gone").then().statusCode(204);
        given().contentType(ContentType.JSON).body(Map.of("model", "nano-gpt:gone", "prompt", "And"))
                .post("/v1/completions").then().statusCode(404);
        given().delete("/models/nano-gpt/adapters/gone").then().statusCode(404);
    }

    /** 16 streams at once over four adapters and the base: each gets the text it gets alone (greedy). */
    @Test
    void sixteenConcurrentStreamsOverFourAdaptersMatchTheirOutputAlone() throws Exception {
        ModelWait.ready();
        add("a1", ".fixtures/a1");
        add("a2", ".fixtures/a2");
        add("a3", ".fixtures/a3");
        String[] models = {"nano-gpt:a0", "nano-gpt:a1", "nano-gpt:a2", "nano-gpt:a3", "nano-gpt"};
        String[] prompts = {"And", "In the beginning", "Blessed are the meek", "The LORD is my shepherd"};
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            alone.add(complete(models[i % 5], null, prompts[i % 4], 24));
        }
        HttpClient client = HttpClient.newHttpClient();
        List<CompletableFuture<String>> streams = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String body = JSON.writeValueAsString(Map.of("model", models[i % 5], "prompt", prompts[i % 4],
                    "max_tokens", 24, "temperature", 0, "ignore_eos", true, "stream", true));
            streams.add(client.sendAsync(HttpRequest.newBuilder(completions).timeout(Duration.ofSeconds(240))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString()).thenApply(LoraApiTest::streamedText));
        }
        for (int i = 0; i < 16; i++) {
            assertEquals(alone.get(i), streams.get(i).get(300, TimeUnit.SECONDS), "stream " + i + " on "
                    + models[i % 5]);
        }
    }

    private static String streamedText(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new AssertionError(response.statusCode() + ": " + response.body());
        }
        StringBuilder text = new StringBuilder();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("data: {")) {
                try {
                    JsonNode chunk = JSON.readTree(line.substring(6));
                    text.append(chunk.path("choices").path(0).path("text").asText(""));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return text.toString();
    }

    private static String complete(String model, String adapter, String prompt, int tokens) {
        return given().contentType(ContentType.JSON).body(Map.of("model", model, "prompt", prompt, "max_tokens", tokens,
                "temperature", 0, "ignore_eos", true)).post("/v1/completions").then().statusCode(200)
                .body("usage.completion_tokens", equalTo(tokens)).extract().path("choices[0].text");
    }

    private static String generate(String model, Map<String, Object> parameters, String prompt) {
        return given().contentType(ContentType.JSON).body(Map.of("model", model, "inputs", prompt, "parameters",
                parameters)).post("/generate").then().statusCode(200).extract().path("generated_text");
    }

    private static void refused(String name, String url, int status, String message) {
        given().post("/models/nano-gpt/adapters?name=" + name + "&url=" + url).then().statusCode(status)
                .contentType("application/problem+json").body("detail", containsString(message));
    }

    private static void edit(Path file, java.util.function.Consumer<ObjectNode> change) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(file.toFile());
        change.accept(json);
        JSON.writeValue(file.toFile(), json);
    }
}
