package io.slmserve.constraint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
import io.slmserve.core.Deadline;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenConstraint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Compiles a request's {@link OutputConstraint} for one model's tokenizer, on the request's thread before it is
 * admitted: language (JSON schema, regex or choice) to a character automaton, to a byte DFA, bound to the
 * vocabulary; then checks that every DFA state has an allowed token, so an unsatisfiable constraint is a 400 here,
 * never a failure mid-generation. Results are cached per (tokenizer, logits width, end token, constraint), bounded
 * by entries and by an estimate of their memory (Caffeine). Thread-safe.
 */
public final class ConstraintCompiler {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param maxWhitespace   whitespace characters allowed between JSON tokens (bounded so a model cannot loop)
     * @param jsonDepth       nesting of json_object and of schema parts that allow any value
     * @param maxStates       byte-DFA states above which a constraint is refused
     * @param maxSpecChars    characters of a schema / regex / choice list above which it is refused
     * @param cacheEntries    compiled constraints kept at most
     * @param cacheBytes      estimated bytes of compiled constraints kept at most
     */
    public record Settings(int maxWhitespace, int jsonDepth, int maxStates, int maxSpecChars, int cacheEntries,
                           long cacheBytes) {
        public static final Settings DEFAULT = new Settings(2, 3, 20_000, 65_536, 256, 256L << 20);
    }

    /** What a compilation reports: its time (on a miss) or a cache hit. */
    public interface Listener {
        void compiled(String kind, long nanos, int states);

        void cacheHit(String kind);
    }

