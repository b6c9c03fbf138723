package io.slmserve.engine;

import io.slmserve.testing.T5Folder;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;

/**
 * The session checks of {@link Seq2SeqSessionChecks} on T5, unchanged Java: relative position bias from each
 * row's decoder positions, unscaled attention, RMS norms. Random weights written at test time by the converter.
 */
class T5SessionTest {

    /** T5 v1.1 / Flan-T5 layout: gated-GELU feed-forward, untied lm_head. */
    @Nested
    class V11 extends Seq2SeqSessionChecks {
        @Override
        Path folder() throws Exception {
            return T5Folder.tinyRandom("v1.1");
        }
    }

    /** T5 v1.0 layout: ReLU feed-forward, head tied to the embeddings and scaled by d_model^-0.5. */
    @Nested
    class V10 extends Seq2SeqSessionChecks {
        @Override
        Path folder() throws Exception {
            return T5Folder.tinyRandom("v1.0");
        }
    }
}
