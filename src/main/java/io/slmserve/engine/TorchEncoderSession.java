package io.slmserve.engine;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.translate.TranslateException;
import io.slmserve.core.EncoderSession;
import java.util.List;

/**
 * One worker's predictor. Each call pads the rows into one [B, T] batch, runs the TorchScript forward and
 * mean-pools over real tokens on the engine side, so only the B x H result crosses to the JVM. Every
 * NDArray of the call lives in a sub-manager closed before returning.
 */
final class TorchEncoderSession implements EncoderSession {

    private final ai.djl.repository.zoo.ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;

    /** Must be called on the worker thread that will use it: libtorch thread settings are per thread. */
    TorchEncoderSession(ai.djl.repository.zoo.ZooModel<NDList, NDList> model, int intraOpThreads) {
        JniUtils.setNumThreads(intraOpThreads);
        this.model = model;
        this.predictor = model.newPredictor();
    }

    @Override
    public float[][] embed(List<long[]> rows) {
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
            java.util.Arrays.fill(mask, r * width, r * width + row.length, 1L);
        }
        Shape shape = new Shape(batch, width);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray inputIds = scope.create(ids, shape);
            NDArray attention = scope.create(mask, shape);
            NDArray tokenTypes = scope.zeros(shape, DataType.INT64);
            NDArray hidden = predictor.predict(new NDList(inputIds, attention, tokenTypes)).get(0);
            NDArray weights = attention.toType(hidden.getDataType(), false).expandDims(2);
            NDArray pooled = hidden.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}))
                    .toType(DataType.FLOAT32, false);
            int hiddenSize = (int) pooled.getShape().get(1);
            float[] flat = pooled.toFloatArray();
            float[][] out = new float[batch][hiddenSize];
            for (int r = 0; r < batch; r++) {
                System.arraycopy(flat, r * hiddenSize, out[r], 0, hiddenSize);
            }
            return out;
        } catch (TranslateException e) {
            throw new IllegalStateException("encoder forward failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        predictor.close();
    }
}
