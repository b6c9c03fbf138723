package io.slmserve.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Java user would write with ONNX Runtime directly: tokenize (DJL HuggingFace tokenizer, batch encode),
 * pad to the longest text of the batch, run the original ONNX graph, mean-pool over the attention mask,
 * L2-normalise. Everything in {@link #embed} is inside the timed region.
 */
final class OrtEmbedder implements AutoCloseable {

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean wantsTokenTypes;
    final int intraOpThreads;

    OrtEmbedder(byte[] onnx, HuggingFaceTokenizer tokenizer, int intraOpThreads) throws OrtException {
        this.env = OrtEnvironment.getEnvironment();
        this.tokenizer = tokenizer;
        this.intraOpThreads = intraOpThreads;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(onnx, options);
        }
        this.wantsTokenTypes = session.getInputNames().contains("token_type_ids");
    }

    /** Embeds the texts as one batch; returns one unit-length 384-d vector per text. */
    float[][] embed(List<String> texts) throws OrtException {
        Encoding[] encodings = texts.size() == 1
                ? new Encoding[] {tokenizer.encode(texts.get(0))}
                : tokenizer.batchEncode(texts);
        int batch = encodings.length;
        int maxLen = 0;
        for (Encoding e : encodings) {
            maxLen = Math.max(maxLen, e.getIds().length);
        }
        long[] ids = new long[batch * maxLen];
        long[] mask = new long[batch * maxLen];
        for (int b = 0; b < batch; b++) {
            long[] rowIds = encodings[b].getIds();
            System.arraycopy(rowIds, 0, ids, b * maxLen, rowIds.length);
            for (int t = 0; t < rowIds.length; t++) {
                mask[b * maxLen + t] = 1;
            }
        }
        long[] shape = {batch, maxLen};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (wantsTokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * maxLen]), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                long[] hs = hidden.getInfo().getShape();
                int dim = (int) hs[2];
                FloatBuffer fb = hidden.getFloatBuffer();
                float[][] out = new float[batch][dim];
                for (int b = 0; b < batch; b++) {
                    float[] v = out[b];
                    int len = encodings[b].getIds().length;
                    for (int t = 0; t < len; t++) {
                        int base = (b * maxLen + t) * dim;
                        for (int d = 0; d < dim; d++) {
                            v[d] += fb.get(base + d);
                        }
                    }
                    normalise(v);
                }
                return out;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    /** Divides by the norm (mean pooling's 1/len cancels under normalisation). */
    static void normalise(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float inv = (float) (1.0 / Math.max(Math.sqrt(sum), 1e-12));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
