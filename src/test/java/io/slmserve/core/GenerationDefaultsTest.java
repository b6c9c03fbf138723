package io.slmserve.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.GenerationDefaults.Field;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A model's generation_config.json fills exactly the fields a request left unset. */
class GenerationDefaultsTest {

    /** Llama-3.2-1B-Instruct's generation_config.json, plus a top_k and a penalty. */
    private static final GenerationDefaults LLAMA = new GenerationDefaults(true, 0.6, 0.9, 40, null, 1.1, 256);
    private static final GenerationParams OPENAI_DEFAULT = GenerationParams.builder().sample(true).temperature(1.0)
            .build();

    @Test
    void unsetFieldsTakeTheModelsValues() {
        GenerationParams p = LLAMA.applyTo(OPENAI_DEFAULT, EnumSet.of(Field.SAMPLING, Field.TOP_P, Field.TOP_K,
                Field.REPETITION_PENALTY));
        assertTrue(p.sample());
        assertEquals(0.6, p.temperature());
        assertEquals(0.9, p.topP());
        assertEquals(40, p.topK());
        assertEquals(1.1, p.repetitionPenalty());
        assertEquals(0.0, p.minP(), "the model sets no min_p");
    }

    @Test
    void explicitValuesWin() {
        GenerationParams request = GenerationParams.builder().sample(true).temperature(1.3).topP(0.5).topK(3)
                .repetitionPenalty(1.0).build();
        assertEquals(request, LLAMA.applyTo(request, Set.of()));
        GenerationParams greedy = GenerationParams.builder().sample(false).temperature(0).build();
        assertEquals(greedy, LLAMA.applyTo(greedy, EnumSet.of(Field.TOP_P)).toBuilder().topP(1.0).build(),
                "temperature 0 asked for stays greedy");
        assertFalse(LLAMA.applyTo(greedy, EnumSet.of(Field.TOP_P)).sample());
    }

    @Test
    void doSampleFalseMakesAnOpenChoiceGreedy() {
        GenerationDefaults greedyModel = new GenerationDefaults(false, 0.7, null, null, null, null, null);
        assertFalse(greedyModel.applyTo(OPENAI_DEFAULT, EnumSet.of(Field.SAMPLING)).sample());
        // Without do_sample (absent from the file) the temperature applies, as vLLM reads it.
        GenerationDefaults temperatureOnly = new GenerationDefaults(null, 0.7, null, null, null, null, null);
        GenerationParams p = temperatureOnly.applyTo(OPENAI_DEFAULT, EnumSet.of(Field.SAMPLING));
        assertTrue(p.sample());
        assertEquals(0.7, p.temperature());
        GenerationDefaults zero = new GenerationDefaults(null, 0.0, null, null, null, null, null);
        assertFalse(zero.applyTo(OPENAI_DEFAULT, EnumSet.of(Field.SAMPLING)).sample());
    }

    @Test
    void tgiGreedyStaysGreedyAndASampledRequestTakesTheTemperature() {
        GenerationParams tgiGreedy = GenerationParams.builder().sample(false).build();
        GenerationParams p = LLAMA.applyTo(tgiGreedy, EnumSet.of(Field.TOP_P, Field.TOP_K));
        assertFalse(p.sample(), "do_sample true in the model does not turn /generate into sampling");
        GenerationParams tgiSampled = GenerationParams.builder().sample(true).build();
        assertEquals(0.6, LLAMA.applyTo(tgiSampled, EnumSet.of(Field.TEMPERATURE)).temperature());
        assertEquals(1.0, LLAMA.applyTo(tgiSampled, Set.of()).temperature());
    }

    @Test
    void beamSearchKeepsItsDeterministicPenaltyFreeSettings() {
        GenerationParams beams = GenerationParams.builder().numBeams(3).build();
        GenerationParams p = LLAMA.applyTo(beams, EnumSet.of(Field.SAMPLING, Field.REPETITION_PENALTY));
        assertFalse(p.sample());
        assertEquals(1.0, p.repetitionPenalty());
    }

    @Test
    void noDefaultsLeaveTheRequestAlone() {
        assertSame(OPENAI_DEFAULT, GenerationDefaults.NONE.applyTo(OPENAI_DEFAULT, EnumSet.allOf(Field.class)));
        assertTrue(GenerationDefaults.NONE.isEmpty());
        assertFalse(LLAMA.isEmpty());
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertEquals("temperature must be >= 0", assertThrows(IllegalArgumentException.class,
                () -> new GenerationDefaults(null, -1.0, null, null, null, null, null)).getMessage());
        assertEquals("top_k must be >= 0", assertThrows(IllegalArgumentException.class,
                () -> new GenerationDefaults(null, null, null, -5, null, null, null)).getMessage());
        assertEquals("repetition_penalty must be > 0", assertThrows(IllegalArgumentException.class,
                () -> new GenerationDefaults(null, null, null, null, null, 0.0, null)).getMessage());
    }
}
