package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.core.BosPolicy;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.hf.HfModelFolder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session turns TorchScript's graph executor optimizer off on its thread (slm.engine.graph-optimizer defaults to
 * false): the second call of a method then does not re-optimize the graph, which with the optimizer on costs
 * nano-llama-tools hundreds of milliseconds (docs/startup.md), and the logits stay those of the optimized graph.
 */
class GraphOptimizerOffTest {

    private static final Path DIR = Path.of("models/nano-llama-tools");

    @BeforeAll
    static void engine() {
        Engine.getEngine("PyTorch");
    }

    /**
     * DJL's predictor calls apply the {@value DjlRuntime#GRAPH_OPTIMIZER} property when it is set (DjlRuntime sets
     * it in this JVM once any test configured the runtime): "true" for the old behaviour, and unset for the new
     * one, so that only the session's own setting can turn the optimizer off.
     */
    @Test
    void theSecondCallSkipsTheOptimizationPassAndGivesTheSameLogits() throws Exception {
        String property = System.getProperty(DjlRuntime.GRAPH_OPTIMIZER);
        Run on;
        Run off;
        try {
            System.setProperty(DjlRuntime.GRAPH_OPTIMIZER, "true");
            on = onFreshThread(true);
            System.clearProperty(DjlRuntime.GRAPH_OPTIMIZER);
            off = onFreshThread(false);
        } finally {
            if (property == null) {
                System.clearProperty(DjlRuntime.GRAPH_OPTIMIZER);
            } else {
                System.setProperty(DjlRuntime.GRAPH_OPTIMIZER, property);
            }
        }
        assertTrue(off.secondCallNanos * 5 < on.secondCallNanos, "second call with the optimizer off "
                + off.secondCallNanos / 1e6 + " ms, on " + on.secondCallNanos / 1e6 + " ms");
        assertArrayEquals(on.logits, off.logits, 1e-4f);
    }

    private record Run(long secondCallNanos, float[] logits) {
    }

    /** A fresh load (its own graph executors), a session, then a prefill and a decode step on one thread. */
    private static Run onFreshThread(boolean optimizerAfterSessionOpens) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (ZooModel<NDList, NDList> model = TorchScriptLoader.load(DIR, "model.pt", "float32", Device.cpu())) {
            HfModelFolder folder = HfModelFolder.read(DIR);
            int vocab = folder.config().vocabSize();
            DecoderInfo info = new DecoderInfo(vocab, 2, 64, folder.eosTokenIds(), "", "", null, false, 64,
                    new BosPolicy(false, -1, null), folder.generationDefaults());
            Callable<Run> run = () -> {
                JniUtils.setGraphExecutorOptimize(true); // libtorch's default on a new thread
                try (DecoderSession session = new TorchCausalLm(model, 1, info).openSession()) {
                    if (optimizerAfterSessionOpens) {
                        JniUtils.setGraphExecutorOptimize(true); // what sessions did before
                    }
                    long[] prompt = {1, 5, 9, 13};
                    session.forward(List.of(new DecoderRow(0, 0, prompt)));
                    long start = System.nanoTime();
                    float[] logits = session.forward(List.of(new DecoderRow(0, prompt.length, new long[] {7})));
                    return new Run(System.nanoTime() - start, logits.clone());
                }
            };
            return thread.submit(run).get();
        } finally {
            thread.shutdown();
        }
    }
}
