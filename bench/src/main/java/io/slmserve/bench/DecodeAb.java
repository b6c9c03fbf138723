package io.slmserve.bench;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two decoder archives (or one archive loaded twice with different packing) in one process, generating in
 * alternation: A, B, A, B, ... one greedy sequence each, so that both see the same machine at nearly the same
 * moments. On these shared 2-core machines the bare decode step of one build moves 10-20% between runs minutes
 * apart (memory bandwidth moves with the host), which hides a 3-5% change; alternating sequences a few seconds
 * long does not.
 *
 * <pre>
 * java -cp ... io.slmserve.bench.DecodeAb --model-dir A_DIR [--b-model-dir B_DIR] [--b-options no-tied-head,no-pack]
 *     [--a-options ...] --prompts FILE --tokens 64 --threads 2 --rounds 12 [--batch 16]
 * </pre>
 * Prints one JSON line per side (median decode step, median prefill, every round's median step) and the median of
 * the per-round ratios B / A.
 */
public final class DecodeAb {

    private DecodeAb() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = DecodeLoop.Args.parse(args);
        Path dirA = Path.of(DecodeLoop.Args.required(opt, "model-dir"));
        Path dirB = Path.of(opt.getOrDefault("b-model-dir", dirA.toString()));
        int tokens = DecodeLoop.Args.integer(opt, "tokens", 64);
        int threads = DecodeLoop.Args.integer(opt, "threads", 2);
        int rounds = DecodeLoop.Args.integer(opt, "rounds", 12);
        int batch = DecodeLoop.Args.integer(opt, "batch", 1); // sequences decoded in lockstep
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        List<long[]> ids = BenchArchive.prompts(dirA, Path.of(DecodeLoop.Args.required(opt, "prompts")));
        try (ZooModel<NDList, NDList> a = BenchArchive.load(dirA, threads, flags(opt.get("a-options")));
             ZooModel<NDList, NDList> b = BenchArchive.load(dirB, threads, flags(opt.get("b-options")))) {
            DecodeLoop loopA = new DecodeLoop(a, batch, 512, false);
            DecodeLoop loopB = new DecodeLoop(b, batch, 512, false);
            for (int k = 0; k < 3; k++) { // warm-up
                loopA.generate(DecodeLoop.batchOf(ids, k, batch), tokens);
                loopB.generate(DecodeLoop.batchOf(ids, k, batch), tokens);
            }
            List<Double> roundA = new ArrayList<>();
            List<Double> roundB = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                // the side that goes first alternates too
                DecodeLoop first = r % 2 == 0 ? loopA : loopB;
                DecodeLoop second = r % 2 == 0 ? loopB : loopA;
                first.stepMs.clear();
                second.stepMs.clear();
                first.generate(DecodeLoop.batchOf(ids, r, batch), tokens);
                second.generate(DecodeLoop.batchOf(ids, r, batch), tokens);
                double ma = DecodeLoop.median(loopA.stepMs);
                double mb = DecodeLoop.median(loopB.stepMs);
                roundA.add(ma);
                roundB.add(mb);
                ratios.add(mb / ma);
            }
            print("A", dirA, opt.get("a-options"), roundA, loopA);
            print("B", dirB, opt.get("b-options"), roundB, loopB);
            System.out.println(String.format(Locale.ROOT, "{\"b_over_a_step_median_of_rounds\": %.3f, "
                    + "\"rounds_b_faster\": %d, \"rounds\": %d}", DecodeLoop.median(ratios),
                    ratios.stream().filter(x -> x < 1.0).count(), rounds));
        }
        System.exit(0);
    }

    private static Map<String, String> flags(String list) {
        Map<String, String> out = new HashMap<>();
        if (list != null) {
            for (String f : list.split(",")) {
                if (!f.isBlank()) {
                    out.put(f.strip(), "true");
                }
            }
        }
        return out;
    }

    private static void print(String side, Path dir, String options, List<Double> rounds, DecodeLoop loop) {
        StringBuilder each = new StringBuilder();
        for (double x : rounds) {
            each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", x));
        }
        System.out.println(String.format(Locale.ROOT, "{\"side\": \"%s\", \"model_dir\": \"%s\", \"options\": \"%s\", "
                + "\"decode_step_ms_median_of_rounds\": %.2f, \"prefill_ms_p50\": %.2f, \"round_step_ms\": [%s]}",
                side, dir.getFileName(), options == null ? "" : options, DecodeLoop.median(rounds),
                DecodeLoop.median(loop.prefillMs), each));
    }
}
