package io.slmserve.inference;

import io.slmserve.batching.BatchProcessor;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.ModelTask;
import io.slmserve.core.TopTokens;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a batch of jobs through one worker's encoder session: all rows of all jobs go into one padded forward
 * call (or several of at most {@code maxRows} rows when one request alone is larger), then the per-row
 * outputs are handed back to their jobs. One model serves one task, so a batch is homogeneous.
 */
final class EncoderProcessor implements BatchProcessor<EncoderJob, EncoderResult> {

    private final EncoderSession session;
    private final ModelTask task;
    private final int maxRows;

    EncoderProcessor(EncoderSession session, ModelTask task, int maxRows) {
        this.session = session;
        this.task = task;
        this.maxRows = maxRows;
    }

    @Override
    public List<EncoderResult> process(List<EncoderJob> jobs) {
        List<long[]> rows = new ArrayList<>();
        List<Integer> masks = new ArrayList<>();
        int topK = 1;
        for (EncoderJob job : jobs) {
            rows.addAll(job.tokens());
            if (job.maskIndex() != null) {
                for (int index : job.maskIndex()) {
                    masks.add(index);
                }
                topK = Math.max(topK, job.topK());
            }
        }
        Object[] perRow = new Object[rows.size()];
        for (int from = 0; from < rows.size(); from += maxRows) {
            int to = Math.min(rows.size(), from + maxRows);
            List<long[]> chunk = rows.subList(from, to);
            Object[] out = switch (task) {
                case TEXT_EMBEDDING -> session.embed(chunk);
                case TEXT_CLASSIFICATION -> session.classify(chunk);
                case FILL_MASK -> session.fillMask(chunk,
                        masks.subList(from, to).stream().mapToInt(Integer::intValue).toArray(), topK).toArray();
                default -> throw new IllegalStateException("not an encoder task: " + task);
            };
            System.arraycopy(out, 0, perRow, from, out.length);
        }
        List<EncoderResult> results = new ArrayList<>(jobs.size());
        int offset = 0;
        for (EncoderJob job : jobs) {
            int n = job.rows();
            if (task == ModelTask.FILL_MASK) {
                List<TopTokens> mine = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    TopTokens best = (TopTokens) perRow[offset + i];
                    mine.add(trim(best, job.topK()));
                }
                results.add(new EncoderResult(null, mine));
            } else {
                float[][] mine = new float[n][];
                for (int i = 0; i < n; i++) {
                    mine[i] = (float[]) perRow[offset + i];
                }
                results.add(new EncoderResult(mine, null));
            }
            offset += n;
        }
        return results;
    }

    /** The batch ran with the largest top_k asked for; each job keeps its own. */
    private static TopTokens trim(TopTokens best, int k) {
        return best.ids().length == k ? best : new TopTokens(java.util.Arrays.copyOf(best.ids(), k),
                java.util.Arrays.copyOf(best.probabilities(), k));
    }

    @Override
    public void close() {
        session.close();
    }
}
