package io.slmserve.constraint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.OutputConstraint;
import io.slmserve.core.OutputConstraint.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The trie walk and the state classes that share allowed sets, each against the definition written out here:
 * a token is allowed in a state when stepping the DFA over its bytes one by one never dies (and, with a liveness
 * marking, ends in a live state); two states of one class must allow exactly the same tokens.
 */
class TokenVocabularyTest {

    /** 12 array items of one object: the minimal DFA repeats the item's states per position in the array. */
    private static final String ITEMS = """
            {"type": "array", "minItems": 12, "maxItems": 12, "items": {"type": "object",
             "properties": {"name": {"type": "string", "maxLength": 16},
                            "age": {"type": "integer", "minimum": 0, "maximum": 120},
                            "tags": {"type": "array", "items": {"enum": ["psalm", "law", "prophet"]}, "maxItems": 2}},
             "required": ["name", "age", "tags"], "additionalProperties": false}}""";

    private final ConstraintCompiler compiler = new ConstraintCompiler(ConstraintCompiler.Settings.DEFAULT);

    private ByteDfa dfa(Kind kind, String value) {
        return ByteDfa.of(compiler.language(new OutputConstraint(kind, value, List.of(), "f")), 20_000);
    }

    /** Every byte, JSON-ish pieces, random strings over the DFA's alphabet (shared prefixes, duplicates), UTF-8. */
    private static byte[][] vocabulary(long seed, int extra) {
        List<byte[]> list = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            list.add(new byte[] {(byte) b});
        }
        for (String s : List.of("{\"", "\":", "\", \"", "\"name\":", "\"age\": 1", "[{", "}]", "},{", "psalm",
                "\"law\"", "prophet\"]", "12", "120", "  ", "é", "日本", "\"\"", "psalm")) {
            list.add(s.getBytes(StandardCharsets.UTF_8));
        }
        list.add(null);
        list.add(new byte[0]);
        String alphabet = "{}[]\":, 0123456789nameagtsplwrohé";
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < extra; i++) {
            StringBuilder s = new StringBuilder();
            int n = 1 + random.nextInt(9);
            for (int k = 0; k < n; k++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            list.add(s.toString().getBytes(StandardCharsets.UTF_8));
        }
        return list.toArray(new byte[0][]);
    }

    /** The definition: (token, end state) for each token the DFA reads in full from {@code state}. */
    private static Set<Long> bruteForce(ByteDfa dfa, byte[][] tokens, int state) {
        Set<Long> out = new TreeSet<>();
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] == null || tokens[id].length == 0) {
                continue;
            }
            int q = state;
            for (byte b : tokens[id]) {
                q = dfa.step(q, b);
                if (q < 0) {
                    break;
                }
            }
            if (q >= 0) {
                out.add(((long) id << 32) | q);
            }
        }
        return out;
    }

    private static Set<Long> walked(TokenVocabulary v, ByteDfa dfa, int state) {
        Set<Long> out = new TreeSet<>();
        v.walk(dfa, state, (id, end) -> assertTrue(out.add(((long) id << 32) | end), "token " + id + " twice"));
        return out;
    }

    @Test
    void trieWalkFindsExactlyTheTokensTheDfaReadsInFull() {
        byte[][] tokens = vocabulary(1, 3000);
        TokenVocabulary v = new TokenVocabulary(tokens);
        for (ByteDfa dfa : List.of(dfa(Kind.JSON_SCHEMA, ITEMS), dfa(Kind.REGEX, "(ab|a[0-9]{2,4}é)+\"?"))) {
            int nonEmpty = 0;
            for (int s = 0; s < dfa.states; s++) {
                Set<Long> expected = bruteForce(dfa, tokens, s);
                assertEquals(expected, walked(v, dfa, s), "state " + s);
                nonEmpty += expected.isEmpty() ? 0 : 1;
            }
            assertTrue(nonEmpty > dfa.states / 2, "most states allow some token: the comparison is not vacuous");
        }
    }

    @Test
    void statesOfOneClassAllowTheSameTokens() {
        byte[][] tokens = vocabulary(2, 2000);
        TokenVocabulary v = new TokenVocabulary(tokens);
        ByteDfa dfa = dfa(Kind.JSON_SCHEMA, ITEMS);
        boolean[] good = new boolean[dfa.states];
        SplittableRandom random = new SplittableRandom(3);
        for (int s = 0; s < dfa.states; s++) {
            good[s] = random.nextInt(10) > 0; // a liveness marking that splits some classes
        }
        for (boolean[] marking : new boolean[][] {null, good}) {
            int[] classOf = dfa.boundedClasses(v.maxLength(), marking);
            List<Set<Long>> allowedOfClass = new ArrayList<>();
            int[] representative = new int[dfa.states];
            java.util.Arrays.fill(representative, -1);
            for (int s = 0; s < dfa.states; s++) {
                Set<Long> allowed = new TreeSet<>();
                for (long e : bruteForce(dfa, tokens, s)) {
                    if (marking == null || marking[(int) e]) {
                        allowed.add(e >>> 32); // the token, not its end state: classes share the ids only
                    }
                }
                allowed.add(dfa.accept[s] ? -1L : -2L); // the end token follows acceptance
                int c = classOf[s];
                if (representative[c] < 0) {
                    representative[c] = s;
                    while (allowedOfClass.size() <= c) {
                        allowedOfClass.add(null);
                    }
                    allowedOfClass.set(c, allowed);
                } else {
                    assertEquals(allowedOfClass.get(c), allowed, "states " + representative[c] + " and " + s);
                }
            }
            long classes = java.util.Arrays.stream(classOf).distinct().count();
            if (marking == null) {
                // The 12 items share their positions' sets, except where a token can see the array's end.
                assertTrue(classes * 3 < dfa.states, classes + " classes for " + dfa.states + " states");
            }
        }
    }

    @Test
    void withAHorizonAsLongAsTheDfaNoTwoStatesOfTheMinimalDfaShareAClass() {
        ByteDfa dfa = dfa(Kind.JSON_SCHEMA, ITEMS);
        int[] classOf = dfa.boundedClasses(dfa.states, null);
        assertEquals(dfa.states, java.util.Arrays.stream(classOf).distinct().count());
    }
}
