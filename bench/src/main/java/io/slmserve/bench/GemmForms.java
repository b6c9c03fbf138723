package io.slmserve.bench;

import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Times the linear layers of one GPT-2-small decode step under libtorch 2.7.1 (the archive written by
 * bench/generation/gemm_forms.py) per GEMM form, weight dtype and row count: what each form costs against the
 * weight-read floor, without the rest of the graph.
 *
 * <pre>
 * java -cp ... io.slmserve.bench.GemmForms --model-dir DIR --threads 2 --cases float32:wx:1,float32:mv:1 \
 *     [--passes 10] [--repeats 5] [--head-only]
 * </pre>
 * Prints one JSON line per case: median ms per pass (a pass = every weight once), bytes, implied GB/s.
 */
public final class GemmForms {

    private GemmForms() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = DecodeLoop.Args.parse(args);
        int threads = DecodeLoop.Args.integer(opt, "threads", 1);
        int passes = DecodeLoop.Args.integer(opt, "passes", 10);
        int repeats = DecodeLoop.Args.integer(opt, "repeats", 5);
        boolean headOnly = opt.containsKey("head-only");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(Path.of(DecodeLoop.Args.required(opt, "model-dir"))).optModelName("model")
                .optEngine("PyTorch").optTranslator(new NoopTranslator()).build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
            JniUtils.setNumThreads(threads);
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            String loaded = "";
            long bytes = 0;
            for (String c : DecodeLoop.Args.required(opt, "cases").split(",")) {
                String[] p = c.split(":");
                String dtype = p[0];
                String form = p[1];
                int rows = Integer.parseInt(p[2]);
                if (!dtype.equals(loaded)) {
                    try (IValue d = IValue.from(dtype); IValue h = IValue.from(headOnly);
                         IValue r = IValueUtils.runMethod(block, "setup", d, h)) {
                        bytes = r.toLong();
                    }
                    loaded = dtype;
                }
                run(block, form, rows, 2); // warm-up
                double[] ms = new double[repeats];
                for (int i = 0; i < repeats; i++) {
                    long t = System.nanoTime();
                    run(block, form, rows, passes);
                    ms[i] = (System.nanoTime() - t) / 1e6 / passes;
                }
                Arrays.sort(ms);
                double med = ms[repeats / 2];
                System.out.println(String.format(Locale.ROOT, "{\"dtype\": \"%s\", \"form\": \"%s\", \"rows\": %d, "
                        + "\"threads\": %d, \"ms_per_pass_p50\": %.2f, \"ms_min\": %.2f, \"ms_max\": %.2f, "
                        + "\"weight_mb\": %.1f, \"gb_per_s\": %.1f}", dtype, form, rows, threads, med, ms[0],
                        ms[repeats - 1], bytes / 1e6, bytes / med / 1e6));
            }
        }
        System.exit(0);
    }

    private static void run(PtSymbolBlock block, String form, int rows, int n) {
        try (IValue f = IValue.from(form); IValue r = IValue.from((long) rows); IValue k = IValue.from((long) n);
             IValue out = IValueUtils.runMethod(block, "run", f, r, k)) {
            out.toDouble();
        }
    }
}
