package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.slmserve.constraint.ConstraintCompiler;
import io.slmserve.core.Deadline;
import io.slmserve.core.FinishReason;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.OutputConstraint.Kind;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TokenConstraint;
import io.slmserve.generation.GenerationPool;
import io.slmserve.generation.GenerationRequest;
import io.slmserve.generation.GenerationResult;
import io.slmserve.generation.SchedulerLimits;
import io.slmserve.testing.LlamaFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The structured-output sweep of {@link StructuredGenerationTest} on the Llama family: models/nano-llama (trained)
 * and a random-weight llama-tiny written at test time: every schema under structured/schemas at temperature 1 over
 * five seeds ends and validates (networknt), and regexes match (java.util.regex).
 */
class StructuredLlamaGenerationTest {

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    @Test
    void nanoLlamaOutputsValidate() throws Exception {
        sweep(Path.of("models/nano-llama").toAbsolutePath(), "nano-llama", 512);
    }

    @Test
    void randomWeightLlamaOutputsValidate() throws Exception {
        Path root = LlamaFolders.build(List.of("llama-tiny"));
        sweep(root.resolve("llama-tiny"), "llama-tiny", 256);
    }

    private static void sweep(Path dir, String name, int maxTotal) throws Exception {
        ModelSpec spec = new ModelSpec(name, dir, ModelTask.TEXT_GENERATION, 16, Duration.ZERO, 16384, 64, 1, 1, 64,
                Map.of(), maxTotal);
        int maxNew = maxTotal - 32;
        ConstraintCompiler compiler = new ConstraintCompiler(ConstraintCompiler.Settings.DEFAULT);
        try (LoadedModel model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
             GenerationPool pool = new GenerationPool(name, model.decoder().info(), model.tokenizer(),
                     new SchedulerLimits(16, 16384, 1024, 1, 1), model.decoder()::openSession, ServingMetrics.NONE)) {
            var info = model.decoder().info();
            long[] prompt = model.tokenizer().encode("In the beginning", false).ids();
            List<StructuredGenerationTest.Run> runs = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            List<java.util.function.Predicate<String>> checks = new ArrayList<>();
            List<Path> files = StructuredGenerationTest.schemaFiles();
            for (Path file : files) {
                String schema = Files.readString(file);
                TokenConstraint c = compile(compiler, model, info, new OutputConstraint(Kind.JSON_SCHEMA, schema,
                        List.of(), "schema"));
                Schema validator = SCHEMAS.getSchema(schema, InputFormat.JSON);
                for (int seed = 0; seed < StructuredGenerationTest.SEEDS; seed++) {
                    runs.add(submit(pool, prompt, StructuredGenerationTest.sampled(seed, maxNew), c));
                    labels.add(name + " " + file.getFileName() + " seed " + seed);
                    checks.add(text -> validator.validate(text, InputFormat.JSON).isEmpty());
                }
            }
            for (String regex : List.of("[A-Z][a-z]{2,8} [0-9]{1,3}", "(yes|no|maybe)!?", "[a-f0-9]{8}")) {
                TokenConstraint c = compile(compiler, model, info, new OutputConstraint(Kind.REGEX, regex, List.of(),
                        "guided_regex"));
                for (int seed = 0; seed < StructuredGenerationTest.SEEDS; seed++) {
                    runs.add(submit(pool, prompt, StructuredGenerationTest.sampled(seed, 40), c));
                    labels.add(name + " regex " + regex + " seed " + seed);
                    checks.add(text -> Pattern.matches(regex, text));
                }
            }
            for (int i = 0; i < runs.size(); i++) {
                GenerationResult r = runs.get(i).await();
                assertEquals(FinishReason.EOS_TOKEN, r.reason(), labels.get(i) + " did not finish: " + r.text());
                assertTrue(checks.get(i).test(r.text()), labels.get(i) + ": " + r.text());
            }
            assertTrue(files.size() >= 30);
        }
    }

    private static TokenConstraint compile(ConstraintCompiler compiler, LoadedModel model,
                                           io.slmserve.core.DecoderInfo info, OutputConstraint c) {
        return compiler.compile(c, model.tokenizer(), info.vocabularySize(), info.eosTokenId(), Deadline.NONE,
                "m", new ConstraintCompiler.Listener() {
                    @Override
                    public void compiled(String kind, long nanos, int states) {
                    }

                    @Override
                    public void cacheHit(String kind) {
                    }
                });
    }

    private static StructuredGenerationTest.Run submit(GenerationPool pool, long[] prompt, GenerationParams params,
                                                       TokenConstraint c) {
        StructuredGenerationTest.Run run = new StructuredGenerationTest.Run();
        pool.submit(new GenerationRequest(prompt, params, run, Deadline.NONE, c));
        return run;
    }
}
