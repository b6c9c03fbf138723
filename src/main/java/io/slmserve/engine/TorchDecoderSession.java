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
import io.slmserve.core.DecoderSession;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.LoraTargets;
import java.util.ArrayList;
import java.util.List;

/**
 * One worker's decoder: a predictor plus the two KV-cache tensors from the archive's
 * {@code new_cache_tensor(S, M)}, allocated once in the weights' dtype and passed by reference to every
 * forward, which updates them in place (docs/model-format-decoder.md). Each call's inputs and outputs live
 * in a sub-manager closed before it returns; only the [B, V] float32 logits are copied to the JVM, into
 * arrays reused by later calls ({@link LogitsBuffers}).
 * Needs the archive's {@code forward_mixed} for calls that hold both prompts and running rows. A call in which
 * any row has a LoRA adapter goes to {@code forward_lora} / {@code forward_mixed_lora} with each row's slot in the
 * {@link LoraStacks}; base-only calls keep the plain methods, so adapters cost base traffic nothing.
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
    /** Null when the archive takes no adapters. */
    private final LoraStacks lora;
    /** A step that runs alone in the process widens to the idle cores, as an encoder call does. */
    private final DecoderThreads threads;

    /** Must be called on the worker thread that will use it: libtorch thread settings are per thread. */
    TorchDecoderSession(ZooModel<NDList, NDList> model, int intraOpThreads, int slots, int maxLength) {
        this(model, intraOpThreads, slots, maxLength, null, 0);
    }

    /** With {@code loraTargets} non-null, rows may carry adapters; {@code loraSlots} adapters stay resident. */
    TorchDecoderSession(ZooModel<NDList, NDList> model, int intraOpThreads, int slots, int maxLength,
                        LoraTargets loraTargets, int loraSlots) {
        DjlRuntime.onSessionThread(intraOpThreads);
        this.model = model;
        this.slots = slots;
        this.maxLength = maxLength;
        this.logitsOut = new LogitsBuffers(slots);
        this.cacheScope = model.getNDManager().newSubManager();
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        this.threads = new DecoderThreads(block, intraOpThreads);
        this.cacheK = newCache(block);
        this.cacheV = newCache(block);
        this.predictor = model.newPredictor();
        this.lora = loraTargets == null ? null : new LoraStacks(loraTargets, cacheScope, cacheK.getDataType(),
                loraSlots);
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
        threads.enter();
        List<LoraAdapter> adapters = rows.stream().map(DecoderRow::adapter).toList();
        if (adapters.stream().anyMatch(a -> a != null)) {
            try {
                return forwardLora(rows, steps, prompts, adapters);
            } finally {
                CoreShare.exit();
            }
        }
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

    /** The intra-op threads of the last call (tests). */
    int threads() {
        return threads.current();
    }

    /** The LoRA methods: the plain ones' arguments, then each row's adapter slot, then the weight stacks. */
    private float[] forwardLora(List<DecoderRow> rows, List<DecoderRow> steps, List<DecoderRow> prompts,
                                List<LoraAdapter> adapters) {
        if (lora == null) {
            throw new IllegalArgumentException("this model.pt has no LoRA methods (forward_lora): re-export the model "
                    + "with models/tools/convert.py to serve adapters");
        }
        PtNDArray[] stacks = lora.prepare(adapters);
        try (PtNDManager scope = (PtNDManager) cacheScope.newSubManager()) {
            if (steps.isEmpty() || prompts.isEmpty()) {
                NDList args = padded(scope, rows).addAll(new NDList(cacheK, cacheV, adapterSlots(scope, rows)));
                return logitsOut.read(runMethod(scope, "forward_lora", args, stacks), rows.size());
            }
            NDList step = padded(scope, steps);
            NDList prompt = padded(scope, prompts);
            NDList args = new NDList(step.get(0), step.get(1), step.get(2), prompt.get(0), prompt.get(1),
                    prompt.get(2), prompt.get(3), cacheK, cacheV, adapterSlots(scope, steps),
                    adapterSlots(scope, prompts));
            return logitsOut.read(runMethod(scope, "forward_mixed_lora", args, stacks), rows.size(),
                    groupedRowOf(rows, steps.size()));
        }
    }

    private NDArray adapterSlots(NDManager scope, List<DecoderRow> rows) {
        long[] out = new long[rows.size()];
        for (int b = 0; b < out.length; b++) {
            out[b] = lora.slotOf(rows.get(b).adapter());
        }
        return scope.create(out);
    }

    /** How many times this session built its LoRA stacks (tests). */
    long loraRebuilds() {
        return lora == null ? 0 : lora.rebuilds();
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
            // Pads continue the row's positions: they write past its end, where nothing real can see them. A row
            // that starts late (a prefix-cache hit) beside a long prompt would pad past the cache: those pads all
            // go to its last position, still past the row's end (checkRow) and so still invisible.
            for (int t = 0; t < width; t++) {
                positions[b * width + t] = Math.min(row.start() + t, maxLength - 1);
            }
            slotIds[b] = row.slot();
            last[b] = row.tokens().length - 1;
        }
        Shape shape = new Shape(batch, width);
        return new NDList(scope.create(ids, shape), scope.create(positions, shape), scope.create(slotIds),
                scope.create(last));
    }

    private NDArray runMethod(PtNDManager scope, String method, NDList args) {
        return runMethod(scope, method, args, null);
    }

    /** Runs a method on tensor arguments, plus one trailing List[Tensor] argument when {@code list} is given. */
    private NDArray runMethod(PtNDManager scope, String method, NDList args, PtNDArray[] list) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        IValue[] values = new IValue[args.size() + (list == null ? 0 : 1)];
        try {
            for (int i = 0; i < args.size(); i++) {
                values[i] = IValue.from((PtNDArray) args.get(i));
            }
            if (list != null) {
                values[args.size()] = IValue.listFrom(list);
            }
            try (IValue out = IValueUtils.runMethod(block, method, values)) {
                return out.isTuple() ? firstOf(out, scope) : out.toTensor(scope);
            }
        } finally {
            for (IValue v : values) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    private static NDArray firstOf(IValue tuple, PtNDManager scope) {
        IValue[] parts = tuple.toIValueTuple();
        try {
            return parts[0].toTensor(scope);
        } finally {
            for (IValue part : parts) {
                part.close();
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
        int end = row.start() + row.tokens().length;
        if (row.tokens().length == 0 || row.start() < 0 || end > maxLength
                || (row.tokens().length < width && end >= maxLength)) {
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
    public float[] logitsAll(long[] ids, LoraAdapter adapter) {
        if (adapter == null) {
            return logitsAll(ids);
        }
        if (lora == null) {
            throw new IllegalArgumentException("this model.pt has no LoRA methods");
        }
        PtNDArray[] stacks = lora.prepare(List.of(adapter));
        try (PtNDManager scope = (PtNDManager) cacheScope.newSubManager()) {
            NDList args = new NDList(scope.create(ids, new Shape(1, ids.length)),
                    scope.create(new long[] {lora.slotOf(adapter)}));
            return runMethod(scope, "logits_all_lora", args, stacks).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @Override
    public void copySlots(int[] from, int[] to) {
        CacheSlots.copy(cacheScope, slots, from, to, cacheK, cacheV);
    }

    @Override
    public void close() {
        if (lora != null) {
            lora.close();
        }
        predictor.close();
        cacheScope.close();
    }
}
