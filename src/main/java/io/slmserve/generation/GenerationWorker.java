package io.slmserve.generation;

import io.slmserve.core.DecoderSession;
import io.slmserve.core.DecoderSession.DecoderRow;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * One worker thread: owns a decoder session (its predictor and KV cache) and runs the iteration-level loop.
 * Each iteration retires cancelled sequences, admits waiting ones into free slots within the token budget,
 * then runs one forward call for the new sequences' prompts and every other sequence's last token together,
 * samples, reports and retires finished sequences at once. A request arriving mid-generation therefore joins
 * at the next step and never waits for the others to finish. A beam search holds one slot per beam: its rows
 * join the same calls, {@link BeamSearch} picks the next beams, and the session copies the slots of forked
 * beams before the next call; choices sharing a prompt prefill it once ({@link PromptForks}). The same loop
 * drives encoder-decoders: their session encodes a new sequence's source in its prefill row.
 */
final class GenerationWorker implements Runnable {

    private static final Logger LOG = Logger.getLogger(GenerationWorker.class);
    private static final long IDLE_WAIT_MS = 50;

    private final String model;
    private final Supplier<DecoderSession> sessions;
    private final WaitingQueue queue;
    private final SchedulerLimits limits;
    private final TextTokenizer tokenizer;
    private final ServingMetrics metrics;
    private final AtomicInteger running;
    private final int vocab;
    private final SlotTable slots;
    /** Null when prefix caching is off (the setting, or an encoder-decoder, whose slot holds a source). */
    private final PrefixCache prefixes;
    /** n > 1: one prefill for the choices sharing a prompt (with prefix caching; null when it is off). */
    private final PromptForks forks;
    private volatile boolean stopping;

    GenerationWorker(String model, Supplier<DecoderSession> sessions, WaitingQueue queue, SchedulerLimits limits,
                     int vocab, TextTokenizer tokenizer, ServingMetrics metrics, AtomicInteger running,
                     boolean prefixCaching) {
        this.model = model;
        this.sessions = sessions;
        this.queue = queue;
        this.limits = limits;
        this.vocab = vocab;
        this.tokenizer = tokenizer;
        this.metrics = metrics;
        this.running = running;
        this.slots = new SlotTable(limits.slots(), running);
        this.prefixes = prefixCaching ? new PrefixCache(limits.slots(), limits.prefixCacheMinTokens()) : null;
        this.forks = prefixCaching ? new PromptForks(model, limits.prefixCacheMinTokens(), metrics) : null;
    }

    void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        Sampler sampler = new Sampler(vocab);
        try (DecoderSession session = sessions.get()) {
            while (!stopping && !Thread.currentThread().isInterrupted()) {
                try {
                    iterate(session, sampler);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException | Error e) {
                    LOG.errorf(e, "model %s: generation step failed", model);
                    failAll(new ServingException(ErrorKind.ENGINE_FAILURE, "generation failed: " + e, null, null, e));
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "model %s: generation worker could not open its session", model);
        } finally {
            failAll(ServingException.notReady(model, "the model was unloaded", limits.retryAfterSeconds()));
        }
    }

    private void iterate(DecoderSession session, Sampler sampler) throws InterruptedException {
        retire();
        admit();
        fork(session);
        List<Sequence> running = forks == null ? slots.sequences() : forks.runnable(slots.sequences());
        if (running.isEmpty()) {
            queue.awaitWork(IDLE_WAIT_MS);
            return;
        }
        // New prompts ride in the running sequences' call (the session keeps one-token rows unpadded), so
        // admitting them costs the others no extra step. A failed mixed call is retried kind by kind, so a
        // prompt the model cannot run fails alone.
        List<Sequence> prompts = running.stream().filter(s -> !s.prefilled()).toList();
        boolean mixed = !prompts.isEmpty() && prompts.size() < running.size();
        if (!step(session, sampler, running, !mixed) && mixed) {
            step(session, sampler, prompts, true);
            step(session, sampler, running.stream().filter(Sequence::prefilled).toList(), true);
        }
        fork(session);
    }

    /** Followers whose leader's prompt is now cached copy its slot (before a new admission may reuse it). */
    private void fork(DecoderSession session) {
        if (forks != null) {
            forks.fork(session, slots::holds, this::failGroup);
        }
    }

    /** Cancelled sequences leave; those past their deadline, running or still waiting, end with a 504. */
    private void retire() {
        long now = System.nanoTime();
        for (Sequence s : slots.sequences()) {
            if (s.cancelled()) {
                slots.release(s);
                if (s.terminate()) {
                    safely(() -> s.listener().onCancelled());
                }
            } else if (s.expired(now)) {
                fail(s, s.deadline().exceeded(model, "generating"));
            }
        }
        for (Sequence s : queue.removeExpired(now)) {
            fail(s, s.deadline().exceeded(model, "queued"));
        }
    }

    private void admit() {
        int free = slots.free();
        while (free > 0) {
            int room = free;
            Sequence next = queue.pollIf(s -> s.width() <= room
                    && slots.fits(s.budget(), limits.maxBatchTotalTokens()));
            if (next == null) {
                return;
            }
            if (next.cancelled()) {
                running.decrementAndGet(); // counted by pollIf, but it never takes the slot
                if (next.terminate()) {
                    safely(() -> next.listener().onCancelled());
                }
                continue;
            }
            metrics.queueWait(model, System.nanoTime() - next.submittedAt());
            take(next);
            free = slots.free();
        }
    }

