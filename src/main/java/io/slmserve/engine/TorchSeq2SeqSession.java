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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One worker's encoder-decoder (docs/model-format-seq2seq.md): a predictor plus four cache tensors, the decoder's
 * self-attention keys and values ({@code [L, S, H, Md, D]}) and the cross-attention keys and values of each slot's
 * encoded source ({@code [L, S, H, Ms, D]}), allocated once and updated in place by the archive.
 *
 * <p>It speaks the decoder session's row language, so the scheduler needs no second loop: a row at
 * {@code start == 0} carries a new sequence's source ids; every such row of a call is encoded in one
 * {@code encode} call and then fed the decoder start token at decoder position 0. The session remembers each
 * slot's source length; a later row at {@code start = source length + k} is the k-th generated token, at decoder
 * position k + 1.
 */
final class TorchSeq2SeqSession implements DecoderSession {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;
    private final NDManager cacheScope;
    private final NDArray selfK;
    private final NDArray selfV;
    private final NDArray crossK;
    private final NDArray crossV;
    private final int slots;
    private final int maxSource;
    private final int maxDecoder;
    private final long decoderStart;
    private final long padId;
    private final int[] sourceLength;
    private final LogitsBuffers logitsOut;
    /** A call that runs alone in the process widens to the idle cores (CoreShare). */
    private final CoreShare cores;

    /** Must be called on the worker thread that will use it: libtorch thread settings are per thread. */
    TorchSeq2SeqSession(ZooModel<NDList, NDList> model, int intraOpThreads, Seq2SeqShape shape) {
        DjlRuntime.onSessionThread(intraOpThreads);
        this.cores = CoreShare.forWorker(intraOpThreads);
        this.model = model;
        this.slots = shape.slots();
        this.logitsOut = new LogitsBuffers(shape.slots());
        this.maxSource = shape.maxSourceTokens();
        this.maxDecoder = shape.maxDecoderTokens();
        this.decoderStart = shape.decoderStartTokenId();
        this.padId = shape.padTokenId();
        this.sourceLength = new int[slots];
        this.cacheScope = model.getNDManager().newSubManager();
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        this.selfK = newCache(block, "new_cache_tensor", maxDecoder);
        this.selfV = newCache(block, "new_cache_tensor", maxDecoder);
        this.crossK = newCache(block, "new_cross_cache_tensor", maxSource);
        this.crossV = newCache(block, "new_cross_cache_tensor", maxSource);
        this.predictor = model.newPredictor();
    }

    private NDArray newCache(PtSymbolBlock block, String method, int length) {
        try (IValue s = IValue.from((long) slots); IValue m = IValue.from((long) length);
             IValue cache = IValueUtils.runMethod(block, method, s, m)) {
            return CacheSlots.writable(cache.toTensor((PtNDManager) cacheScope));
        }
    }

    @Override
    public float[] forward(List<DecoderRow> rows) {
        cores.enter();
        try {
            return step(rows);
        } finally {
            CoreShare.exit();
        }
    }

    /** New sources encoded into their slots' cross caches, then one decoder call over every row. */
    private float[] step(List<DecoderRow> rows) {
        List<DecoderRow> sources = new ArrayList<>();
        for (DecoderRow row : rows) {
            checkSlot(row.slot());
            if (row.start() == 0) {
                sources.add(row);
            }
        }
        if (!sources.isEmpty()) {
            encode(sources);
        }
        int batch = rows.size();
        int width = 1;
        for (DecoderRow row : rows) {
            width = Math.max(width, row.start() == 0 ? 1 : row.tokens().length);
        }
        long[] ids = new long[batch * width];
        long[] positions = new long[batch * width];
        long[] slotIds = new long[batch];
        long[] last = new long[batch];
        long[] encLengths = new long[batch];
        for (int b = 0; b < batch; b++) {
            DecoderRow row = rows.get(b);
            long[] tokens = row.start() == 0 ? new long[] {decoderStart} : row.tokens();
            int first = decoderPosition(row, width);
            System.arraycopy(tokens, 0, ids, b * width, tokens.length);
            // Pads continue the row's positions: they write past its end, where nothing real can see them.
            for (int t = 0; t < width; t++) {
                positions[b * width + t] = first + t;
            }
            slotIds[b] = row.slot();
            last[b] = tokens.length - 1;
            encLengths[b] = sourceLength[row.slot()];
        }
        Shape shape = new Shape(batch, width);
        try (NDManager scope = cacheScope.newSubManager()) {
            NDList inputs = new NDList(scope.create(ids, shape), scope.create(positions, shape),
                    scope.create(slotIds), scope.create(last), scope.create(encLengths), selfK, selfV, crossK, crossV);
            NDArray logits = predictor.predict(inputs).get(0);
            logits.attach(scope);
            return logitsOut.read(logits, batch);
        } catch (TranslateException e) {
            throw new IllegalStateException("decoder forward failed: " + e.getMessage(), e);
        }
    }

