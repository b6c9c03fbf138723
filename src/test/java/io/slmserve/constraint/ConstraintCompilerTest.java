package io.slmserve.constraint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.slmserve.core.Deadline;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.OutputConstraint.Kind;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenConstraint;
import io.slmserve.core.TokenizedText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The constraint engine without a model: random walks over a byte vocabulary (every byte a token, plus multi-byte
 * tokens that cross JSON structure) produce texts that networknt's validator accepts; the UTF-8 byte automaton
 * agrees with Java's UTF-8 encoder; unsupported and unsatisfiable constraints are 400s naming the field.
 */
class ConstraintCompilerTest {

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final ConstraintCompiler.Listener QUIET = new ConstraintCompiler.Listener() {
        @Override
        public void compiled(String kind, long nanos, int states) {
        }

        @Override
        public void cacheHit(String kind) {
        }
    };

    /** Ids 0-255 are the bytes, then some multi-byte pieces; the last id is the end token (special, no bytes). */
    static final class ByteTokenizer implements TextTokenizer {
        final byte[][] bytes;

        ByteTokenizer(List<String> pieces, boolean allBytes) {
            List<byte[]> list = new ArrayList<>();
            for (int b = 0; b < 256; b++) {
                list.add(allBytes || (b >= 'a' && b <= 'z') ? new byte[] {(byte) b} : null);
            }
            pieces.forEach(p -> list.add(p.getBytes(StandardCharsets.UTF_8)));
            list.add(null);
            bytes = list.toArray(new byte[0][]);
        }

        int eos() {
            return bytes.length - 1;
        }

        @Override
        public byte[][] tokenBytes() {
            return bytes;
        }

        @Override
        public TokenizedText encode(String text, boolean truncate) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int maxTokens() {
            return 512;
        }

        @Override
        public String decode(long[] ids, boolean skipSpecialTokens) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (long id : ids) {
                if (bytes[(int) id] != null) {
                    out.writeBytes(bytes[(int) id]);
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }

        @Override
        public int vocabularySize() {
            return bytes.length;
        }

        @Override
        public String maskToken() {
            return null;
        }

        @Override
        public long maskTokenId() {
            return -1;
        }
    }

    private static final ByteTokenizer VOCAB = new ByteTokenizer(List.of("{\"", "\":", "\", \"", "true", "null",
            "}", "123", "ab", " \"", "é", "日本", "\n"), true);

    private final ConstraintCompiler compiler = new ConstraintCompiler(ConstraintCompiler.Settings.DEFAULT);

    private TokenConstraint compile(OutputConstraint c, ByteTokenizer tokenizer) {
        return compiler.compile(c, tokenizer, tokenizer.vocabularySize(), tokenizer.eos(), Deadline.NONE, "m", QUIET);
    }

    /** Uniformly random allowed tokens until the end token (or a cap); returns the decoded text, or null. */
    private static String walk(TokenConstraint c, ByteTokenizer tokenizer, SplittableRandom random, int cap) {
        int vocab = tokenizer.vocabularySize();
        float[] logits = new float[vocab];
        int state = c.initialState();
        List<Long> ids = new ArrayList<>();
        for (int step = 0; step < cap; step++) {
            java.util.Arrays.fill(logits, 0f);
            c.mask(state, logits, 0, vocab);
            List<Integer> allowed = new ArrayList<>();
            for (int v = 0; v < vocab; v++) {
                if (logits[v] == 0f) {
                    allowed.add(v);
                }
            }
            assertFalse(allowed.isEmpty(), "a reachable state allows no token");
            // Prefer the end token now and then, so walks finish.
            int token = allowed.contains(tokenizer.eos()) && random.nextInt(4) == 0 ? tokenizer.eos()
                    : allowed.get(random.nextInt(allowed.size()));
            if (token == tokenizer.eos()) {
                return tokenizer.decode(ids.stream().mapToLong(Long::longValue).toArray(), true);
            }
            ids.add((long) token);
            state = c.advance(state, token);
        }
        return null;
    }