    /** Seats an admitted sequence: on the free slot holding its longest cached prefix, else the next to evict. */
    private void take(Sequence next) {
        if (prefixes == null) {
            slots.take(next, slots.firstFree(next.width()));
            return;
        }
        slots.take(next, prefixes.seat(next, slots::isFree));
        forks.seated(next, slots.sequences());
    }

    /**
     * One forward call over the group's rows (prompts and running sequences alike), then each sequence's
     * next token. Returns false when the call failed: the group is failed too if {@code failOnError}.
     */
    private boolean step(DecoderSession session, Sampler sampler, List<Sequence> group, boolean failOnError) {
        List<DecoderRow> rows = new ArrayList<>(group.size());
        int[] first = new int[group.size()];
        int prompts = 0;
        for (int i = 0; i < group.size(); i++) {
            Sequence s = group.get(i);
            first[i] = rows.size();
            rows.addAll(s.rows());
            prompts += s.prefilled() ? 0 : 1;
        }
        float[] logits;
        try {
            logits = session.forward(rows);
        } catch (RuntimeException e) {
            LOG.errorf(e, "model %s: forward of %d rows failed", model, rows.size());
            if (failOnError) {
                failGroup(group, e);
            }
            return false;
        }
        metrics.decoderStep(model, rows.size(), prompts == 0 ? "decode" : prompts == group.size() ? "prefill"
                : "mixed");
        long now = System.nanoTime();
        SlotCopies copies = new SlotCopies();
        List<Sequence> searching = new ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            Sequence s = group.get(i);
            s.advance(rows.get(first[i]).tokens().length);
            if (s.cancelled()) {
                continue;
            }
            if (s.beams() != null) {
                s.beams().advance(logits, first[i] * vocab, vocab, copies);
                searching.add(s);
            } else {
                // The mask goes into the logits themselves, so sampling and the reported logprobs both see the
                // constrained distribution; unconstrained rows are untouched.
                s.mask(logits, first[i] * vocab, vocab);
                emit(s, sampler.choose(s, logits, first[i] * vocab), logits, first[i] * vocab, now);
            }
        }
        if (!copies.isEmpty()) {
            try {
                session.copySlots(copies.from(), copies.to());
            } catch (RuntimeException e) {
                LOG.errorf(e, "model %s: copying beam cache slots failed", model);
                failGroup(searching, e);
                return true;
            }
        }
        for (Sequence s : searching) {
            if (s.beams().done()) {
                finishBeams(s, now);
            }
        }
        return true;
    }

    private void failGroup(List<Sequence> group, RuntimeException e) {
        ServingException error = new ServingException(ErrorKind.ENGINE_FAILURE,
                "model '" + model + "' failed to run this step: " + e.getMessage(), null, null, e);
        group.forEach(s -> fail(s, error));
    }

    /** A finished beam search reports its best hypothesis token by token, as one path would have. */
    private void finishBeams(Sequence s, long now) {
        BeamHypotheses.Hypothesis best = s.beams().best();
        for (int i = 0; i < best.tokens().length && s.finish() == null; i++) {
            report(s, best.tokens()[i], best.logprobs()[i], List.of(), now);
        }
        if (s.finish() == null) {
            fail(s, new ServingException(ErrorKind.ENGINE_FAILURE, "beam search ended on a hypothesis of "
                    + best.tokens().length + " tokens without an end", null, null, null));
        }
    }

    private void emit(Sequence s, int token, float[] logits, int offset, long now) {
        TokenScores.Scored scored = TokenScores.score(s.params(), token, logits, offset, vocab, tokenizer);
        report(s, token, scored.logprob(), scored.top(), now);
    }

    private void report(Sequence s, long token, double logprob, List<GeneratedToken.TopToken> top, long now) {
        boolean scored = s.params().logprobs() || s.params().topNTokens() > 0;
        String piece = scored ? tokenizer.decode(new long[] {token}, false) : null;
        GeneratedToken event = s.accept(token, scored ? logprob : Double.NaN, piece, top);
        if (s.generated() == 1) {
            metrics.timeToFirstToken(model, now - s.submittedAt());
        } else if (s.beams() == null) {
            metrics.interTokenLatency(model, now - s.lastTokenAt);
        }
        s.lastTokenAt = now;
        safely(() -> s.listener().onToken(event));
        if (s.finish() != null) {
            slots.release(s);
            if (prefixes != null) {
                prefixes.left(s);
            }
            metrics.generatedTokens(model, s.generated());
            if (s.terminate()) {
                GenerationResult result = s.result();
                safely(() -> s.listener().onFinish(result));
            }
        }
    }

    private void fail(Sequence s, ServingException error) {
        slots.release(s);
        if (s.terminate()) {
            safely(() -> s.listener().onError(error));
        }
    }

    private void failAll(ServingException error) {
        for (Sequence s : slots.sequences()) {
            fail(s, error);
        }
    }

    /** A listener that throws must not take the worker (and every other sequence) down with it. */
    private void safely(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.warnf(e, "model %s: generation listener failed", model);
        }
    }
}
