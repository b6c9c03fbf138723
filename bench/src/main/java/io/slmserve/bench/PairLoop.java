package io.slmserve.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The floor /rerank's throughput is compared with: a cross-encoder folder's model.pt through DJL with no server,
 * no queue and no HTTP. The pairs (one "query TAB passage" per line) are tokenized once with the folder's
 * tokenizer.json (pair template, passage cut to --max-tokens), then --workers threads, each with its own
 * predictor and --threads intra-op threads as the service's workers, run forward calls of --batch pairs padded
 * to their longest row (mask and token types as the engine builds them) for --seconds.
 *
 * <pre>
 * java -cp ... io.slmserve.bench.PairLoop --model-dir DIR --pairs FILE --batch 32 --workers 2 --threads 1 \
 *     --max-tokens 64 --seconds 20
 * </pre>
 * Prints one JSON line with pairs per second.
 */
public final class PairLoop {

    private PairLoop() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = DecodeLoop.Args.parse(args);
        Path dir = Path.of(DecodeLoop.Args.required(opt, "model-dir"));
        int batch = DecodeLoop.Args.integer(opt, "batch", 32);
        int workers = DecodeLoop.Args.integer(opt, "workers", 2);
        int threads = DecodeLoop.Args.integer(opt, "threads", 1);
        int maxTokens = DecodeLoop.Args.integer(opt, "max-tokens", 128);
        double seconds = Double.parseDouble(opt.getOrDefault("seconds", "20"));
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        List<long[]> ids = new ArrayList<>();
        List<long[]> types = new ArrayList<>();
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.builder().optTokenizerPath(dir.resolve("tokenizer.json"))
                .optAddSpecialTokens(true).optPadding(false).optTruncateSecondOnly().optMaxLength(maxTokens).build()) {
            for (String line : Files.readAllLines(Path.of(DecodeLoop.Args.required(opt, "pairs")))) {
                String[] qp = line.split("\t", 2);
                if (qp.length == 2) {
                    Encoding e = tok.encode(qp[0], qp[1]);
                    ids.add(e.getIds());
                    types.add(e.getTypeIds());
                }
            }
        }
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(dir).optModelName("model").optEngine("PyTorch")
                .optTranslator(new NoopTranslator()).build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
            try (IValue f32 = IValue.from("float32")) {
                IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), "cast", f32).close();
            }
            AtomicLong done = new AtomicLong();
            long start = System.nanoTime() + 3_000_000_000L; // 3 s warm-up, not counted
            long stop = start + (long) (seconds * 1e9);
            List<Thread> pool = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int first = w;
                Thread t = new Thread(() -> {
                    JniUtils.setNumThreads(threads);
                    try (Predictor<NDList, NDList> p = model.newPredictor()) {
                        for (int k = first; System.nanoTime() < stop; k += workers) {
                            int from = (k * batch) % ids.size();
                            int to = Math.min(ids.size(), from + batch);
                            forward(model, p, ids.subList(from, to), types.subList(from, to));
                            if (System.nanoTime() >= start) {
                                done.addAndGet(to - from);
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.start();
                pool.add(t);
            }
            for (Thread t : pool) {
                t.join();
            }
            System.out.printf("{\"bare_pairs_per_s\": %.1f, \"batch\": %d, \"workers\": %d, \"threads\": %d}%n",
                    done.get() / seconds, batch, workers, threads);
        }
    }

    private static void forward(ZooModel<NDList, NDList> model, Predictor<NDList, NDList> p, List<long[]> ids,
            List<long[]> types) throws Exception {
        int width = ids.stream().mapToInt(r -> r.length).max().orElse(1);
        int b = ids.size();
        long[] flat = new long[b * width];
        long[] mask = new long[b * width];
        long[] tt = new long[b * width];
        for (int r = 0; r < b; r++) {
            System.arraycopy(ids.get(r), 0, flat, r * width, ids.get(r).length);
            System.arraycopy(types.get(r), 0, tt, r * width, ids.get(r).length);
            Arrays.fill(mask, r * width, r * width + ids.get(r).length, 1L);
        }
        Shape shape = new Shape(b, width);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            p.predict(new NDList(scope.create(flat, shape), scope.create(mask, shape), scope.create(tt, shape)))
                    .get(0).toFloatArray();
        }
    }
}
