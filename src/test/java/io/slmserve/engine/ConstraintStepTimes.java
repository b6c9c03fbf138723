package io.slmserve.engine;

import io.slmserve.constraint.ConstraintCompiler;
import io.slmserve.core.Deadline;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenConstraint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * bench/generation helper: what a JSON-schema mask costs the generation worker per constrained token, without a
 * model. Compiles a schema for a model folder's tokenizer (cold cache), then runs rounds of 16 sequences of N
 * tokens, each token the argmax of random logits under the mask, as a random-weight model's greedy rows are;
 * prints the mask time per token for each round (the first rounds pay the first visit of each automaton state).
 * Not a test. Usage (test classpath):
 * java io.slmserve.engine.ConstraintStepTimes MODEL_DIR SCHEMA.json [rounds] [tokens]
 */
public final class ConstraintStepTimes {

    private ConstraintStepTimes() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String schema = Files.readString(Path.of(args[1]));
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int vocab = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile())
                .path("vocab_size").asInt();
        TextTokenizer tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), 512, vocab, null);
        tokenizer.tokenBytes();
        ConstraintCompiler compiler = new ConstraintCompiler(ConstraintCompiler.Settings.DEFAULT);
        int[] states = new int[1];
        long t0 = System.nanoTime();
        TokenConstraint c = compiler.compile(new OutputConstraint(OutputConstraint.Kind.JSON_SCHEMA, schema,
                List.of(), "schema"), tokenizer, vocab, vocab - 1, Deadline.NONE, "m",
                new ConstraintCompiler.Listener() {
                    @Override
                    public void compiled(String kind, long nanos, int n) {
                        states[0] = n;
                    }

                    @Override
                    public void cacheHit(String kind) {
                    }
                });
        System.out.printf("compile: %.1f ms, %d states, vocabulary %d%n", (System.nanoTime() - t0) / 1e6,
                states[0], vocab);
        float[] logits = new float[vocab];
        SplittableRandom random = new SplittableRandom(7);
        for (int r = 0; r < rounds; r++) {
            long masking = 0;
            int count = 0;
            for (int s = 0; s < 16; s++) {
                int state = c.initialState();
                for (int t = 0; t < tokens; t++) {
                    for (int v = 0; v < vocab; v++) {
                        logits[v] = (float) random.nextDouble();
                    }
                    long start = System.nanoTime();
                    c.mask(state, logits, 0, vocab);
                    masking += System.nanoTime() - start;
                    count++;
                    int best = 0;
                    for (int v = 1; v < vocab; v++) {
                        if (logits[v] > logits[best]) {
                            best = v;
                        }
                    }
                    if (best == vocab - 1) {
                        break;
                    }
                    state = c.advance(state, best);
                }
            }
            System.out.printf("round %d: %d tokens, mask %.3f ms per token%n", r, count, masking / 1e6 / count);
        }
    }
}
