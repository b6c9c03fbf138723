package io.slmserve.engine;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.Pooling;
import io.slmserve.core.TopTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * One worker's predictor. Each call pads the rows into one [B, T] batch with an attention mask (and token
 * types for pairs), runs the TorchScript forward, and reduces the output on the engine side (pooling,
 * softmax, top-k) so only a small result crosses to the JVM. The archive returns token states; pooling is
 * done here, so one archive serves any pooling mode. Every NDArray of a call lives in a sub-manager closed
 * before returning.
 */
final class TorchEncoderSession implements EncoderSession {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final Pooling pooling;
    private final boolean decoder;
    private final CoreShare cores;

    /**
     * Must be called on the worker thread that will use it: libtorch thread settings are per thread.
     *
     * @param decoder the archive is a decoder's (text-embedding from a causal LM): token states come from its
     *                {@value #DECODER_STATES} method, which takes only input_ids. Causal attention lets right
     *                padding leave every real token's state unchanged, so no mask is needed.
     */
    TorchEncoderSession(ZooModel<NDList, NDList> model, int intraOpThreads, Pooling pooling, boolean decoder) {
        this(model, CoreShare.forWorker(intraOpThreads), intraOpThreads, pooling, decoder);
    }

    /** @param cores the thread rule of its calls ({@link CoreShare#fixed} for a load's warm-up) */
    TorchEncoderSession(ZooModel<NDList, NDList> model, CoreShare cores, int intraOpThreads, Pooling pooling,
            boolean decoder) {
        DjlRuntime.onSessionThread(intraOpThreads);
        this.cores = cores;
        this.model = model;
        this.predictor = model.newPredictor();
        this.pooling = pooling;
        this.decoder = decoder;
    }

    TorchEncoderSession(ZooModel<NDList, NDList> model, int intraOpThreads, Pooling pooling) {
        this(model, intraOpThreads, pooling, false);
    }

    /** The decoder archives' method returning the final hidden states [B, T, H] for input_ids [B, T]. */
    static final String DECODER_STATES = "hidden_all";

    @Override
    public float[][] embed(List<long[]> rows) {
        return run(rows, null, (states, mask) -> toMatrix(pool(states, mask, rows)));
    }

    private NDArray pool(NDArray states, NDArray mask, List<long[]> rows) {
        NDArray weights = mask.toType(DataType.FLOAT32, false).expandDims(2);
        return switch (pooling) {
            case MEAN -> states.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}));
            case CLS -> states.get(":, 0, :");
            // Padding must never win the maximum: padded positions are pushed far below any real value.
            case MAX -> states.add(weights.sub(1f).mul(1e30f)).max(new int[] {1});
            case LAST_TOKEN -> {
                long[] flat = new long[rows.size()];
                long width = states.getShape().get(1);
                for (int r = 0; r < flat.length; r++) {
                    flat[r] = r * width + rows.get(r).length - 1; // rows are right-padded
                }
                long hidden = states.getShape().get(2);
                yield states.reshape(-1, hidden).get(states.getManager().create(flat));
            }
        };
    }

    @Override
    public List<float[][]> tokenEmbeddings(List<long[]> rows) {
        return run(rows, null, (states, mask) -> {
            int width = (int) states.getShape().get(1);
            int hidden = (int) states.getShape().get(2);
            float[] flat = states.toFloatArray();
            List<float[][]> out = new ArrayList<>(rows.size());
            for (int r = 0; r < rows.size(); r++) {
                float[][] tokens = new float[rows.get(r).length][];
                for (int t = 0; t < tokens.length; t++) {
                    int from = (r * width + t) * hidden;
                    tokens[t] = Arrays.copyOfRange(flat, from, from + hidden);
                }
                out.add(tokens);
            }
            return out;
        });
    }

    @Override
    public float[][] classify(List<long[]> rows, List<long[]> typeIds) {
        return run(rows, typeIds, (logits, mask) -> toMatrix(logits));
    }

    @Override
    public List<TopTokens> fillMask(List<long[]> rows, int[] maskIndex, int topK) {
        return run(rows, null, (logits, mask) -> {
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
    private <T> T run(List<long[]> rows, List<long[]> typeIds, BiFunction<NDArray, NDArray, T> reduce) {
        int batch = rows.size();
        int width = 0;
        for (long[] row : rows) {
            width = Math.max(width, row.length);
        }
        long[] ids = new long[batch * width];
        long[] mask = new long[batch * width];
        long[] types = new long[batch * width];
        for (int r = 0; r < batch; r++) {
            long[] row = rows.get(r);
            System.arraycopy(row, 0, ids, r * width, row.length);
            Arrays.fill(mask, r * width, r * width + row.length, 1L);
            if (typeIds != null) {
                System.arraycopy(typeIds.get(r), 0, types, r * width, row.length);
            }
        }
        Shape shape = new Shape(batch, width);
        cores.enterEncoder((long) batch * width);
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray attention = scope.create(mask, shape);
            NDArray raw;
            if (decoder) {
                raw = decoderStates((PtNDManager) scope, scope.create(ids, shape));
            } else {
                raw = predictor.predict(new NDList(scope.create(ids, shape), attention, scope.create(types, shape)))
                        .get(0);
            }
            // Reduce in float32 whatever the weights' dtype: half-precision outputs are upcast once, here.
            return reduce.apply(raw.toType(DataType.FLOAT32, false), attention);
        } catch (TranslateException e) {
            throw new IllegalStateException("encoder forward failed: " + e.getMessage(), e);
        } finally {
            CoreShare.exit();
        }
    }

    private NDArray decoderStates(PtNDManager scope, NDArray ids) {
        try (IValue input = IValue.from((PtNDArray) ids);
                IValue out = IValueUtils.runMethod((PtSymbolBlock) model.getBlock(), DECODER_STATES, input)) {
            return out.toTensor(scope);
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
    public boolean widensAlone() {
        return cores.holdsWide();
    }

    @Override
    public void close() {
        predictor.close();
    }
}
