package io.slmserve.generation;

import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.FinishReason;
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.GenerationParams;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenConstraint;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One sequence's state from submission to its end: cache slot and position, token history, random generator,
 * detokenizer and stop matcher. Mutated only by the worker that runs it; {@link #cancel()} may come from any
 * thread and only sets a flag (or takes the sequence off the queue).
 */
final class Sequence implements GenerationHandle {

    private final GenerationRequest request;
    private final long submittedAt = System.nanoTime();
    private final SplittableRandom random;
    private final Penalties penalties;
    private final IncrementalDetokenizer detokenizer;
    private final StopMatcher stopMatcher;
    private final StringBuilder text = new StringBuilder();
    private final Set<Long> stopIds;
    /** Every end-of-sequence id of the model: any of them ends the sequence. */
    private final long[] eos;
    private final AtomicBoolean terminated = new AtomicBoolean();
    private final Consumer<Sequence> onCancel;
    private final BeamSearch beams;
    private final TokenConstraint constraint;
    private volatile boolean cancelled;

    /** The first (for a beam search: the first of its) cache slot(s), -1 while waiting. */
    int slot = -1;
    int position;
    long lastToken;
    long lastTokenAt;
    /** The constraint automaton's state after the tokens so far (unused without a constraint). */
    int constraintState;
    private int generated;
    private long[] generatedIds = new long[16];
    private boolean prefilled;
    private FinishReason finish;

    Sequence(GenerationRequest request, DecoderInfo info, TextTokenizer tokenizer, Consumer<Sequence> onCancel) {
        this.request = request;
        GenerationParams p = request.params();
        this.random = new SplittableRandom(p.seed());
        // An encoder-decoder's prompt is its source, not part of the text the penalty looks back over.
        this.penalties = new Penalties(info.encoderDecoder() ? new long[0] : request.prompt(), p);
        this.detokenizer = new IncrementalDetokenizer(tokenizer);
        this.stopMatcher = new StopMatcher(p.stop());
        this.stopIds = new HashSet<>(p.stopTokenIds());
        this.eos = info.eosTokenIds().stream().mapToLong(Long::longValue).toArray();
        this.onCancel = onCancel;
        this.constraint = request.constraint();
        this.constraintState = constraint == null ? 0 : constraint.initialState();
        this.beams = p.beamSearch() ? new BeamSearch(p.numBeams(), p.lengthPenalty(), p.earlyStopping(), eos,
                p.minTokens(), p.maxNewTokens(), constraint) : null;
    }

    /** The output constraint, or null. */
    TokenConstraint constraint() {
        return constraint;
    }

    /** Masks this sequence's row (one path) with its constraint's allowed tokens; nothing without a constraint. */
    void mask(float[] logits, int offset, int vocab) {
        if (constraint != null) {
            constraint.mask(constraintState, logits, offset, vocab);
        }
    }

    /** The beam search this sequence runs, or null for one greedy or sampled path. */
    BeamSearch beams() {
        return beams;
    }

    /** Its rows of the next forward call: the prompt, or the last token (of every live beam). */
    List<DecoderRow> rows() {
        if (beams != null) {
            return beams.rows(!prefilled(), position, prompt(), adapter());
        }
        // A prompt whose first tokens the slot already holds (prefix cache) sends only the rest.
        return List.of(!prefilled() ? new DecoderRow(slot, position, Arrays.copyOfRange(prompt(), position,
                prompt().length), adapter()) : new DecoderRow(slot, position, new long[] {lastToken}, adapter()));
    }

    /** The LoRA adapter its rows run with, or null for the base model. */
    LoraAdapter adapter() {
        return request.adapter();
    }

    /** Before its first call: the slot already holds the first {@code tokens} prompt tokens' keys and values. */
    void reuse(int tokens) {
        position = tokens;
    }

    /** The tokens whose keys and values its slot holds now: prompt and generated ids at positions 0..position-1. */
    long[] cachedTokens() {
        long[] p = prompt();
        long[] out = Arrays.copyOf(p, position);
        if (position > p.length) {
            System.arraycopy(generatedIds, 0, out, p.length, position - p.length);
        }
        return out;
    }

    /** Cache slots the sequence holds while it runs: one, or one per beam. */
    int width() {
        return beams == null ? 1 : beams.width();
    }

    GenerationParams params() {
        return request.params();
    }

    long[] prompt() {
        return request.prompt();
    }

    GenerationListener listener() {
        return request.listener();
    }

    SplittableRandom random() {
        return random;
    }

    Penalties penalties() {
        return penalties;
    }

    int generated() {
        return generated;
    }

    long submittedAt() {
        return submittedAt;
    }

    /** Cache positions it may use, over all its slots. */
    int budget() {
        return request.budget() * width();
    }

    boolean prefilled() {
        return prefilled;
    }

    /** After a forward call that ran its rows: their tokens are in the cache. */
    void advance(int tokens) {
        position += tokens;
        prefilled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    boolean expired(long nowNanos) {
        return request.deadline().expired(nowNanos);
    }

    io.slmserve.core.Deadline deadline() {
        return request.deadline();
    }

    /** Before min_tokens: the end-of-sequence token and stop ids may not be chosen. */
    void suppressStops(float[] logits) {
        if (!params().ignoreEos()) {
            for (long id : eos) {
                if (id < logits.length) {
                    logits[(int) id] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        for (long id : stopIds) {
            if (id < logits.length) {
                logits[(int) id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Records the chosen token and decides whether the sequence ends.
     *
     * @return the token as reported, with the text it releases
     */
    GeneratedToken accept(long token, double logprob, String piece, List<GeneratedToken.TopToken> top) {
        if (generated == generatedIds.length) {
            generatedIds = Arrays.copyOf(generatedIds, generated * 2);
        }
        generatedIds[generated++] = token;
        lastToken = token;
        if (constraint != null && beams == null) {
            constraintState = constraint.advance(constraintState, token);
        }
        penalties.record(token);
        boolean isEos = isEos(token);
        String released = stopMatcher.offer(detokenizer.next(token));
        if (stopMatcher.stopped()) {
            finish = FinishReason.STOP_SEQUENCE;
        } else if ((isEos && !params().ignoreEos()) || stopIds.contains(token)) {
            finish = FinishReason.EOS_TOKEN;
        } else if (generated >= params().maxNewTokens()) {
            finish = FinishReason.LENGTH;
        }
        if (finish != null && finish != FinishReason.STOP_SEQUENCE) {
            released += stopMatcher.offer(detokenizer.flush());
            if (stopMatcher.stopped()) {
                finish = FinishReason.STOP_SEQUENCE;
            } else {
                released += stopMatcher.flush();
            }
        }
        text.append(released);
        return new GeneratedToken(token, released, logprob, isEos, piece, top);
    }

    private boolean isEos(long token) {
        for (long id : eos) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }

    /** Non-null once the last token was accepted. */
    FinishReason finish() {
        return finish;
    }

    GenerationResult result() {
        return new GenerationResult(text.toString(), finish, request.prompt().length, generated, params().seed());
    }

    /** Claims the right to deliver the single terminal callback; false if someone already did. */
    boolean terminate() {
        return terminated.compareAndSet(false, true);
    }

    @Override
    public void cancel() {
        cancelled = true;
        onCancel.accept(this);
    }
}
