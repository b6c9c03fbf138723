package io.slmserve.engine;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;

/**
 * The host arrays a decoder session copies its [B, V] float32 logits into, one per row count B, reused call
 * after call. A fresh array per step (3 MB for 16 rows of GPT-2's 50257 logits, and DJL's plain {@code
 * toFloatArray} makes two) is a G1 humongous allocation: at 16 concurrent GPT-2-small streams G1 started a
 * collection every ~5 steps. The copy reads the tensor's memory directly (no byte[] in between). An array is
 * overwritten by the next call with as many rows, so callers read it before then.
 */
final class LogitsBuffers {

    private final float[][] byRows;

    /** @param maxRows most rows one call can return (the session's slots) */
    LogitsBuffers(int maxRows) {
        this.byRows = new float[maxRows + 1][];
    }

    /** The logits in their own row order. */
    float[] read(NDArray logits, int rows) {
        return read(logits, rows, null);
    }

    /**
     * @param sourceRow for each output row, the logits row it takes; null keeps the order
     */
    float[] read(NDArray logits, int rows, int[] sourceRow) {
        FloatBuffer source = logits.toByteBuffer(true).asFloatBuffer();
        int vocab = source.remaining() / rows;
        float[] out = rows < byRows.length ? byRows[rows] : null;
        if (out == null || out.length != rows * vocab) {
            out = new float[rows * vocab];
            if (rows < byRows.length) {
                byRows[rows] = out;
            }
        }
        if (sourceRow == null) {
            source.get(out);
            return out;
        }
        for (int b = 0; b < rows; b++) {
            source.get(sourceRow[b] * vocab, out, b * vocab, vocab);
        }
        return out;
    }
}
