package io.slmserve.bench;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The floor the service's single-stream generation is compared with: the bare TorchScript forward loop of a
 * served decoder folder through DJL, with no server, no queue, no sampler and no detokenizer. Per sequence:
 * one prefill of the prompt, then greedy decode steps of one token with the KV cache (batch 1), argmax taken
 * in libtorch so only one long crosses to the JVM per step. Same archive, same cache shape ({@code
 * new_cache_tensor(slots, max_total_tokens)}), same inputs and intra-op threads as the service's worker.
 *
 * <pre>
 * java -cp ... io.slmserve.bench.DecodeLoop --model-dir DIR --prompts FILE --tokens 64 --threads 1 \
 *     --slots 16 --max-total 512 --seconds 20 [--batch B] [--copy-logits] [--no-pack] [--no-tied-head]
 *     [--no-fp16] [--no-huge-pages] [--graph-optimizer] [--profile trace.json]
 * </pre>
 * Prints one JSON line: tokens/s, ms per token (prefill included, as a client sees it), CPU ms per token
 * (the process's CPU time: steadier than wall time on a shared machine), median prefill and decode-step
 * times. {@code --copy-logits} copies the [1, V] logits to the JVM and takes the argmax there
 * instead, as the service does, to show what that costs. {@code --batch B} runs B sequences in lockstep (one
 * prefill call, then decode calls of B rows): the engine's own batching gain, without the service. {@code --no-pack}
 * keeps the archive's plain weights (the service's {@code slm.engine.pack-cpu-weights=false}); {@code --no-tied-head}
 * leaves a tied LM head on the embedding's plain weight ({@code slm.engine.pack-tied-head=false}); {@code --no-fp16}
 * leaves layers holding fp16 values unpacked for FBGEMM ({@code slm.engine.fp16-weight-gemm=false}); {@code
 * --no-huge-pages} leaves the memory on 4 KiB pages ({@code slm.engine.huge-pages=false}); {@code
 * --graph-optimizer} turns TorchScript's graph executor optimizer on (libtorch's default; the service's is off).
 */
public final class DecodeLoop {

    private final Predictor<NDList, NDList> predictor;
    private final NDManager scope;
    private final NDArray cacheK;
    private final NDArray cacheV;
    private final boolean copyLogits;
    final List<Double> prefillMs = new ArrayList<>();
    final List<Double> stepMs = new ArrayList<>();

    DecodeLoop(ZooModel<NDList, NDList> model, int slots, int maxTotal, boolean copyLogits) {
        this.scope = model.getNDManager().newSubManager();
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        this.cacheK = newCache(block, slots, maxTotal);
        this.cacheV = newCache(block, slots, maxTotal);
        this.predictor = model.newPredictor();
        this.copyLogits = copyLogits;
    }

