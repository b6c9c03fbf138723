package io.slmserve.inference;

import io.slmserve.batching.BatchProcessor;
import io.slmserve.core.EncoderSession;
import io.slmserve.core.ModelTask;
import io.slmserve.core.TopTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a batch of jobs through one worker's encoder session: all rows of all jobs go into one padded forward
 * call (or several of at most {@code maxRows} rows when one request alone is larger), then the per-row
 * outputs are handed back to their jobs. One model serves one task; an embedding model's per-token jobs
 * ({@code /embed_all}) run in a call of their own beside the pooled ones.
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
        EncoderResult[] results = new EncoderResult[jobs.size()];
        for (boolean perToken : new boolean[] {false, true}) {
            List<Integer> mine = new ArrayList<>();
            for (int j = 0; j < jobs.size(); j++) {
                if (jobs.get(j).perToken() == perToken) {
                    mine.add(j);
                }
            }
            if (!mine.isEmpty()) {
                List<EncoderJob> group = mine.stream().map(jobs::get).toList();
                List<EncoderResult> out = processGroup(group, perToken);
                for (int i = 0; i < mine.size(); i++) {
                    results[mine.get(i)] = out.get(i);
                }
            }
        }
        return Arrays.asList(results);
    }

    private List<EncoderResult> processGroup(List<EncoderJob> jobs, boolean perToken) {
        List<long[]> rows = new ArrayList<>();
        List<long[]> types = new ArrayList<>();
        boolean typed = false;
        List<Integer> masks = new ArrayList<>();
        int topK = 1;
        for (EncoderJob job : jobs) {
            rows.addAll(job.tokens());
            if (job.typeIds() != null) {
                typed = true;
                types.addAll(job.typeIds());
            } else {
                job.tokens().forEach(row -> types.add(new long[row.length]));
            }
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
                case TEXT_EMBEDDING -> perToken ? session.tokenEmbeddings(chunk).toArray() : session.embed(chunk);
                case TEXT_CLASSIFICATION, RERANK -> session.classify(chunk, typed ? types.subList(from, to) : null);
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
                    mine.add(trim((TopTokens) perRow[offset + i], job.topK()));
                }
                results.add(new EncoderResult(null, mine));
            } else if (perToken) {
                List<float[][]> mine = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    mine.add((float[][]) perRow[offset + i]);
                }
                results.add(new EncoderResult(null, null, mine));
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
        return best.ids().length == k ? best : new TopTokens(Arrays.copyOf(best.ids(), k),
                Arrays.copyOf(best.probabilities(), k));
    }

    @Override
    public int idlePriority() {
        return session.widensAlone() ? 1 : 0;
    }

    @Override
    public void close() {
        session.close();
    }
}
