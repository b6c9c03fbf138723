package io.slmserve.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import io.slmserve.core.ModelLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Loads one TorchScript archive with DJL and casts its weights to the serving dtype through the archive's
 * exported {@code cast(dtype)} method (checkpoints may store matrices in half precision to halve their size).
 */
final class TorchScriptLoader {

    private static final Logger LOG = Logger.getLogger(TorchScriptLoader.class);
    private TorchScriptLoader() {
    }

    /**
     * Reads the archive and casts it, on a short-lived thread ({@link ShortLivedThread}): a cast from fp16 runs
     * parallel copies, which must not leave an OpenMP pool on the loader thread.
     *
     * @param dtype  canonical dtype name (see {@link DevicePlacement#dtype})
     * @param device where the weights and every input of this model live
     */
    static ZooModel<NDList, NDList> load(Path dir, String fileName, String dtype, Device device)
            throws ModelLoadException {
        KernelLibrary.ensureLoaded();
        return ShortLivedThread.call("slm-load-archive", () -> {
            Criteria<NDList, NDList> criteria = Criteria.builder()
                    .setTypes(NDList.class, NDList.class)
                    .optModelPath(dir)
                    .optModelName(fileName.replaceFirst("\\.pt$", ""))
                    .optEngine("PyTorch")
                    .optDevice(device)
                    .optTranslator(new NoopTranslator())
                    .build();
            ZooModel<NDList, NDList> model = criteria.loadModel();
            try {
                cast(model, dtype);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            return model;
        });
    }

    static void cast(ZooModel<NDList, NDList> model, String dtype) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        try (IValue arg = IValue.from(dtype)) {
            IValue result = IValueUtils.runMethod(block, "cast", arg);
            result.close();
            LOG.debugf("%s: weights cast to %s", model.getName(), dtype);
        } catch (RuntimeException e) {
            if (!"float32".equals(dtype)) {
                throw new IllegalStateException("the archive has no usable cast(dtype) method, so it cannot run in "
                        + dtype + ": " + e.getMessage(), e);
            }
            LOG.debugf("%s: no cast method; serving weights as stored", model.getName());
        }
    }

    /** The archives' method (encoders; decoders with --fp16-weights) that packs layers for FBGEMM's fp16 GEMM. */
    static final String PACK_FP16_WEIGHTS = "pack_fp16_weights";

    /**
     * Packs the archive's linear layers for FBGEMM's fp16-weight GEMM (fp32 activations and accumulation), which
     * the archive does only where lossless: float32 weights whose values are all fp16 values, as in archives that
     * store their matrices in fp16. On CPU in float32 only; archives without the method are left as they are.
     *
     * @return linear layers packed
     */
    static int packFp16Weights(ZooModel<NDList, NDList> model, String dtype, Device device) {
        return packOnCpuInFloat32(model, dtype, device, PACK_FP16_WEIGHTS);
    }

    /** The decoder archives' method that moves their float32 layers and LM head into 16-bit tiles. */
    static final String PACK_HALF_WEIGHTS = "pack_half_weights";

    /**
     * For bf16 or fp16 on the CPU: the archive (cast to float32) moves its linear layers and LM head into
     * slm::half_linear's 16-bit tiles, so it reads half the weight bytes and computes in float32
     * (models/tools/slmtorch/halflinear.py).
     *
     * @return layers packed, the head included; 0 when the archive has no such method or nothing applies
     */
    static int packHalfWeights(ZooModel<NDList, NDList> model, String dtype) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        if (!Arrays.asList(JniUtils.getMethodNames(block)).contains(PACK_HALF_WEIGHTS)) {
            return 0;
        }
        try (IValue arg = IValue.from(dtype); IValue packed = IValueUtils.runMethod(block, PACK_HALF_WEIGHTS, arg)) {
            return (int) packed.toLong();
        }
    }

    /** The decoder archives' method that moves their float32 linear layers into oneDNN's layout. */
    static final String PACK_CPU_WEIGHTS = "pack_cpu_weights";

    /**
     * Moves the archive's float32 linear layers into oneDNN's blocked layout (models/tools/slmtorch/onednn.py): on
     * the serving AVX2 cores oneDNN runs a few-row product faster than MKL's sgemm, whose Intel kernels AMD cores
     * do not get. After cast; on CPU in float32 only (the archive checks each weight too); archives without the
     * method are left as they are.
     *
     * @return linear layers packed
     */
    static int packCpuWeights(ZooModel<NDList, NDList> model, String dtype, Device device) {
        return packOnCpuInFloat32(model, dtype, device, PACK_CPU_WEIGHTS);
    }

    /** The decoder archives' method that gives a tied LM head its own copy in oneDNN's layout. */
    static final String PACK_TIED_HEAD = "pack_tied_head";

    /**
     * After {@link #packCpuWeights}: an LM head that shares the token embedding's weight gets its own copy of it in
     * oneDNN's layout (the lookup keeps the plain table), so that the head's one-row product reads at the packed
     * layers' rate. Archives without the method, untied heads and unpacked models are left as they are.
     *
     * @return 1 when the head reads a packed copy
     */
    static int packTiedHead(ZooModel<NDList, NDList> model, String dtype, Device device) {
        return packOnCpuInFloat32(model, dtype, device, PACK_TIED_HEAD);
    }

    /** The archives' switch between the fused CPU decode ops (src/main/native) and their TorchScript forms. */
    static final String SET_KERNELS = "set_kernels";

    /**
     * Switches the archive's one-token steps to the fused decode ops or back to its TorchScript forms.
     *
     * @return whether the archive has the switch (archives from older converters have no fused ops)
     */
    static boolean setKernels(ZooModel<NDList, NDList> model, boolean on) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        if (!Arrays.asList(JniUtils.getMethodNames(block)).contains(SET_KERNELS)) {
            return false;
        }
        try (IValue arg = IValue.from(on); IValue none = IValueUtils.runMethod(block, SET_KERNELS, arg)) {
            return true;
        }
    }

    /** Runs the archive's packing method (returning the layers packed) on CPU in float32; 0 elsewhere or without it. */
    private static int packOnCpuInFloat32(ZooModel<NDList, NDList> model, String dtype, Device device, String method) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        if (!"float32".equals(dtype) || device.isGpu()
                || !Arrays.asList(JniUtils.getMethodNames(block)).contains(method)) {
            return 0;
        }
        try (IValue packed = IValueUtils.runMethod(block, method)) {
            return (int) packed.toLong();
        }
    }

    /** A clear load failure naming the first required file the folder lacks. */
    static void requireFiles(Path dir, String... names) throws ModelLoadException {
        for (String name : names) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                throw new ModelLoadException("missing " + name + " in " + dir);
            }
        }
    }

    /** A clear load failure naming the first exported method the archive lacks, and what to run about it. */
    static void requireMethods(ZooModel<NDList, NDList> model, String remedy, String... names)
            throws ModelLoadException {
        List<String> have = Arrays.asList(JniUtils.getMethodNames((PtSymbolBlock) model.getBlock()));
        for (String name : names) {
            if (!have.contains(name)) {
                throw new ModelLoadException("model.pt has no method " + name + " (" + remedy + ")");
            }
        }
    }

    /** Releases what a load opened, tokenizer first; either may be null (a load that failed half way). */
    static void release(ZooModel<NDList, NDList> model, HfTextTokenizer tokenizer) {
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
