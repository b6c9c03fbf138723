package io.slmserve.inference;

import io.slmserve.batching.BatchProcessor;
import io.slmserve.core.EncoderSession;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a batch of embedding jobs through one worker's encoder session: all rows of all jobs go into one
 * padded forward call (or several of at most {@code maxRows} when one request alone is larger).
 */
final class EmbeddingProcessor implements BatchProcessor<EncoderJob, float[][]> {

    private final EncoderSession session;
    private final int maxRows;

    EmbeddingProcessor(EncoderSession session, int maxRows) {
        this.session = session;
        this.maxRows = maxRows;
    }

    @Override
    public List<float[][]> process(List<EncoderJob> jobs) {
        List<long[]> rows = new ArrayList<>();
        jobs.forEach(job -> rows.addAll(job.tokens()));
        float[][] vectors = new float[rows.size()][];
        for (int from = 0; from < rows.size(); from += maxRows) {
            int to = Math.min(rows.size(), from + maxRows);
            float[][] chunk = session.embed(rows.subList(from, to));
            System.arraycopy(chunk, 0, vectors, from, chunk.length);
        }
        List<float[][]> outputs = new ArrayList<>(jobs.size());
        int offset = 0;
        for (EncoderJob job : jobs) {
            float[][] mine = new float[job.rows()][];
            System.arraycopy(vectors, offset, mine, 0, mine.length);
            offset += mine.length;
            outputs.add(mine);
        }
        return outputs;
    }

    @Override
    public void close() {
        session.close();
    }
}
