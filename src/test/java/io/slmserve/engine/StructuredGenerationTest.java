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
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.OutputConstraint.Kind;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TokenConstraint;
import io.slmserve.generation.GenerationListener;
import io.slmserve.generation.GenerationPool;
import io.slmserve.generation.GenerationRequest;
import io.slmserve.generation.GenerationResult;
import io.slmserve.generation.SchedulerLimits;
import io.slmserve.testing.GptFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structured output on the real engine and a real checkpoint (nano-gpt, or the folder GptFolder names): every
 * JSON schema under test resources structured/schemas, sampled at temperature 1 over five seeds each in one
 * continuous batch, ends with the end token and validates against its schema with networknt's validator (an
 * independent implementation of JSON Schema); regexes are checked with java.util.regex, choices by membership.
 */
class StructuredGenerationTest {

    static final int SEEDS = 5;
    private static final String PROMPT = "In the beginning God created";
    private static LoadedModel model;
    private static GenerationPool pool;
    private static final ConstraintCompiler COMPILER = new ConstraintCompiler(ConstraintCompiler.Settings.DEFAULT);
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    @BeforeAll
    static void load() throws Exception {
        ModelSpec spec = new ModelSpec("gpt", GptFolder.dir(), ModelTask.TEXT_GENERATION, 16, Duration.ZERO, 16384,
                64, 1, 1, 256, Map.of(), 512);
        model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
        pool = new GenerationPool("gpt", model.decoder().info(), model.tokenizer(),
                new SchedulerLimits(16, 16384, 1024, 1, 1), model.decoder()::openSession, ServingMetrics.NONE);
    }

    @AfterAll
    static void close() throws Exception {
        pool.close();
        model.close();
    }

    static TokenConstraint compile(OutputConstraint c) {
        var info = model.decoder().info();
        return COMPILER.compile(c, model.tokenizer(), info.vocabularySize(), info.eosTokenId(), Deadline.NONE, "gpt",
                new ConstraintCompiler.Listener() {
                    @Override
                    public void compiled(String kind, long nanos, int states) {
                    }

                    @Override
                    public void cacheHit(String kind) {
                    }
                });
    }

    /** One sequence's outcome, with the tokens it reported. */
    static final class Run implements GenerationListener {
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final List<GeneratedToken> tokens = new CopyOnWriteArrayList<>();

        @Override
        public void onToken(GeneratedToken token) {
            tokens.add(token);
        }

        @Override
        public void onFinish(GenerationResult result) {
            done.complete(result);
        }

        @Override
        public void onError(ServingException error) {
            done.completeExceptionally(error);
        }

        GenerationResult await() throws Exception {
            return done.get(120, TimeUnit.SECONDS);
        }
    }

    static Run submit(String prompt, GenerationParams params, TokenConstraint constraint) {
        Run run = new Run();
        long[] ids = model.tokenizer().encode(prompt, false).ids();
        pool.submit(new GenerationRequest(ids, params, run, Deadline.NONE, constraint));
        return run;
    }

    static GenerationParams sampled(long seed, int maxNew) {
        return GenerationParams.builder().sample(true).temperature(1.0).seed(seed).maxNewTokens(maxNew).build();
    }

    static List<Path> schemaFiles() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/structured/schemas"))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    @Test
    void everySampledOutputValidatesAgainstItsSchema() throws Exception {
        List<Path> files = schemaFiles();
        assertTrue(files.size() >= 30, "at least 30 schemas, found " + files.size());
        List<Run> runs = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Schema> validators = new ArrayList<>();
        for (Path file : files) {
            String schema = Files.readString(file);
            TokenConstraint c = compile(new OutputConstraint(Kind.JSON_SCHEMA, schema, List.of(), "schema"));
            Schema validator = SCHEMAS.getSchema(schema, InputFormat.JSON);
            for (int seed = 0; seed < SEEDS; seed++) {
                runs.add(submit(PROMPT, sampled(seed, 300), c));
                labels.add(file.getFileName() + " seed " + seed);
                validators.add(validator);
            }
        }
        for (int i = 0; i < runs.size(); i++) {
            GenerationResult r = runs.get(i).await();
            assertEquals(FinishReason.EOS_TOKEN, r.reason(), labels.get(i) + " did not finish: " + r.text());
            var errors = validators.get(i).validate(r.text(), InputFormat.JSON);
            assertTrue(errors.isEmpty(), labels.get(i) + ": " + r.text() + " -> " + errors);
        }
    }

