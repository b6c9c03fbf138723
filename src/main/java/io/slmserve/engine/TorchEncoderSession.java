package io.slmserve.engine;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.TopTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * One worker's predictor. Each call pads the rows into one [B, T] batch with an attention mask, runs the
 * TorchScript forward, and reduces the output on the engine side (pooling, softmax, top-k) so only a small
 * result crosses to the JVM. Every NDArray of a call lives in a sub-manager closed before returning.
 */
final class TorchEncoderSession implements EncoderSession {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;

    /** Must be called on the worker thread that will use it: libtorch thread settings are per thread. */
    TorchEncoderSession(ZooModel<NDList, NDList> model, int intraOpThreads) {
        JniUtils.setNumThreads(intraOpThreads);
        this.model = model;
        this.predictor = model.newPredictor();
    }

    @Override
    public float[][] embed(List<long[]> rows) {
        return run(rows, (output, mask) -> {
            NDArray weights = mask.toType(DataType.FLOAT32, false).expandDims(2);
            NDArray pooled = output.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}));
            return toMatrix(pooled);
        });
    }

    @Override
    public float[][] classify(List<long[]> rows) {
        return run(rows, (logits, mask) -> toMatrix(logits));
    }

    @Override
    public List<TopTokens> fillMask(List<long[]> rows, int[] maskIndex, int topK) {
        return run(rows, (logits, mask) -> {
            long width = logits.getShape().get(1);
            long vocab = logits.getShape().get(2);
            long[] flat = new long[rows.size()];
            for (int r = 0; r < flat.length; r++) {
                flat[r] = r * width + maskIndex[r];
            }
            NDArray atMask = logits.reshape(-1, vocab).get(logits.getManager().create(flat)).softmax(-1);
            NDList best = atMask.topK(topK, -1, true, true);
            float[] probs = best.get(0).toFloatArray();
            long[] ids = best.get(1).toType(DataType.INT64, false).toLongArray();
            List<TopTokens> out = new ArrayList<>(rows.size());
            for (int r = 0; r < rows.size(); r++) {
                out.add(new TopTokens(Arrays.copyOfRange(ids, r * topK, (r + 1) * topK),
                        Arrays.copyOfRange(probs, r * topK, (r + 1) * topK)));
            }
            return out;
        });
    }

    /** Pads, runs the forward and hands its first output and the mask to {@code reduce}, inside one scope. */
    private <T> T run(List<long[]> rows, BiFunction<NDArray, NDArray, T> reduce) {
        int batch = rows.size();
        int width = 0;
        for (long[] row : rows) {
            width = Math.max(width, row.length);
        }
        long[] ids = new long[batch * width];
        long[] mask = new long[batch * width];
        for (int r = 0; r < batch; r++) {
            long[] row = rows.get(r);
            System.arraycopy(row, 0, ids, r * width, row.length);
            Arrays.fill(mask, r * width, r * width + row.length, 1L);
        }
        Shape shape = new Shape(batch, width);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray attention = scope.create(mask, shape);
            NDList inputs = new NDList(scope.create(ids, shape), attention, scope.zeros(shape, DataType.INT64));
            // Reduce in float32 whatever the weights' dtype: half-precision outputs are upcast once, here.
            NDArray output = predictor.predict(inputs).get(0).toType(DataType.FLOAT32, false);
            return reduce.apply(output, attention);
        } catch (TranslateException e) {
            throw new IllegalStateException("encoder forward failed: " + e.getMessage(), e);
        }
    }

    private static float[][] toMatrix(NDArray matrix) {
        int rows = (int) matrix.getShape().get(0);
        int cols = (int) matrix.getShape().get(1);
        float[] flat = matrix.toFloatArray();
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    @Override
    public void close() {
        predictor.close();
    }
}
