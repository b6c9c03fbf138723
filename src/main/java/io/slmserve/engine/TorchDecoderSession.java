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
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.slmserve.core.DecoderSession;
import java.util.ArrayList;
import java.util.List;

/**
 * One worker's decoder: a predictor plus the two KV-cache tensors from the archive's
 * {@code new_cache_tensor(S, M)}, allocated once in the weights' dtype and passed by reference to every
 * forward, which updates them in place (docs/model-format-decoder.md). Each call's inputs and outputs live
 * in a sub-manager closed before it returns; only the [B, V] float32 logits are copied to the JVM, into
 * arrays reused by later calls ({@link LogitsBuffers}).
 * Needs the archive's {@code forward_mixed} for calls that hold both prompts and running rows.
 */
final class TorchDecoderSession implements DecoderSession {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final NDManager cacheScope;
    private final NDArray cacheK;
    private final NDArray cacheV;
    private final int slots;
    private final int maxLength;
    private final LogitsBuffers logitsOut;

    /** Must be called on the worker thread that will use it: libtorch thread settings are per thread. */
    TorchDecoderSession(ZooModel<NDList, NDList> model, int intraOpThreads, int slots, int maxLength) {
        JniUtils.setNumThreads(intraOpThreads);
        this.model = model;
        this.slots = slots;
        this.maxLength = maxLength;
        this.logitsOut = new LogitsBuffers(slots);
        this.cacheScope = model.getNDManager().newSubManager();
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        this.cacheK = newCache(block);
        this.cacheV = newCache(block);
        this.predictor = model.newPredictor();
    }

    private NDArray newCache(PtSymbolBlock block) {
        try (IValue s = IValue.from((long) slots); IValue m = IValue.from((long) maxLength);
             IValue cache = IValueUtils.runMethod(block, "new_cache_tensor", s, m)) {
            return CacheSlots.writable(cache.toTensor((PtNDManager) cacheScope));
        }
    }

    /**
     * Rows of one token (running sequences) and longer rows (prompts) in one list take one call: {@code
     * forward} when all rows are of one kind (padded to the widest), else {@code forward_mixed}, which runs
     * the one-token rows unpadded beside the prompts, so a new prompt does not stall the running rows.
     */
    @Override
    public float[] forward(List<DecoderRow> rows) {
        List<DecoderRow> steps = new ArrayList<>();
        List<DecoderRow> prompts = new ArrayList<>();
        for (DecoderRow row : rows) {
            (row.tokens().length == 1 ? steps : prompts).add(row);
        }
        CoreShare.enterFixed(); // an encoder call beside a decoder step stays on its own cores
        try (NDManager scope = cacheScope.newSubManager()) {
            if (steps.isEmpty() || prompts.isEmpty()) {
                NDList inputs = padded(scope, rows).addAll(new NDList(cacheK, cacheV));
                NDArray logits = predictor.predict(inputs).get(0);
                logits.attach(scope);
                return logitsOut.read(logits, rows.size());
            }
            NDList step = padded(scope, steps);
            NDList prompt = padded(scope, prompts);
            NDList args = new NDList(step.get(0), step.get(1), step.get(2), prompt.get(0), prompt.get(1),
                    prompt.get(2), prompt.get(3), cacheK, cacheV);
            return logitsOut.read(runMethod((PtNDManager) scope, "forward_mixed", args), rows.size(),
                    groupedRowOf(rows, steps.size()));
        } catch (TranslateException e) {
            throw new IllegalStateException("decoder forward failed: " + e.getMessage(), e);
        } finally {
            CoreShare.exit();
        }
    }

    /** ids and positions [B, W] (W the widest row), slots [B] and each row's last index [B]. */
    private NDList padded(NDManager scope, List<DecoderRow> rows) {
        int batch = rows.size();
        int width = 0;
        for (DecoderRow row : rows) {
            width = Math.max(width, row.tokens().length);
        }
        long[] ids = new long[batch * width];
        long[] positions = new long[batch * width];
        long[] slotIds = new long[batch];
        long[] last = new long[batch];
        for (int b = 0; b < batch; b++) {
            DecoderRow row = rows.get(b);
            checkRow(row, width);
            System.arraycopy(row.tokens(), 0, ids, b * width, row.tokens().length);
            // Pads continue the row's positions: they write past its end, where nothing real can see them.
            for (int t = 0; t < width; t++) {
                positions[b * width + t] = row.start() + t;
            }
            slotIds[b] = row.slot();
            last[b] = row.tokens().length - 1;
        }
        Shape shape = new Shape(batch, width);
        return new NDList(scope.create(ids, shape), scope.create(positions, shape), scope.create(slotIds),
                scope.create(last));
    }

    private NDArray runMethod(PtNDManager scope, String method, NDList args) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        IValue[] values = new IValue[args.size()];
        try {
            for (int i = 0; i < values.length; i++) {
                values[i] = IValue.from((PtNDArray) args.get(i));
            }
            try (IValue out = IValueUtils.runMethod(block, method, values)) {
                return out.toTensor(scope);
            }
        } finally {
            for (IValue v : values) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    /** forward_mixed answers the one-token rows first: where each caller's row is in its output. */
    private static int[] groupedRowOf(List<DecoderRow> rows, int stepRows) {
        int[] source = new int[rows.size()];
        int nextStep = 0;
        int nextPrompt = stepRows;
        for (int b = 0; b < rows.size(); b++) {
            source[b] = rows.get(b).tokens().length == 1 ? nextStep++ : nextPrompt++;
        }
        return source;
    }

    private void checkRow(DecoderRow row, int width) {
        if (row.slot() < 0 || row.slot() >= slots) {
            throw new IllegalArgumentException("slot " + row.slot() + " outside [0, " + slots + ")");
        }
        if (row.tokens().length == 0 || row.start() < 0 || row.start() + width > maxLength) {
            throw new IllegalArgumentException("row of " + row.tokens().length + " tokens at " + row.start()
                    + ", padded to " + width + ", does not fit the cache length " + maxLength);
        }
    }

    @Override
    public float[] logitsAll(long[] ids) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        try (PtNDManager scope = (PtNDManager) cacheScope.newSubManager();
             IValue input = IValue.from((PtNDArray) scope.create(ids, new Shape(1, ids.length)));
             IValue out = IValueUtils.runMethod(block, "logits_all", input)) {
            return out.toTensor(scope).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @Override
    public void copySlots(int[] from, int[] to) {
        CacheSlots.copy(cacheScope, slots, from, to, cacheK, cacheV);
    }

    @Override
    public void close() {
        predictor.close();
        cacheScope.close();
    }
}
