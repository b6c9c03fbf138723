package io.slmserve.bench;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What one small graph op costs under libtorch 2.7.1 through DJL, as a served archive runs it (TorchScript
 * interpreter, inference mode, graph executor optimizer off): each method of bench/generation/op_costs.py's archive
 * loops one op {@code --loops} times on a [1, 1, 576] row; the figure is the best of {@code --tries} calls divided
 * by the loop count, in microseconds, for {@code --repeats} passes over the ops.
 *
 * <pre>
 * /usr/bin/python3 bench/generation/op_costs.py bench/target/op-costs
 * java -cp ... io.slmserve.bench.OpCosts --model-dir bench/target/op-costs --threads 2
 * </pre>
 */
public final class OpCosts {

    private OpCosts() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = DecodeLoop.Args.parse(args);
        Path dir = Path.of(DecodeLoop.Args.required(opt, "model-dir"));
        int threads = DecodeLoop.Args.integer(opt, "threads", 2);
        int loops = DecodeLoop.Args.integer(opt, "loops", 2000);
        int tries = DecodeLoop.Args.integer(opt, "tries", 5);
        int repeats = DecodeLoop.Args.integer(opt, "repeats", 3);
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        BenchArchive.loadKernels(); // the int8 layer's slm::int8_linear
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(dir).optModelName("op_costs").optEngine("PyTorch")
                .optTranslator(new NoopTranslator()).build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
            JniUtils.setNumThreads(threads);
            JniUtils.setGraphExecutorOptimize(false);
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            float[] row = new float[576];
            for (int i = 0; i < row.length; i++) {
                row[i] = 0.5f + (i % 7) * 0.1f;
            }
            PtNDArray x = (PtNDArray) model.getNDManager().create(row, new Shape(1, 1, 576));
            String[] names;
            try (IValue n = IValueUtils.runMethod(block, "names")) {
                names = n.toStringValue().split(" ");
            }
            for (int pass = 0; pass < repeats; pass++) {
                StringBuilder json = new StringBuilder("{\"threads\": " + threads + ", \"us_per_op\": {");
                for (int i = 0; i < names.length; i++) {
                    json.append(String.format(Locale.ROOT, "%s\"%s\": %.2f", i == 0 ? "" : ", ", names[i],
                            best(block, names[i], x, loops, tries)));
                }
                System.out.println(json.append("}}"));
            }
        }
    }

    private static double best(PtSymbolBlock block, String method, PtNDArray x, int loops, int tries) {
        double best = Double.MAX_VALUE;
        for (int t = 0; t < tries; t++) {
            try (IValue xi = IValue.from(x); IValue n = IValue.from((long) loops)) {
                long start = System.nanoTime();
                try (IValue ignored = IValueUtils.runMethod(block, method, xi, n)) {
                    best = Math.min(best, (System.nanoTime() - start) / 1e3 / loops);
                }
            }
        }
        return best;
    }
}
