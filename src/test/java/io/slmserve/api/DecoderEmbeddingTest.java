package io.slmserve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Embeddings from a decoder: nano-gpt's archive in a folder with option.task=text-embedding is served through
 * the encoder batcher with last-token (and mean) pooling; /v1/embeddings answers the vector computed here from
 * the bare archive (its hidden_all method on the unpadded row, pooled and normalised by hand).
 */
@QuarkusTest
@TestProfile(DecoderEmbeddingTest.Profile.class)
class DecoderEmbeddingTest {

    private static final List<String> TEXTS = List.of("In the beginning God created the heaven and the earth.",
            "Jesus wept.", "And the LORD spake unto Moses, saying,");

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path root = Files.createTempDirectory("slm-decoder-embed-");
                folder(root.resolve("gpt-last"), "lasttoken");
                folder(root.resolve("gpt-mean"), "mean");
                root.toFile().deleteOnExit();
                return Map.of("slm.models-dir", root.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void folder(Path dir, String pooling) throws IOException {
            Files.createDirectories(dir);
            for (String file : new String[] {"model.pt", "tokenizer.json", "tokenizer_config.json", "config.json"}) {
                Files.createSymbolicLink(dir.resolve(file), GptFolder.dir().resolve(file));
            }
            Files.writeString(dir.resolve("serving.properties"), """
                    engine=PyTorch
                    option.task=text-embedding
                    option.pooling=%s
                    batch_size=8
                    max_batch_delay=20
                    job_queue_size=32
                    minWorkers=1
                    maxWorkers=1
                    max_input_tokens=128
                    """.formatted(pooling));
        }
    }

    @Test
    void embeddingsEqualTheBareArchivesPooledHiddenStates() throws Exception {
        ModelWait.ready();
        given().get("/models/gpt-last").then().statusCode(200).body("pooling.mode", equalTo("lasttoken"))
                .body("pooling.source", equalTo("serving.properties option.pooling"));
        try (ZooModel<NDList, NDList> bare = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(GptFolder.dir()).optModelName("model").optEngine("PyTorch")
                .optTranslator(new NoopTranslator()).build().loadModel()) {
            try (IValue f32 = IValue.from("float32")) {
                IValueUtils.runMethod((PtSymbolBlock) bare.getBlock(), "cast", f32).close();
            }
            for (String model : List.of("gpt-last", "gpt-mean")) {
                JsonPath served = given().contentType(ContentType.JSON).body(Map.of("model", model, "input", TEXTS))
                        .post("/v1/embeddings").then().statusCode(200).extract().jsonPath();
                for (int i = 0; i < TEXTS.size(); i++) {
                    List<Integer> ids = given().contentType(ContentType.JSON)
                            .body(Map.of("model", model, "inputs", TEXTS.get(i))).post("/tokenize").then()
                            .statusCode(200).extract().jsonPath().getList("[0].id", Integer.class);
                    float[][] states = hidden(bare, ids);
                    float[] want = model.equals("gpt-last") ? states[states.length - 1] : mean(states);
                    normalize(want);
                    List<Float> got = served.getList("data[" + i + "].embedding", Float.class);
                    assertEquals(want.length, got.size());
                    double max = 0;
                    for (int j = 0; j < want.length; j++) {
                        max = Math.max(max, Math.abs(want[j] - got.get(j)));
                    }
                    assertTrue(max < 1e-5, model + " text " + i + ": max difference " + max);
                }
            }
        }
    }

    private static float[][] hidden(ZooModel<NDList, NDList> bare, List<Integer> ids) {
        long[] row = ids.stream().mapToLong(Integer::longValue).toArray();
        try (NDManager scope = bare.getNDManager().newSubManager();
                IValue input = IValue.from((PtNDArray) scope.create(row, new Shape(1, row.length)));
                IValue out = IValueUtils.runMethod((PtSymbolBlock) bare.getBlock(), "hidden_all", input)) {
            var states = out.toTensor((PtNDManager) scope);
            int h = (int) states.getShape().get(2);
            float[] flat = states.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            float[][] res = new float[row.length][h];
            for (int t = 0; t < row.length; t++) {
                System.arraycopy(flat, t * h, res[t], 0, h);
            }
            return res;
        }
    }

    private static float[] mean(float[][] states) {
        float[] m = new float[states[0].length];
        for (float[] s : states) {
            for (int j = 0; j < m.length; j++) {
                m[j] += s[j] / states.length;
            }
        }
        return m;
    }

    private static void normalize(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        n = Math.sqrt(n);
        for (int j = 0; j < v.length; j++) {
            v[j] /= (float) n;
        }
    }
}