    /** One encode call for every new source, right-padded; fills those slots' cross caches. */
    private void encode(List<DecoderRow> sources) {
        int width = 0;
        for (DecoderRow row : sources) {
            if (row.tokens().length == 0 || row.tokens().length > maxSource) {
                throw new IllegalArgumentException("a source of " + row.tokens().length + " tokens does not fit the "
                        + "cross cache of " + maxSource);
            }
            width = Math.max(width, row.tokens().length);
        }
        int batch = sources.size();
        long[] ids = new long[batch * width];
        Arrays.fill(ids, padId);
        long[] lengths = new long[batch];
        long[] slotIds = new long[batch];
        for (int b = 0; b < batch; b++) {
            DecoderRow row = sources.get(b);
            System.arraycopy(row.tokens(), 0, ids, b * width, row.tokens().length);
            lengths[b] = row.tokens().length;
            slotIds[b] = row.slot();
        }
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        try (PtNDManager scope = (PtNDManager) cacheScope.newSubManager();
             IValue idsArg = IValue.from((PtNDArray) scope.create(ids, new Shape(batch, width)));
             IValue lengthsArg = IValue.from((PtNDArray) scope.create(lengths));
             IValue slotsArg = IValue.from((PtNDArray) scope.create(slotIds));
             IValue kArg = IValue.from((PtNDArray) crossK);
             IValue vArg = IValue.from((PtNDArray) crossV);
             IValue out = IValueUtils.runMethod(block, "encode", idsArg, lengthsArg, slotsArg, kArg, vArg)) {
            for (DecoderRow row : sources) {
                sourceLength[row.slot()] = row.tokens().length;
            }
        }
    }

    private int decoderPosition(DecoderRow row, int width) {
        int position = row.start() == 0 ? 0 : row.start() - sourceLength[row.slot()] + 1;
        if (row.start() != 0 && (sourceLength[row.slot()] == 0 || position < 1)) {
            throw new IllegalArgumentException("row at " + row.start() + " in slot " + row.slot()
                    + " does not follow its source of " + sourceLength[row.slot()] + " tokens");
        }
        if (position + width > maxDecoder) {
            throw new IllegalArgumentException("decoder position " + position + ", padded to " + width
                    + ", does not fit the self cache length " + maxDecoder);
        }
        return position;
    }

    private void checkSlot(int slot) {
        if (slot < 0 || slot >= slots) {
            throw new IllegalArgumentException("slot " + slot + " outside [0, " + slots + ")");
        }
    }

    /** An encoder-decoder scores a decoder sequence against a source: see {@link #logitsAll(long[], long[])}. */
    @Override
    public float[] logitsAll(long[] ids) {
        throw new UnsupportedOperationException("an encoder-decoder needs a source and decoder ids");
    }

    /**
     * The archive's teacher-forced pass without caches (reference checks): row-major logits,
     * {@code decoderIds.length x vocabularySize}, row t predicting the token after {@code decoderIds[t]}.
     */
    float[] logitsAll(long[] source, long[] decoderIds) {
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        try (PtNDManager scope = (PtNDManager) cacheScope.newSubManager();
             IValue src = IValue.from((PtNDArray) scope.create(source, new Shape(1, source.length)));
             IValue dec = IValue.from((PtNDArray) scope.create(decoderIds, new Shape(1, decoderIds.length)));
             IValue out = IValueUtils.runMethod(block, "logits_all", src, dec)) {
            return out.toTensor(scope).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    long decoderStartTokenId() {
        return decoderStart;
    }

    @Override
    public void copySlots(int[] from, int[] to) {
        CacheSlots.copy(cacheScope, slots, from, to, selfK, selfV, crossK, crossV);
        for (int i = 0; i < from.length; i++) {
            sourceLength[to[i]] = sourceLength[from[i]];
        }
    }

    @Override
    public void close() {
        predictor.close();
        cacheScope.close();
    }
}