    private NDArray newCache(PtSymbolBlock block, int slots, int maxTotal) {
        try (IValue s = IValue.from((long) slots); IValue m = IValue.from((long) maxTotal);
             IValue cache = IValueUtils.runMethod(block, "new_cache_tensor", s, m)) {
            return cache.toTensor((PtNDManager) scope);
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = Args.parse(args);
        Path dir = Path.of(Args.required(opt, "model-dir"));
        int tokens = Args.integer(opt, "tokens", 64);
        int threads = Args.integer(opt, "threads", 1);
        int slots = Args.integer(opt, "slots", 16);
        int maxTotal = Args.integer(opt, "max-total", 512);
        double seconds = Double.parseDouble(opt.getOrDefault("seconds", "20"));
        boolean copy = opt.containsKey("copy-logits");
        int batch = Args.integer(opt, "batch", 1);

        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        List<long[]> ids = BenchArchive.prompts(dir, Path.of(Args.required(opt, "prompts")));
        try (ZooModel<NDList, NDList> model = BenchArchive.load(dir, threads, opt)) {
            DecodeLoop loop = new DecodeLoop(model, slots, maxTotal, copy);
            long warmEnd = System.nanoTime() + 3_000_000_000L;
            for (int k = 0; k < 2 || System.nanoTime() < warmEnd; k++) {
                loop.generate(batchOf(ids, k, batch), tokens);
            }
            if (opt.containsKey("profile")) {
                // libtorch's own profiler over one generation (chrome trace JSON): where the step's time goes
                JniUtils.startProfile(false, true, false);
                loop.generate(batchOf(ids, 0, batch), tokens);
                JniUtils.stopProfile(opt.get("profile"));
            }
            loop.prefillMs.clear();
            loop.stepMs.clear();
            int sequences = 0;
            long generated = 0;
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            while (sequences < 2 || System.nanoTime() < end) {
                generated += loop.generate(batchOf(ids, sequences, batch), tokens);
                sequences += batch;
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            double promptMean = ids.stream().mapToInt(a -> a.length).average().orElse(0);
            System.out.println(String.format(Locale.ROOT, "{\"mode\": \"%s\", \"batch\": %d, \"threads\": %d, "
                    + "\"sequences\": %d, \"tokens\": %d, \"seconds\": %.2f, \"tokens_per_s\": %.1f, "
                    + "\"ms_per_token\": %.2f, \"cpu_ms_per_token\": %.2f, \"prefill_ms_p50\": %.2f, "
                    + "\"decode_step_ms_p50\": %.2f, \"prompt_tokens_mean\": %.1f}",
                    copy ? "copy-logits" : "argmax-in-torch", batch, threads, sequences, generated, wall,
                    generated / wall, wall * 1000 / generated, cpu * 1000 / generated, median(loop.prefillMs),
                    median(loop.stepMs), promptMean));
        }
        System.exit(0);
    }

    /**
     * {@code rows} greedy sequences in lockstep in slots 0..rows-1: one prefill call (right-padded, pads at
     * positions past each row's end, as the service pads), then tokens - 1 decode calls of one token per row;
     * returns the tokens generated.
     */
    int generate(List<long[]> prompts, int tokens) {
        int rows = prompts.size();
        int width = prompts.stream().mapToInt(p -> p.length).max().orElse(1);
        long[] ids = new long[rows * width];
        long[] positions = new long[rows * width];
        long[] last = new long[rows];
        long[] start = new long[rows];
        for (int b = 0; b < rows; b++) {
            long[] p = prompts.get(b);
            System.arraycopy(p, 0, ids, b * width, p.length);
            for (int t = 0; t < width; t++) {
                positions[b * width + t] = t;
            }
            last[b] = p.length - 1;
            start[b] = p.length;
        }
        long t = System.nanoTime();
        long[] next = forward(ids, positions, rows, width, last);
        prefillMs.add((System.nanoTime() - t) / 1e6);
        long[] zeros = new long[rows];
        for (int i = 1; i < tokens; i++) {
            long[] pos = new long[rows];
            for (int b = 0; b < rows; b++) {
                pos[b] = start[b]++;
            }
            t = System.nanoTime();
            next = forward(next, pos, rows, 1, zeros);
            stepMs.add((System.nanoTime() - t) / 1e6);
        }
        return tokens * rows;
    }

    private long[] forward(long[] ids, long[] positions, int rows, int width, long[] last) {
        long[] slots = new long[rows];
        for (int b = 0; b < rows; b++) {
            slots[b] = b;
        }
        try (NDManager step = scope.newSubManager()) {
            Shape shape = new Shape(rows, width);
            NDList inputs = new NDList(step.create(ids, shape), step.create(positions, shape),
                    step.create(slots), step.create(last), cacheK, cacheV);
            NDArray logits = predictor.predict(inputs).get(0);
            logits.attach(step);
            if (!copyLogits) {
                return logits.argMax(1).toLongArray();
            }
            float[] all = logits.toType(DataType.FLOAT32, false).toFloatArray();
            int vocab = all.length / rows;
            long[] out = new long[rows];
            for (int b = 0; b < rows; b++) {
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (all[b * vocab + v] > all[b * vocab + best]) {
                        best = v;
                    }
                }
                out[b] = best;
            }
            return out;
        } catch (ai.djl.translate.TranslateException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The prompts of sequences k .. k + rows - 1, cycling through the list. */
    static List<long[]> batchOf(List<long[]> ids, int k, int rows) {
        List<long[]> out = new ArrayList<>(rows);
        for (int b = 0; b < rows; b++) {
            out.add(ids.get((k + b) % ids.size()));
        }
        return out;
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    /** --key value options; a key without a value (or followed by another key) is a flag. */
    static final class Args {

        private Args() {
        }

        static Map<String, String> parse(String[] args) {
            Map<String, String> out = new java.util.HashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument " + args[i]);
                }
                String key = args[i].substring(2);
                boolean flag = i + 1 == args.length || args[i + 1].startsWith("--");
                out.put(key, flag ? "true" : args[++i]);
            }
            return out;
        }

        static String required(Map<String, String> opt, String key) {
            String v = opt.get(key);
            if (v == null) {
                throw new IllegalArgumentException("--" + key + " is required");
            }
            return v;
        }

        static int integer(Map<String, String> opt, String key, int fallback) {
            return opt.containsKey(key) ? Integer.parseInt(opt.get(key)) : fallback;
        }
    }
}
