package io.slmserve.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.util.Map;

/**
 * The independent reference: ONNX Runtime running the original all-MiniLM-L6-v2 ONNX file (from the
 * langchain4j artifact, test scope) on token ids, mean-pooled and L2-normalised as sentence-transformers does.
 */
public final class OnnxMiniLmOracle implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxMiniLmOracle() throws Exception {
        byte[] model;
        try (InputStream in = OnnxMiniLmOracle.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            if (in == null) {
                throw new IllegalStateException("all-minilm-l6-v2.onnx is not on the test classpath");
            }
            model = in.readAllBytes();
        }
        session = env.createSession(model, new OrtSession.SessionOptions());
    }

    /** Embeds one unpadded token sequence. */
    public float[] embed(long[] ids) throws Exception {
        long[][] input = {ids};
        long[][] mask = {filled(ids.length, 1)};
        long[][] types = {new long[ids.length]};
        try (OnnxTensor tIds = OnnxTensor.createTensor(env, input);
                OnnxTensor tMask = OnnxTensor.createTensor(env, mask);
                OnnxTensor tTypes = OnnxTensor.createTensor(env, types);
                OrtSession.Result result = session.run(Map.of("input_ids", tIds, "attention_mask", tMask,
                        "token_type_ids", tTypes))) {
            float[][][] hidden = (float[][][]) result.get(0).getValue();
            int width = hidden[0][0].length;
            float[] pooled = new float[width];
            for (float[] token : hidden[0]) {
                for (int i = 0; i < width; i++) {
                    pooled[i] += token[i] / ids.length;
                }
            }
            return Vectors.normalized(pooled);
        }
    }

    private static long[] filled(int n, long value) {
        long[] out = new long[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    @Override
    public void close() throws Exception {
        session.close();
    }
}
