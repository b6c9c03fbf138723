package io.slmserve.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs a Hugging Face snapshot (safetensors + config.json + tokenizer.json) through Jlama on given token ids,
 * with the calls Jlama's own {@code generate} makes (batchForward of the prompt, then one forward per token,
 * greedy sampling), and prints one JSON object on stdout. Token ids go in directly, so no tokenizer can make
 * the two engines see different inputs.
 *
 * <pre>
 * check SNAPSHOT IDS STEPS
 *     {"vocab": V, "logits": [first-step logits, V floats], "tokens": [STEPS greedy tokens]}
 * states SNAPSHOT IDS[;IDS...]
 *     {"states": [sequence][position][hidden]}: an encoder's (bert) last hidden states, one forward pass per
 *     sequence (Jlama's BERT is not Hugging Face's: see models/tools/jlama_bert_reference.py)
 * bench SNAPSHOT IDS TOKENS SECONDS STREAMS WEIGHTS(F32|BF16|Q4) THREADS
 *     generates TOKENS greedy tokens per sequence, sequences back to back for SECONDS (after one warm-up
 *     sequence), in rounds of STREAMS sequences one after another (see JlamaBench); prints ms per decoded
 *     token, prefill ms and aggregate tokens/s
 * </pre>
 * IDS: comma-separated token ids. Needs Java 21+ with {@code --add-modules jdk.incubator.vector}.
 */
public final class JlamaRun {

    private JlamaRun() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: check SNAPSHOT IDS STEPS | states SNAPSHOT IDS[;IDS] | bench SNAPSHOT IDS TOKENS SECONDS STREAMS WEIGHTS THREADS");
        }
        int[] ids = args[0].equals("states") ? null  // states parses its own sequences
                : Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        File snapshot = new File(args[1]);
        if (args[0].equals("check")) {
            try (AbstractModel model = load(snapshot, "F32", Optional.empty())) {
                System.out.println(check(model, ids, Integer.parseInt(args[3])));
            }
        } else if (args[0].equals("states")) {
            try (AbstractModel model = ModelSupport.loadModel(AbstractModel.InferenceType.FORWARD_PASS, snapshot, null,
                    DType.F32, DType.F32, Optional.empty(), Optional.empty(), Optional.empty(),
                    SafeTensorSupport::loadWeights)) {
                System.out.println(states(model, args[2]));
            }
        } else if (args[0].equals("bench")) {
            try (AbstractModel model = load(snapshot, args[6], Optional.of(Integer.parseInt(args[7])))) {
                System.out.println(JlamaBench.run(model, ids, Integer.parseInt(args[3]), Double.parseDouble(args[4]),
                        Integer.parseInt(args[5]), args[6]));
            }
        } else {
            throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.exit(0);  // Jlama's worker pools are not daemon threads
    }

    /**
     * fp32 weights as stored (F32), or quantized by Jlama at load: BF16 (F32 activations), Q4 (Jlama's 4-bit
     * blocks of 32 with a float scale, F32 activations: with I8 activations 0.8.4 fails on weights it left F32).
     * Jlama 0.8.4 has no kernel for 8-bit weights (its GEMMs take F32, BF16 or Q4 weights), so there is no Q8
     * row. threads: Jlama's worker count (default: half the processors, at least 2).
     */
    static AbstractModel load(File snapshot, String weights, Optional<Integer> threads) {
        return switch (weights) {
            case "F32" -> ModelSupport.loadModel(snapshot, null, DType.F32, DType.F32, Optional.empty(), threads);
            case "BF16" -> ModelSupport.loadModel(snapshot, null, DType.F32, DType.F32, Optional.of(DType.BF16),
                    threads);
            case "Q4" -> ModelSupport.loadModel(snapshot, null, DType.F32, DType.F32, Optional.of(DType.Q4), threads);
            default -> throw new IllegalArgumentException("weights F32, BF16 or Q4, not " + weights);
        };
    }

    /** The hidden state of every position after the last layer, per sequence (BertModel has no output head). */
    static String states(AbstractModel model, String sequences) {
        int width = model.getConfig().embeddingLength;
        StringBuilder json = new StringBuilder("{\"states\": [");
        String[] seqs = sequences.split(";");
        for (int s = 0; s < seqs.length; s++) {
            int[] ids = Arrays.stream(seqs[s].split(",")).mapToInt(Integer::parseInt).toArray();
            json.append(s == 0 ? "[" : ", [");
            try (KvBufferCache cache = new KvBufferCache(model);
                 KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
                 AbstractTensor out = model.batchForward(ids, 0, kv)) {
                for (int t = 0; t < ids.length; t++) {
                    json.append(t == 0 ? "[" : ", [");
                    for (int j = 0; j < width; j++) {
                        json.append(j == 0 ? "" : ", ").append(out.get(t, j));
                    }
                    json.append(']');
                }
            }
            json.append(']');
        }
        return json.append("]}").toString();
    }

    static String check(AbstractModel model, int[] prompt, int steps) {
        int vocab = model.getConfig().vocabularySize;
        float[] first = new float[vocab];
        List<Integer> tokens = new ArrayList<>();
        try (KvBufferCache cache = new KvBufferCache(model);
             KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
             AbstractTensor logits = model.makeDenseTensor(vocab)) {
            AbstractTensor last = model.batchForward(prompt, 0, kv);
            int next = model.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            last.close();
            for (int v = 0; v < vocab; v++) {
                first[v] = logits.get(0, v);
            }
            tokens.add(next);
            for (int pos = prompt.length; tokens.size() < steps; pos++) {
                AbstractTensor out = model.forward(next, pos, kv, Optional.empty());
                next = model.sample(out, 0f, 0f, logits);
                out.close();
                kv.incrementContextPosition();
                tokens.add(next);
            }
        }
        StringBuilder json = new StringBuilder("{\"vocab\": ").append(vocab).append(", \"logits\": [");
        for (int v = 0; v < vocab; v++) {
            json.append(v == 0 ? "" : ", ").append(first[v]);
        }
        json.append("], \"tokens\": ").append(tokens).append('}');
        return json.toString();
    }
}