    private record Key(TextTokenizer tokenizer, int width, long eos, String spec) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.tokenizer == tokenizer && k.width == width && k.eos == eos
                    && k.spec.equals(spec);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(tokenizer) * 31 + spec.hashCode() + width * 7 + Long.hashCode(eos);
        }
    }

    private final Settings settings;
    private final Cache<Key, CompiledConstraint> cache;
    private final Map<TextTokenizer, TokenVocabulary> vocabularies = new WeakHashMap<>();

    public ConstraintCompiler(Settings settings) {
        this.settings = settings;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(settings.cacheBytes())
                .weigher((Key k, CompiledConstraint c) -> weight(c))
                .executor(Runnable::run) // evict on the caller's thread, so the bound holds when compile returns
                .build();
    }

    /**
     * Caffeine bounds one weight: each entry weighs at least cacheBytes / cacheEntries, so the byte bound also
     * keeps at most cacheEntries entries.
     */
    private int weight(CompiledConstraint c) {
        long floor = settings.cacheBytes() / Math.max(1, settings.cacheEntries());
        return (int) Math.min(Integer.MAX_VALUE, Math.max(floor, c.maxBytes()));
    }

    public Settings settings() {
        return settings;
    }

    /** Compiled constraints held now. */
    public long cachedEntries() {
        return cache.estimatedSize();
    }

    /**
     * The compiled constraint for this tokenizer.
     *
     * @param width the model's logits width (token ids in [0, width))
     * @param eos   the end-of-sequence token id
     * @throws ServingException 400 naming the request field when the constraint is malformed, unsupported, too
     *                          large or unsatisfiable with this vocabulary; 504 when the deadline passes
     */
    public TokenConstraint compile(OutputConstraint spec, TextTokenizer tokenizer, int width, long eos,
                                   Deadline deadline, String model, Listener listener) {
        String field = spec.field();
        if (eos < 0) {
            throw ConstraintException.invalid(field, "model '" + model + "' has no end-of-sequence token, so a "
                    + "constrained output could not end");
        }
        Key key = new Key(tokenizer, width, eos, spec.key());
        CompiledConstraint hit = cache.getIfPresent(key);
        if (hit != null) {
            listener.cacheHit(spec.kind().name());
            return hit;
        }
        long start = System.nanoTime();
        CompiledConstraint compiled = cache.get(key, k -> build(spec, tokenizer, width, eos, deadline, model));
        listener.compiled(spec.kind().name(), System.nanoTime() - start, compiled.states());
        return compiled;
    }

    private CompiledConstraint build(OutputConstraint spec, TextTokenizer tokenizer, int width, long eos,
                                     Deadline deadline, String model) {
        String field = spec.field();
        TokenVocabulary vocabulary = vocabulary(tokenizer, field, model);
        Automaton chars = language(spec);
        checkDeadline(deadline, model);
        ByteDfa dfa;
        try {
            dfa = ByteDfa.of(chars, settings.maxStates());
        } catch (ByteDfa.TooLarge e) {
            throw ConstraintException.invalid(field, "the constraint needs " + e.states + " automaton states; the "
                    + "limit is " + settings.maxStates() + " (slm.constraints.max-states): simplify it (fewer "
                    + "optional properties, smaller maxItems / maxLength)");
        }
        if (dfa == null) {
            throw ConstraintException.invalid(field, "the constraint allows no output at all");
        }
        CompiledConstraint compiled = new CompiledConstraint(dfa, vocabulary, eos, width);
        checkSatisfiable(compiled, vocabulary, field, model, deadline);
        return compiled;
    }

    /** The language as characters; JSON Schema's and json_object's allow bounded whitespace around tokens. */
    Automaton language(OutputConstraint spec) {
        String field = spec.field();
        int size = spec.value() == null ? 0 : spec.value().length();
        for (String c : spec.choices()) {
            size += c.length();
        }
        if (size > settings.maxSpecChars()) {
            throw ConstraintException.invalid(field, "the constraint has " + size + " characters; the limit is "
                    + settings.maxSpecChars() + " (slm.constraints.max-schema-chars)");
        }
        return switch (spec.kind()) {
            case JSON_OBJECT -> JsonSchemaLanguage.anyObject(settings.maxWhitespace(), settings.jsonDepth());
            case JSON_SCHEMA -> JsonSchemaLanguage.of(parse(spec.value(), field), settings.maxWhitespace(),
                    settings.jsonDepth(), field);
            case REGEX -> RegexTranslator.fullMatch(spec.value(), field);
            case CHOICE -> {
                if (spec.choices().isEmpty()) {
                    throw ConstraintException.invalid(field, "the choice list must not be empty");
                }
                List<Automaton> options = new ArrayList<>();
                spec.choices().forEach(c -> options.add(BasicAutomata.makeString(c)));
                yield BasicOperations.union(options);
            }
            case TOOL_CALLS -> ToolCallLanguage.of(parse(spec.value(), field), settings, field);
        };
    }

    static JsonNode parse(String json, String field) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw ConstraintException.invalid(field, "not valid JSON: " + e.getOriginalMessage());
        }
    }

    private TokenVocabulary vocabulary(TextTokenizer tokenizer, String field, String model) {
        synchronized (vocabularies) {
            TokenVocabulary v = vocabularies.get(tokenizer);
            if (v == null) {
                byte[][] bytes = tokenizer.tokenBytes();
                if (bytes == null) {
                    throw ConstraintException.invalid(field, "model '" + model + "' has a tokenizer whose tokens "
                            + "are not byte strings (only byte-level BPE and Metaspace vocabularies are supported)");
                }
                v = new TokenVocabulary(bytes);
                vocabularies.put(tokenizer, v);
            }
            return v;
        }
    }

    /**
     * The output must be able to end from wherever the model is allowed to go. Fast path: every DFA state reaches
     * acceptance over single-byte tokens alone (byte-level and byte-fallback vocabularies), and every token's path
     * stays in live states, so nothing can get stuck. Otherwise the token graph is built from the start state (a
     * vocabulary walk per reachable state): the constraint is refused when the start cannot reach acceptance, and
     * tokens leading into states that cannot are masked out.
     */
    private void checkSatisfiable(CompiledConstraint c, TokenVocabulary vocabulary, String field, String model,
                                  Deadline deadline) {
        ByteDfa dfa = c.dfa();
        int n = dfa.states;
        List<List<Integer>> reverse = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            reverse.add(new ArrayList<>());
        }
        for (int s = 0; s < n; s++) {
            for (int b = 0; b < 256; b++) {
                int t = dfa.step(s, (byte) b);
                if (t >= 0 && vocabulary.hasSingleByte(b)) {
                    reverse.get(t).add(s);
                }
            }
        }
        if (allGood(backward(dfa, reverse))) {
            return;
        }
        // Slow path: token edges of the states reachable by tokens.
        List<List<Integer>> tokenReverse = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            tokenReverse.add(new ArrayList<>());
        }
        boolean[] seen = new boolean[n];
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>(List.of(dfa.start));
        seen[dfa.start] = true;
        int walked = 0;
        while (!queue.isEmpty()) {
            int s = queue.poll();
            if ((++walked & 31) == 0) {
                checkDeadline(deadline, model);
            }
            java.util.Set<Integer> targets = new java.util.HashSet<>();
            vocabulary.walk(dfa, s, (token, end) -> targets.add(end));
            for (int t : targets) {
                tokenReverse.get(t).add(s);
                if (!seen[t]) {
                    seen[t] = true;
                    queue.add(t);
                }
            }
        }
        boolean[] good = backward(dfa, tokenReverse);
        if (!good[dfa.start]) {
            throw ConstraintException.invalid(field, "model '" + model + "' cannot write this constraint: no "
                    + "sequence of its tokens forms a complete output (no token continues it at some point)");
        }
        c.restrictTo(good);
    }

    /** States from which an accepting state is reachable over the given reverse edges. */
    private static boolean[] backward(ByteDfa dfa, List<List<Integer>> reverse) {
        boolean[] good = new boolean[dfa.states];
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
        for (int s = 0; s < dfa.states; s++) {
            if (dfa.accept[s]) {
                good[s] = true;
                queue.add(s);
            }
        }
        while (!queue.isEmpty()) {
            for (int p : reverse.get(queue.poll())) {
                if (!good[p]) {
                    good[p] = true;
                    queue.add(p);
                }
            }
        }
        return good;
    }

    private static boolean allGood(boolean[] good) {
        for (boolean g : good) {
            if (!g) {
                return false;
            }
        }
        return true;
    }

    private static void checkDeadline(Deadline deadline, String model) {
        if (deadline.expired()) {
            throw deadline.exceeded(model, "compiling its output constraint");
        }
    }
}