    @Test
    void randomWalksOfEverySchemaValidate() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/structured/schemas"))) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        SplittableRandom random = new SplittableRandom(42);
        for (Path file : files) {
            String schema = Files.readString(file);
            TokenConstraint c = compile(new OutputConstraint(Kind.JSON_SCHEMA, schema, List.of(), "schema"), VOCAB);
            Schema validator = SCHEMAS.getSchema(schema, InputFormat.JSON);
            int finished = 0;
            for (int i = 0; i < 20; i++) {
                String text = walk(c, VOCAB, random, 3000);
                if (text != null) {
                    finished++;
                    var errors = validator.validate(text, InputFormat.JSON);
                    assertTrue(errors.isEmpty(), file.getFileName() + ": " + text + " -> " + errors);
                }
            }
            assertTrue(finished > 0, file.getFileName() + ": no walk finished");
        }
    }

    @Test
    void jsonObjectWalksParseAsObjects() throws Exception {
        TokenConstraint c = compile(new OutputConstraint(Kind.JSON_OBJECT, null, List.of(), "response_format"), VOCAB);
        SplittableRandom random = new SplittableRandom(7);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        int finished = 0;
        for (int i = 0; i < 30; i++) {
            String text = walk(c, VOCAB, random, 3000);
            if (text != null) {
                finished++;
                assertTrue(mapper.readTree(text).isObject(), text);
            }
        }
        assertTrue(finished > 10);
    }

