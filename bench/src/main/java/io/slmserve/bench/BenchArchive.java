package io.slmserve.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** A decoder folder loaded for the bare loops (DecodeLoop, DecodeAb) as the service's loader and worker set it up. */
final class BenchArchive {

    private BenchArchive() {
    }

    private static boolean kernelsLoaded;

    /**
     * The service's fused decode kernels (src/main/native; engine/KernelLibrary in the service), which archives of
     * the current converter call: from -Dslm.kernels, else from the service build beside this jar
     * (target/classes/native of the project root).
     */
    static synchronized void loadKernels() throws Exception {
        if (kernelsLoaded) {
            return;
        }
        ai.djl.engine.Engine.getEngine("PyTorch"); // the library binds to the loaded libtorch
        String given = System.getProperty("slm.kernels");
        Path file = given != null ? Path.of(given) : Path.of(BenchArchive.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI()).getParent().resolve("../../target/classes/native/libslm_kernels.so");
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IllegalStateException("no fused kernels at " + file + ": build the service first (./mvnw"
                    + " package) or pass -Dslm.kernels=PATH");
        }
        System.load(file.toAbsolutePath().normalize().toString());
        kernelsLoaded = true;
    }

    /**
     * Loads the archive in dir as the service's worker runs it: intra-op threads, row blocks, (unless --no-pack /
     * --no-tied-head in opt) oneDNN's layout for the linear layers and a tied LM head's own packed copy, and (unless
     * --no-huge-pages) the process's dense memory on huge pages, as the service's slm.engine.huge-pages does;
     * --no-kernels: the TorchScript forms instead of the fused decode ops (the archive's set_kernels).
     */
    static ZooModel<NDList, NDList> load(Path dir, int threads, Map<String, String> opt) throws Exception {
        loadKernels();
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(dir).optModelName("model").optEngine("PyTorch")
                .optTranslator(new NoopTranslator()).build();
        ZooModel<NDList, NDList> model = criteria.loadModel();
        JniUtils.setNumThreads(threads); // per thread in libtorch, as in the service's worker
        // as the service's sessions run (slm.engine.graph-optimizer=false, DjlRuntime): with libtorch's default the
        // profiling executor keeps re-analysing the step's graph (alias analysis, dead code, fuser checks: about 10%
        // of a SmolLM2 step's samples under perf)
        JniUtils.setGraphExecutorOptimize(opt.containsKey("graph-optimizer"));
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        List<String> methods = Arrays.asList(JniUtils.getMethodNames(block));
        if (methods.contains("set_kernels") && opt.containsKey("no-kernels")) {
            // the TorchScript forms instead of the fused decode ops, for side-by-side runs
            try (IValue off = IValue.from(false);
                 IValue none = IValueUtils.runMethod(block, "set_kernels", off)) {
                assert !none.isTensor();
            }
        }
        if (methods.contains("set_intra_op_threads")) {
            // as the service's TorchDecoderSession does: one-row products in row blocks only with threads > 1
            try (IValue t = IValue.from((long) threads);
                 IValue none = IValueUtils.runMethod(block, "set_intra_op_threads", t)) {
                assert !none.isTensor(); // the method returns nothing
            }
        }
        String dtype = servingDtype(dir);
        if (methods.contains("cast")) {
            // as the service's loader does: weights in option.dtype (an --fp16-weights archive stores fp16)
            try (IValue d = IValue.from(dtype); IValue none = IValueUtils.runMethod(block, "cast", d)) {
                assert !none.isTensor();
            }
        }
        if ("float32".equals(dtype) && !opt.containsKey("no-fp16") && methods.contains("pack_fp16_weights")) {
            // slm.engine.fp16-weight-gemm: layers holding fp16 values on FBGEMM's fp16-weight GEMM
            try (IValue n = IValueUtils.runMethod(block, "pack_fp16_weights")) {
                System.err.println(dir.getFileName() + ": pack_fp16_weights " + n.toLong() + " layers");
            }
        }
        if (!opt.containsKey("no-pack") && methods.contains("pack_cpu_weights")) {
            // as the service's loader does (slm.engine.pack-cpu-weights): fp32 layers in oneDNN's layout
            try (IValue n = IValueUtils.runMethod(block, "pack_cpu_weights")) {
                System.err.println(dir.getFileName() + ": pack_cpu_weights " + n.toLong() + " layers");
            }
            if (!opt.containsKey("no-tied-head") && methods.contains("pack_tied_head")) {
                // slm.engine.pack-tied-head: a tied LM head's own packed copy
                try (IValue n = IValueUtils.runMethod(block, "pack_tied_head")) {
                    System.err.println(dir.getFileName() + ": pack_tied_head " + n.toLong());
                }
            }
        }
        if (!opt.containsKey("no-huge-pages")) {
            // as the service's loader does (slm.engine.huge-pages): the process's dense memory onto huge pages
            System.err.println(dir.getFileName() + ": " + (HugePages.collapseDense() >> 20)
                    + " MiB of the process collapsed onto huge pages");
        }
        return model;
    }

    /** option.dtype of the folder's serving.properties (float32 when absent), the dtype the service casts to. */
    static String servingDtype(Path dir) throws java.io.IOException {
        Path props = dir.resolve("serving.properties");
        if (Files.isRegularFile(props)) {
            for (String line : Files.readAllLines(props)) {
                if (line.startsWith("option.dtype=")) {
                    return line.substring("option.dtype=".length()).strip();
                }
            }
        }
        return "float32";
    }

    /** Token ids of the non-blank lines of the prompts file, as the archive's tokenizer encodes them. */
    static List<long[]> prompts(Path dir, Path file) throws Exception {
        List<long[]> ids = new ArrayList<>();
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "true"))) {
            for (String p : Files.readAllLines(file)) {
                if (!p.isBlank()) {
                    ids.add(tokenizer.encode(p).getIds());
                }
            }
        }
        return ids;
    }

}
