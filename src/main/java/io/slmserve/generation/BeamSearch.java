package io.slmserve.generation;

import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.TokenConstraint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One request's beam search over its own cache slots, scored as Hugging Face's {@code BeamSearchScorer}: each
 * step ranks the 2 x num_beams best (beam, token) continuations by summed log-probability; an end-of-sequence
 * continuation among the top num_beams becomes a finished hypothesis scored sum / length^length_penalty (length
 * = generated tokens, the end token included), the others become the next live beams. A beam that continues in
 * more than one way is forked by copying its cache slot into a slot whose beam was dropped.
 */
final class BeamSearch {

    private final int width;
    /** Every end-of-sequence id (Llama-3.2 has three): any of them finishes a hypothesis. */
    private final long[] eos;
    private final int minTokens;
    private final int maxNewTokens;
    private final BeamHypotheses finished;
    private final TokenConstraint constraint;
    private int[] slots = new int[0];
    /** Live beams; one (the prompt alone) until the first step, then always {@code width}. */
    private List<Beam> beams = new ArrayList<>();
    private int generated;
    private boolean done;

    BeamSearch(int width, double lengthPenalty, boolean earlyStopping, long[] eos, int minTokens, int maxNewTokens,
               TokenConstraint constraint) {
        this.width = width;
        this.constraint = constraint;
        this.eos = eos.clone();
        this.minTokens = minTokens;
        this.maxNewTokens = maxNewTokens;
        this.finished = new BeamHypotheses(width, lengthPenalty, earlyStopping);
    }

    int width() {
        return width;
    }

    private boolean isEos(long token) {
        for (long id : eos) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }

    /** Takes the request's slots; the prompt goes into the first, the others fill as beams fork. */
    void assign(int[] taken) {
        slots = taken.clone();
        beams = new ArrayList<>(List.of(new Beam(slots[0], new long[0], new double[0], 0,
                constraint == null ? 0 : constraint.initialState())));
    }

    int[] slots() {
        return slots.clone();
    }

    /**
     * The rows of the next forward call: the prompt in the first slot (from {@code position}, after a prefix the
     * slot already holds), then one row per live beam; every beam runs with the sequence's LoRA adapter (null:
     * the base).
     */
    List<DecoderRow> rows(boolean prefill, int position, long[] prompt, LoraAdapter adapter) {
        if (prefill) {
            return List.of(new DecoderRow(beams.get(0).slot, position,
                    Arrays.copyOfRange(prompt, position, prompt.length), adapter));
        }
        List<DecoderRow> rows = new ArrayList<>(beams.size());
        for (Beam beam : beams) {
            rows.add(new DecoderRow(beam.slot, position, new long[] {beam.tokens[beam.tokens.length - 1]},
                    adapter));
        }
        return rows;
    }

    /**
     * Extends the beams with the logits of their rows (in {@link #rows} order) and records the slot copies the
     * new beams need before the next forward call.
     */
    void advance(float[] logits, int offset, int vocab, SlotCopies copies) {
        int want = 2 * width;
        Candidates top = new Candidates(want);
        for (int b = 0; b < beams.size(); b++) {
            int row = offset + b * vocab;
            if (constraint != null) {
                constraint.mask(beams.get(b).state, logits, row, vocab);
            }
            double lse = TokenScores.logSumExp(logits, row, vocab);
            for (int v = 0; v < vocab; v++) {
                if (generated < minTokens && isEos(v) && constraint == null) {
                    continue;
                }
                double logprob = logits[row + v] - lse;
                if (logprob == Double.NEGATIVE_INFINITY) {
                    continue; // masked out
                }
                top.offer(beams.get(b).score + logprob, b, v, logprob);
            }
        }
        generated++;
        List<Beam> parents = beams;
        List<Beam> next = new ArrayList<>(width);
        List<Integer> parentOf = new ArrayList<>(width);
        for (int rank = 0; rank < top.size() && next.size() < width; rank++) {
            Beam parent = parents.get(top.beam[rank]);
            long[] tokens = append(parent.tokens, top.token[rank]);
            double[] logprobs = append(parent.logprobs, top.logprob[rank]);
            if (isEos(top.token[rank])) {
                if (rank < width) {
                    finished.add(tokens, logprobs, top.score[rank], generated);
                }
            } else {
                int state = constraint == null ? 0 : constraint.advance(parent.state, top.token[rank]);
                next.add(new Beam(-1, tokens, logprobs, top.score[rank], state));
                parentOf.add(top.beam[rank]);
            }
        }
        beams = place(parents, next, parentOf, copies);
        done = finished.isDone(top.size() > 0 ? top.score[0] : Double.NEGATIVE_INFINITY, generated);
        if (!done && (generated >= maxNewTokens || beams.isEmpty())) {
            for (Beam beam : beams) {
                finished.add(beam.tokens, beam.logprobs, beam.score, generated);
            }
            done = true;
        }
    }