    @Test
    void regexAndChoiceOutputsMatch() throws Exception {
        List<String> regexes = List.of("[A-Z][a-z]{2,8} [0-9]{1,3}", "(yes|no|maybe)!?", "\\d{3}-\\d{4}",
                "[a-f0-9]{8}", "(?:ab|cd){1,6}e{0,2}", "The (LORD|God) (said|spake)[.!]");
        List<Run> runs = new ArrayList<>();
        for (String regex : regexes) {
            TokenConstraint c = compile(new OutputConstraint(Kind.REGEX, regex, List.of(), "guided_regex"));
            for (int seed = 0; seed < SEEDS; seed++) {
                runs.add(submit(PROMPT, sampled(seed, 40), c));
            }
        }
        List<String> choices = List.of("Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy");
        TokenConstraint choice = compile(new OutputConstraint(Kind.CHOICE, null, choices, "guided_choice"));
        List<Run> choiceRuns = new ArrayList<>();
        for (int seed = 0; seed < SEEDS * 2; seed++) {
            choiceRuns.add(submit(PROMPT, sampled(seed, 20), choice));
        }
        for (int i = 0; i < runs.size(); i++) {
            String regex = regexes.get(i / SEEDS);
            GenerationResult r = runs.get(i).await();
            assertEquals(FinishReason.EOS_TOKEN, r.reason(), regex + ": " + r.text());
            assertTrue(Pattern.matches(regex, r.text()), regex + " vs '" + r.text() + "'");
        }
        for (Run run : choiceRuns) {
            GenerationResult r = run.await();
            assertTrue(choices.contains(r.text()), r.text());
        }
    }

    /** Greedy: an unconstrained sequence gives the same text beside constrained ones as alone. */
    @Test
    void constrainedRowsLeaveUnconstrainedRowsAlone() throws Exception {
        GenerationParams greedy = GenerationParams.builder().seed(0L).maxNewTokens(40).build();
        List<String> prompts = List.of("And God said", "The LORD is my shepherd", "Blessed are the meek");
        List<String> alone = new ArrayList<>();
        for (String p : prompts) {
            alone.add(submit(p, greedy, null).await().text());
        }
        TokenConstraint schema = compile(new OutputConstraint(Kind.JSON_SCHEMA,
                Files.readString(Path.of("src/test/resources/structured/schemas/06-array-of-objects.json")), List.of(),
                "schema"));
        TokenConstraint regex = compile(new OutputConstraint(Kind.REGEX, "[a-z ]{5,30}\\.", List.of(), "regex"));
        List<Run> mixed = new ArrayList<>();
        List<Run> constrained = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            constrained.add(submit(prompts.get(i), sampled(i, 300), schema));
            mixed.add(submit(prompts.get(i), greedy, null));
            constrained.add(submit(prompts.get(i), greedy.withMaxNewTokens(60), regex));
        }
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(alone.get(i), mixed.get(i).await().text(), prompts.get(i));
        }
        for (Run r : constrained) {
            assertEquals(FinishReason.EOS_TOKEN, r.await().reason());
        }
    }

    /** Logprobs are those of the masked distribution: only allowed tokens appear, and their mass sums to one. */
    @Test
    void logprobsReportTheMaskedDistribution() throws Exception {
        TokenConstraint choice = compile(new OutputConstraint(Kind.CHOICE, null, List.of("yes", "no"), "c"));
        GenerationParams params = GenerationParams.builder().sample(true).seed(3L).maxNewTokens(10).logprobs(true)
                .topNTokens(20).build();
        Run run = submit(PROMPT, params, choice);
        GenerationResult r = run.await();
        assertTrue(List.of("yes", "no").contains(r.text()), r.text());
        for (GeneratedToken t : run.tokens) {
            double mass = t.top().stream().mapToDouble(a -> Math.exp(a.logprob())).sum();
            assertTrue(t.top().size() < 20, "fewer allowed tokens than asked for");
            assertEquals(1.0, mass, 1e-4, "masked alternatives of token " + t.id());
            assertTrue(t.top().stream().allMatch(a -> Double.isFinite(a.logprob())));
        }
    }

    /** Beam search keeps each beam's constraint state: the best hypothesis validates. */
    @Test
    void beamSearchStaysInTheLanguage() throws Exception {
        String schema = Files.readString(Path.of("src/test/resources/structured/schemas/10-defs-ref.json"));
        TokenConstraint c = compile(new OutputConstraint(Kind.JSON_SCHEMA, schema, List.of(), "schema"));
        GenerationParams beams = GenerationParams.builder().seed(0L).maxNewTokens(80).numBeams(4).build();
        GenerationResult r = submit(PROMPT, beams, c).await();
        assertEquals(FinishReason.EOS_TOKEN, r.reason(), r.text());
        assertTrue(SCHEMAS.getSchema(schema, InputFormat.JSON).validate(r.text(), InputFormat.JSON).isEmpty(),
                r.text());
    }
}
