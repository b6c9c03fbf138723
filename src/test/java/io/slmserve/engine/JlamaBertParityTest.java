package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.JlamaReference;
import io.slmserve.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BERT against Jlama 0.8.4. Jlama's BertModel is not Hugging Face's: its attention is causal with query and key
 * swapped, its feed-forward residual skips the attention norm, and its GELU is the tanh form (the four points,
 * with the Jlama source files, are in models/tools/jlama_bert_reference.py). No input makes the two agree, so the
 * comparison goes through one function written out with plain tensor operations from the snapshot's tensors,
 * with Jlama's four departures as switches: Jlama's last hidden states equal it with the switches on, and our
 * served archive (converted from the same snapshot by hf_bert.py, run by DJL / libtorch 2.7.1 as a padded batch)
 * equals it with them off (transformers' modeling_bert.py), each within {@link #TOLERANCE}. Jlama thus reads the
 * same weights, embeddings and norms from the snapshot we convert; that the two settings differ by far more
 * than the tolerance is asserted too, so neither comparison can pass by accident.
 *
 * <p>Tolerance: fp32 against a float64 formula through two to six layers: measured up to 7e-7 (Jlama) and
 * 2e-6 (ours) on states of magnitude up to 7; 1e-4 leaves a wide margin. The snapshots' matrices are
 * fp16-representable, so the fp16-stored archive holds exactly the snapshot's weights.
 */
class JlamaBertParityTest {

    static final double TOLERANCE = 1e-4;
    private static Path jdk;

    @BeforeAll
    static void findJdk() {
        jdk = JlamaReference.requiredJavaHome();
    }

    @Test
    void randomWeightBert(@TempDir Path dir) throws Exception {
        Path snapshot = dir.resolve("snapshot");
        Processes.python("models/tools/jlama_bert_reference.py", "random", "--out", snapshot, "--layers", 2);
        compare(snapshot, dir, 8192, 21);
    }

    @Test
    void allMiniLmWeights(@TempDir Path dir) throws Exception {
        Path snapshot = dir.resolve("snapshot");
        Processes.python("models/tools/jlama_bert_reference.py", "from-served", "--dir", "models/all-minilm-l6-v2",
                "--out", snapshot);
        compare(snapshot, dir, 30522, 22);
    }

    private static void compare(Path snapshot, Path dir, int vocab, long seed) throws Exception {
        Path served = dir.resolve("served");
        Processes.python("models/tools/hf_bert.py", "import", snapshot, served);
        // [CLS] random tokens [SEP], two lengths (the shorter is padded in our batch)
        Random random = new Random(seed);
        List<long[]> rows = new ArrayList<>();
        for (int length : new int[] {11, 6}) {
            long[] ids = new long[length];
            ids[0] = 2;  // nano-bert-mlm's [CLS]; any id serves, the formulas take ids as given
            for (int i = 1; i < length; i++) {
                ids[i] = 5 + random.nextInt(vocab - 5);
            }
            rows.add(ids);
        }
        String ids = rows.stream().map(r -> java.util.Arrays.stream(r).mapToObj(Long::toString)
                .collect(Collectors.joining(","))).collect(Collectors.joining(";"));
        JsonNode formulas = new ObjectMapper().readTree(lastLine(Processes.python("models/tools/jlama_bert_reference.py",
                "states", "--snapshot", snapshot, "--ids", ids)));
        float[][][] jlama = JlamaReference.states(jdk, snapshot, rows);
        List<float[][]> ours;
        ModelSpec spec = new ModelSpec("bert-peer", served, ModelTask.TEXT_EMBEDDING, 8, Duration.ZERO, 512, 4, 1, 1,
                60, Map.of());
        try (LoadedModel model = new TorchScriptBackendFactory(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
                EncoderSession session = model.encoder().openSession()) {
            ours = session.tokenEmbeddings(rows);
        }
        double jlamaDiff = 0;
        double oursDiff = 0;
        double settingsApart = 0;
        double scale = 0;
        for (int r = 0; r < rows.size(); r++) {
            assertEquals(rows.get(r).length, jlama[r].length, "Jlama positions, row " + r);
            assertEquals(rows.get(r).length, ours.get(r).length, "our positions, row " + r);
            for (int t = 0; t < rows.get(r).length; t++) {
                JsonNode hf = formulas.get("hf").get(r).get(t);
                JsonNode jl = formulas.get("jlama").get(r).get(t);
                for (int j = 0; j < hf.size(); j++) {
                    scale = Math.max(scale, Math.abs(hf.get(j).asDouble()));
                    jlamaDiff = Math.max(jlamaDiff, Math.abs(jlama[r][t][j] - jl.get(j).asDouble()));
                    oursDiff = Math.max(oursDiff, Math.abs(ours.get(r)[t][j] - hf.get(j).asDouble()));
                    settingsApart = Math.max(settingsApart, Math.abs(hf.get(j).asDouble() - jl.get(j).asDouble()));
                }
            }
        }
        System.out.printf("jlama bert %s: Jlama vs its formula %.3g, ours vs Hugging Face's %.3g, formulas apart %.3g"
                + " (max |state| %.3g)%n", snapshot, jlamaDiff, oursDiff, settingsApart, scale);
        assertTrue(jlamaDiff <= TOLERANCE, "Jlama vs the formula with its departures: " + jlamaDiff);
        assertTrue(oursDiff <= TOLERANCE, "our archive vs Hugging Face's formula: " + oursDiff);
        assertTrue(settingsApart > 1000 * TOLERANCE, "the two settings differ: " + settingsApart);
    }

    private static String lastLine(String out) {
        return out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
    }
}