    /** A child keeps its parent's slot when it is the parent's first child; the others copy into free slots. */
    private List<Beam> place(List<Beam> parents, List<Beam> children, List<Integer> parentOf, SlotCopies copies) {
        boolean[] kept = new boolean[parents.size()];
        int[] slotOf = new int[children.size()];
        Arrays.fill(slotOf, -1);
        List<Integer> used = new ArrayList<>();
        for (int c = 0; c < children.size(); c++) {
            int p = parentOf.get(c);
            if (!kept[p]) {
                kept[p] = true;
                slotOf[c] = parents.get(p).slot;
                used.add(slotOf[c]);
            }
        }
        List<Integer> free = new ArrayList<>();
        for (int slot : slots) {
            if (!used.contains(slot)) {
                free.add(slot);
            }
        }
        List<Beam> placed = new ArrayList<>(children.size());
        for (int c = 0; c < children.size(); c++) {
            if (slotOf[c] < 0) {
                slotOf[c] = free.remove(0);
                copies.add(parents.get(parentOf.get(c)).slot, slotOf[c]);
            }
            Beam child = children.get(c);
            placed.add(new Beam(slotOf[c], child.tokens, child.logprobs, child.score, child.state));
        }
        return placed;
    }

    boolean done() {
        return done;
    }

    /** The best finished hypothesis; only once {@link #done()}. */
    BeamHypotheses.Hypothesis best() {
        return finished.best();
    }

    private static long[] append(long[] values, long value) {
        long[] out = Arrays.copyOf(values, values.length + 1);
        out[values.length] = value;
        return out;
    }

    private static double[] append(double[] values, double value) {
        double[] out = Arrays.copyOf(values, values.length + 1);
        out[values.length] = value;
        return out;
    }

    /** A live beam: its slot, generated tokens with their log-probabilities, their sum, its constraint state. */
    private record Beam(int slot, long[] tokens, double[] logprobs, double score, int state) {
    }

    /** The n best (score, beam, token) triples seen, best first. */
    private static final class Candidates {
        final double[] score;
        final int[] beam;
        final int[] token;
        final double[] logprob;
        private int filled;

        Candidates(int n) {
            score = new double[n];
            beam = new int[n];
            token = new int[n];
            logprob = new double[n];
        }

        int size() {
            return filled;
        }

        void offer(double s, int b, int v, double lp) {
            if (filled == score.length && !(s > score[filled - 1])) {
                return;
            }
            int i = filled < score.length ? filled++ : filled - 1;
            while (i > 0 && score[i - 1] < s) {
                score[i] = score[i - 1];
                beam[i] = beam[i - 1];
                token[i] = token[i - 1];
                logprob[i] = logprob[i - 1];
                i--;
            }
            score[i] = s;
            beam[i] = b;
            token[i] = v;
            logprob[i] = lp;
        }
    }
}