    /** Hermes tool calls: each block names an offered function with arguments valid against its parameters. */
    @Test
    void toolCallWalksNameAnOfferedFunctionWithValidArguments() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        String weather = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":8},"
                + "\"unit\":{\"enum\":[\"C\",\"F\"]}},\"required\":[\"city\"],\"additionalProperties\":false}";
        String add = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0,"
                + "\"maximum\":99},\"b\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99}},"
                + "\"required\":[\"a\",\"b\"],\"additionalProperties\":false}";
        OutputConstraint spec = ToolCallLanguage.hermes(List.of(
                new ToolCallLanguage.Tool("get_weather", mapper.readTree(weather)),
                new ToolCallLanguage.Tool("add", mapper.readTree(add))), true, "tool_choice");
        TokenConstraint c = compile(spec, VOCAB);
        java.util.Map<String, Schema> validators = java.util.Map.of("get_weather",
                SCHEMAS.getSchema(weather, InputFormat.JSON), "add", SCHEMAS.getSchema(add, InputFormat.JSON));
        java.util.regex.Pattern block = java.util.regex.Pattern.compile("<tool_call>\n(.*?)\n</tool_call>",
                java.util.regex.Pattern.DOTALL);
        SplittableRandom random = new SplittableRandom(9);
        int finished = 0;
        for (int i = 0; i < 30; i++) {
            String text = walk(c, VOCAB, random, 2000);
            if (text == null) {
                continue;
            }
            finished++;
            assertTrue(text.matches("(<tool_call>\n.*?\n</tool_call>)(\n<tool_call>\n.*?\n</tool_call>)*")
                    || text.matches("(?s)(<tool_call>\n.*?\n</tool_call>)(\n<tool_call>\n.*?\n</tool_call>)*"), text);
            var m = block.matcher(text);
            while (m.find()) {
                var call = mapper.readTree(m.group(1));
                Schema v = validators.get(call.path("name").asText());
                assertTrue(v != null, text);
                assertTrue(v.validate(call.get("arguments").toString(), InputFormat.JSON).isEmpty(), text);
            }
        }
        assertTrue(finished > 5, "walks finished: " + finished);
    }

    @Test
    void multiByteCharactersAreWalkedByteByByte() {
        List<String> choices = List.of("é", "日本", "naïve", "€5");
        TokenConstraint c = compile(new OutputConstraint(Kind.CHOICE, null, choices, "guided_choice"), VOCAB);
        SplittableRandom random = new SplittableRandom(1);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            String text = walk(c, VOCAB, random, 100);
            assertTrue(choices.contains(text), text);
            seen.add(text);
        }
        assertEquals(Set.copyOf(choices), seen);
    }

    @Test
    void utf8SplitAgreesWithJavasEncoder() {
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 200; trial++) {
            int lo = random.nextInt(0x10000);
            int hi = Math.min(0xFFFF, lo + random.nextInt(trial % 2 == 0 ? 300 : 30000));
            List<int[][]> seqs = new ArrayList<>();
            // As the byte automaton does: surrogates are not characters, so ranges skip them.
            if (lo < 0xD800) {
                ByteDfa.split(lo, Math.min(hi, 0xD7FF), seqs);
            }
            if (hi > 0xDFFF) {
                ByteDfa.split(Math.max(lo, 0xE000), hi, seqs);
            }
            for (int k = 0; k < 50; k++) {
                int cp = random.nextInt(0x10000);
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    continue;
                }
                byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                boolean matched = seqs.stream().anyMatch(seq -> seq.length == utf8.length && matches(seq, utf8));
                assertEquals(cp >= lo && cp <= hi, matched, "U+" + Integer.toHexString(cp) + " in [" + lo + ", " + hi
                        + "]");
            }
        }
    }

    private static boolean matches(int[][] seq, byte[] bytes) {
        for (int i = 0; i < seq.length; i++) {
            int b = bytes[i] & 0xff;
            if (b < seq[i][0] || b > seq[i][1]) {
                return false;
            }
        }
        return true;
    }

    private ServingException refused(OutputConstraint c, ByteTokenizer tokenizer) {
        ServingException e = assertThrows(ServingException.class, () -> compile(c, tokenizer));
        assertEquals(ErrorKind.INVALID_REQUEST, e.kind());
        assertEquals(c.field(), e.param());
        return e;
    }

    private static OutputConstraint schema(String json) {
        return new OutputConstraint(Kind.JSON_SCHEMA, json, List.of(), "response_format.json_schema.schema");
    }

    @Test
    void unsupportedOrMalformedConstraintsAre400sNamingTheField() {
        assertTrue(refused(schema("{\"type\":\"object\",\"properties\":{\"a\":{\"not\":{}}}}"), VOCAB).getMessage()
                .contains("'not'"));
        assertTrue(refused(schema("{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":"
                + "\"#/$defs/n\"}}}},\"$ref\":\"#/$defs/n\"}"), VOCAB).getMessage().contains("recursive"));
        refused(schema("{\"type\":"), VOCAB);
        refused(schema("{\"type\":\"string\",\"minLength\":5,\"maxLength\":2}"), VOCAB);
        refused(schema("{\"type\":\"integer\",\"minimum\":10,\"maximum\":2}"), VOCAB);
        refused(schema("{\"type\":\"integer\",\"maximum\":1e12}"), VOCAB);
        refused(schema("{\"type\":\"object\",\"required\":[\"x\"]}"), VOCAB);
        refused(schema("{\"enum\":[]}"), VOCAB);
        assertTrue(refused(new OutputConstraint(Kind.REGEX, "(a)\\1", List.of(), "guided_regex"), VOCAB)
                .getMessage().contains("\\1"));
        refused(new OutputConstraint(Kind.REGEX, "(?=a)b", List.of(), "guided_regex"), VOCAB);
        refused(new OutputConstraint(Kind.REGEX, "a++", List.of(), "guided_regex"), VOCAB);
        refused(new OutputConstraint(Kind.REGEX, "[a-", List.of(), "guided_regex"), VOCAB);
        refused(new OutputConstraint(Kind.REGEX, "a&&b|^c", List.of(), "guided_regex"), VOCAB);
    }

    @Test
    void aConstraintTheVocabularyCannotWriteIsRefused() {
        ByteTokenizer lettersOnly = new ByteTokenizer(List.of(), false);
        assertTrue(refused(new OutputConstraint(Kind.REGEX, "[a-z]+[0-9]", List.of(), "guided_regex"), lettersOnly)
                .getMessage().contains("no token"));
        // The same vocabulary writes a language of letters.
        compile(new OutputConstraint(Kind.REGEX, "[a-z]{2,5}", List.of(), "guided_regex"), lettersOnly);
        // A branch it cannot finish ("x" needs a digit) is masked out, so walks never take it and never get stuck.
        TokenConstraint c = compile(new OutputConstraint(Kind.REGEX, "x[0-9]|y[a-z]{0,3}", List.of(), "r"),
                lettersOnly);
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 50; i++) {
            String text = walk(c, lettersOnly, random, 20);
            assertTrue(text != null && text.matches("y[a-z]{0,3}"), text);
        }
    }

    @Test
    void aSchemaOverTheStateLimitIsRefused() {
        ConstraintCompiler small = new ConstraintCompiler(new ConstraintCompiler.Settings(2, 3, 50, 65536, 8, 1 << 20));
        ServingException e = assertThrows(ServingException.class, () -> small.compile(schema(
                "{\"type\":\"string\",\"maxLength\":80}"), VOCAB, VOCAB.vocabularySize(), VOCAB.eos(), Deadline.NONE,
                "m", QUIET));
        assertTrue(e.getMessage().contains("slm.constraints.max-states"), e.getMessage());
    }

    @Test
    void compiledConstraintsAreCachedPerTokenizerAndSpec() {
        int[] compiled = new int[1];
        int[] hits = new int[1];
        ConstraintCompiler.Listener counting = new ConstraintCompiler.Listener() {
            @Override
            public void compiled(String kind, long nanos, int states) {
                compiled[0]++;
            }

            @Override
            public void cacheHit(String kind) {
                hits[0]++;
            }
        };
        OutputConstraint c = new OutputConstraint(Kind.REGEX, "[0-9]{3}", List.of(), "guided_regex");
        TokenConstraint first = compiler.compile(c, VOCAB, VOCAB.vocabularySize(), VOCAB.eos(), Deadline.NONE, "m",
                counting);
        TokenConstraint second = compiler.compile(c, VOCAB, VOCAB.vocabularySize(), VOCAB.eos(), Deadline.NONE, "m",
                counting);
        ByteTokenizer other = new ByteTokenizer(List.of(), true);
        compiler.compile(c, other, other.vocabularySize(), other.eos(), Deadline.NONE, "m", counting);
        assertTrue(first == second);
        assertEquals(2, compiled[0]);
        assertEquals(1, hits[0]);
        ConstraintCompiler tiny = new ConstraintCompiler(new ConstraintCompiler.Settings(2, 3, 20000, 65536, 2,
                1 << 20));
        for (int i = 0; i < 10; i++) {
            tiny.compile(new OutputConstraint(Kind.REGEX, "[0-9]{" + (i + 1) + "}", List.of(), "r"), VOCAB,
                    VOCAB.vocabularySize(), VOCAB.eos(), Deadline.NONE, "m", QUIET);
        }
        assertTrue(tiny.cachedEntries() <= 2, "entries: " + tiny.cachedEntries());
    }

    @Test
    void anExpiredDeadlineStopsCompilation() {
        ServingException e = assertThrows(ServingException.class, () -> compiler.compile(schema(
                "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}"), VOCAB, VOCAB.vocabularySize(),
                VOCAB.eos(), new Deadline(System.nanoTime() - 1, java.time.Duration.ofMillis(1)), "m", QUIET));
        assertEquals(ErrorKind.DEADLINE_EXCEEDED, e.kind());
    }
}
