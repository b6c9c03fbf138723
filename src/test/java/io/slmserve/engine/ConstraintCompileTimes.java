package io.slmserve.engine;

import io.slmserve.constraint.ConstraintCompiler;
import io.slmserve.core.Deadline;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * bench/generation helper: compiles every schema under src/test/resources/structured/schemas for a model folder's
 * tokenizer (cold, cache empty) and prints each compile time and the total. Not a test. Usage (test classpath):
 * java io.slmserve.engine.ConstraintCompileTimes models/nano-gpt
 */
public final class ConstraintCompileTimes {

    private ConstraintCompileTimes() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/nano-gpt");
        int vocab = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile())
                .path("vocab_size").asInt();
        TextTokenizer tokenizer = new HfTextTokenizer(dir.resolve("tokenizer.json"), 512, vocab, null);
        long t0 = System.nanoTime();
        tokenizer.tokenBytes();
        System.out.printf("vocabulary bytes read: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/structured/schemas"))) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        long[] states = new long[1];
        ConstraintCompiler compiler = new ConstraintCompiler(ConstraintCompiler.Settings.DEFAULT);
        ConstraintCompiler.Listener listener = new ConstraintCompiler.Listener() {
            @Override
            public void compiled(String kind, long nanos, int n) {
                states[0] = n;
            }

            @Override
            public void cacheHit(String kind) {
            }
        };
        long total = 0;
        for (Path f : files) {
            long start = System.nanoTime();
            compiler.compile(new OutputConstraint(OutputConstraint.Kind.JSON_SCHEMA, Files.readString(f), List.of(),
                    "schema"), tokenizer, vocab, vocab - 1, Deadline.NONE, "m", listener);
            long nanos = System.nanoTime() - start;
            total += nanos;
            System.out.printf("%-36s %8.1f ms %6d states%n", f.getFileName(), nanos / 1e6, states[0]);
        }
        System.out.printf("total %d schemas: %.1f ms%n", files.size(), total / 1e6);
    }
}
