package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.ZooModel;
import io.slmserve.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fused decode kernels (src/main/native/slm_kernels.cpp) under DJL's libtorch against the formulas written out
 * in models/tools/slmtorch/kernels.py: models/tools/kernel_cases.py stores inputs and the outputs those formulas
 * give under torch 1.13, and the archive's forward returns each C++ result's largest difference from them,
 * relative to the result's largest magnitude. Cases: RMSNorm (and Gemma's 1 + w), SiLU and tanh-GELU gates
 * (including inputs at the exponential's clamped ends), row scaling of narrowed, transposed, all-zero and 3-d
 * rows, and decode attention with full, partial and no rotary over GQA heads, three rows at other slots and
 * positions (the output and both caches after the write) and 16 rows at positions 60-127 (their heads split among
 * the threads), and the int8 product (int8_gemm.h) on a partial tile of outputs, a K padded to 32, transposed and
 * narrowed rows, a residual, 70 rows with a zero row (split among the threads), and each prologue: RMSNorm (w and
 * 1 + w), GPT-2's LayerNorm (weight and bias), SiLU and GELU gates, and the plain GELU; the bf16/fp16 product
 * (half_gemm.h) on the same shapes and prologues, including 70 rows with and without a prologue. A float64 input
 * and an int8 or bf16 weight of the wrong K are refused with the kernels' messages.
 */
class KernelOpsTest {

    @Test
    void eachFusedOpMatchesItsWrittenOutFormula() throws Exception {
        Path dir = Files.createTempDirectory("slm-kernel-cases-");
        Processes.python("models/tools/kernel_cases.py", dir.toString());
        // two threads on this one (OpenMP's count is per thread; an earlier test may have left one), so the cases
        // meant for the threads take the split path
        Engine.getEngine("PyTorch");
        DjlRuntime.setIntraOpThreads(2);
        List<String> cases = Files.readAllLines(dir.resolve("cases.txt"));
        try (ZooModel<NDList, NDList> model = TorchScriptLoader.load(dir, "model.pt", "float32", Device.cpu());
             NDManager manager = model.getNDManager().newSubManager();
             IValue result = IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "forward")) {
            float[] errors = result.toTensor((PtNDManager) manager).toFloatArray();
            assertEquals(cases.size(), errors.length, "one error per case");
            for (int i = 0; i < errors.length; i++) {
                System.out.printf("%-32s relative error %.2e%n", cases.get(i), errors[i]);
                assertTrue(errors[i] < 2e-6f, cases.get(i) + ": relative error " + errors[i]);
            }
            // a wrong input is an op error naming the fault (libtorch's c10::Error), and the kernels keep working
            EngineException e = assertThrows(EngineException.class,
                    () -> IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "wrong_dtype").close());
            assertTrue(e.getMessage().contains("slm::rms_norm: x must be a float32 CPU tensor"), e.getMessage());
            EngineException layout = assertThrows(EngineException.class,
                    () -> IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "wrong_layout").close());
            assertTrue(layout.getMessage().contains("slm::int8_linear: weight must be [ceil(N / 4), ceil(K / 32), 4, 32]"),
                    layout.getMessage());
            EngineException half = assertThrows(EngineException.class,
                    () -> IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "wrong_half_layout").close());
            assertTrue(half.getMessage()
                    .contains("slm::half_linear: weight must be [ceil(n / 4), ceil(K / 16), 4, 16]"), half.getMessage());
            try (IValue again = IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "forward")) {
                assertEquals(errors.length, again.toTensor((PtNDManager) manager).toFloatArray().length);
            }
        }
    }
}
