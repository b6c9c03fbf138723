package io.slmserve.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.GenerationParams;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Filters and penalties of the sampler, on hand-made logits. */
class SamplerTest {

    private static final int V = FakeDecoder.VOCAB;

    private static Sequence sequence(GenerationParams params, long... prompt) {
        GenerationParams resolved = params.toBuilder().maxNewTokens(params.maxNewTokens() == null ? 10
                : params.maxNewTokens()).seed(params.seed() == null ? 7L : params.seed()).build();
        return new Sequence(new GenerationRequest(prompt, resolved, new FakeDecoder.Recorder()),
                FakeDecoder.info(1, 64), new FakeDecoder.Bytes(), s -> { });
    }

    private static float[] logits(float... head) {
        float[] out = new float[V];
        java.util.Arrays.fill(out, -10f);
        System.arraycopy(head, 0, out, 0, head.length);
        return out;
    }

    private static Set<Integer> draws(GenerationParams params, float[] logits, int n) {
        Sampler sampler = new Sampler(V);
        Sequence seq = sequence(params, 100);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(sampler.choose(seq, logits, 0));
        }
        return seen;
    }

    @Test
    void greedyTakesTheArgmax() {
        assertEquals(Set.of(2), draws(GenerationParams.builder().build(), logits(1, 2, 3, 0), 5));
    }

    @Test
    void topKAndTopPAndMinPNarrowTheCandidates() {
        float[] l = logits(3, 2.9f, 2.8f, 0, 0);
        GenerationParams base = GenerationParams.builder().sample(true).build();
        assertEquals(Set.of(0, 1, 2), draws(base.toBuilder().topK(3).build(), l, 300));
        assertEquals(Set.of(0), draws(base.toBuilder().topK(1).build(), l, 50));
        assertEquals(Set.of(0), draws(base.toBuilder().topP(0.05).build(), l, 50));
        assertEquals(Set.of(0, 1, 2), draws(base.toBuilder().minP(0.5).build(), l, 300));
        assertTrue(draws(base.toBuilder().typicalP(0.5).build(), l, 300).size() <= 3);
        assertTrue(draws(base, l, 3000).size() > 3, "without filters the tail is reachable");
    }

    @Test
    void lowTemperatureApproachesGreedy() {
        float[] l = logits(3, 2.5f, 2f);
        assertEquals(Set.of(0), draws(GenerationParams.builder().sample(true).temperature(0.01).build(), l, 100));
    }

    @Test
    void penaltiesPushAwayFromSeenTokens() {
        float[] l = logits(2, 1.9f);
        Sampler sampler = new Sampler(V);
        Sequence repeated = sequence(GenerationParams.builder().repetitionPenalty(1.5).build(), 0);
        assertEquals(1, sampler.choose(repeated, l, 0), "token 0 is in the prompt, so it is penalised");
        Sequence presence = sequence(GenerationParams.builder().presencePenalty(1.0).build(), 5);
        assertEquals(0, sampler.choose(presence, l, 0));
        presence.accept(0, Double.NaN, null, java.util.List.of());
        assertEquals(1, sampler.choose(presence, l, 0), "presence penalty applies to generated tokens");
    }

    @Test
    void sameSeedSameDraws() {
        float[] l = logits(1, 1, 1, 1, 1, 1, 1, 1);
        GenerationParams p = GenerationParams.builder().sample(true).seed(3L).build();
        Sampler sampler = new Sampler(V);
        Sequence a = sequence(p, 1);
        Sequence b = sequence(p, 1);
        for (int i = 0; i < 50; i++) {
            assertEquals(sampler.choose(a, l, 0), sampler.choose(b, l, 0));
        }
    }
}
