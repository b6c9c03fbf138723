package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.LlamaFolders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A decoder step that runs alone widens to the solo width and tells the archive (whose one-row products then
 * run as row blocks); a step beside another forward call keeps the configured thread. Both widths give the
 * same logits, through the real engine on a Llama folder from the current converter.
 */
class DecoderThreadsTest {

    private static Path root;

    @BeforeAll
    static void build() {
        root = LlamaFolders.build(List.of("llama-tiny"));
    }

    @AfterEach
    void restore() {
        CoreShare.configure(0);
        CoreShare.releaseWide();
    }

    @Test
    void aStepAloneWidensAndAStepBesideAnotherCallKeepsItsThread() throws Exception {
        CoreShare.configure(2);
        CoreShare.releaseWide(); // an earlier test's worker may hold the process's one wide slot
        ModelSpec spec = new ModelSpec("llama-tiny", root.resolve("llama-tiny"), ModelTask.TEXT_GENERATION, 4,
                Duration.ZERO, 4096, 8, 1, 1, 96, Map.of(), 128);
        try (LoadedModel model = new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec);
             TorchDecoderSession session = (TorchDecoderSession) model.decoder().openSession()) {
            long[] prompt = model.tokenizer().encode("In the beginning God created the heaven", false).ids();
            int vocab = model.decoder().info().vocabularySize();

            float[] alone = session.forward(List.of(new DecoderRow(0, 0, prompt))).clone();
            float[] aloneStep = session.forward(List.of(new DecoderRow(0, prompt.length, new long[] {7}))).clone();
            assertEquals(2, session.threads(), "alone: the solo width");
            assertEquals(2, JniUtils.getNumThreads());

            CoreShare.enterFixed(); // another model's call is running
            float[] beside;
            float[] besideStep;
            try {
                beside = session.forward(List.of(new DecoderRow(1, 0, prompt))).clone();
                besideStep = session.forward(List.of(new DecoderRow(1, prompt.length, new long[] {7}))).clone();
                assertEquals(1, session.threads(), "beside another call: the configured thread");
                assertEquals(1, JniUtils.getNumThreads());
            } finally {
                CoreShare.exit();
            }
            for (int v = 0; v < vocab; v++) {
                assertEquals(alone[v], beside[v], 1e-4, "prompt logit " + v);
                assertEquals(aloneStep[v], besideStep[v], 1e-4, "one-row step logit " + v);
            }
            session.forward(List.of(new DecoderRow(0, prompt.length + 1, new long[] {8})));
            assertEquals(2, session.threads(), "alone again");
        }
    }
}
