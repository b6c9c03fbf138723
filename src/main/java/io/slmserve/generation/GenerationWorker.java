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
 * then runs one forward call for the new sequences' prompts and one for every other sequence's last token,
 * samples, reports and retires finished sequences at once. A request arriving mid-generation therefore joins
 * at the next step and never waits for the others to finish.
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
    private final Sequence[] slots;
    private int budgetUsed;
    private volatile boolean stopping;

    GenerationWorker(String model, Supplier<DecoderSession> sessions, WaitingQueue queue, SchedulerLimits limits,
                     int vocab, TextTokenizer tokenizer, ServingMetrics metrics, AtomicInteger running) {
        this.model = model;
        this.sessions = sessions;
        this.queue = queue;
        this.limits = limits;
        this.vocab = vocab;
        this.tokenizer = tokenizer;
        this.metrics = metrics;
        this.running = running;
        this.slots = new Sequence[limits.slots()];
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
        retireCancelled();
        retireExpired();
        admit();
        List<Sequence> prefill = new ArrayList<>();
        List<Sequence> decode = new ArrayList<>();
        for (Sequence s : slots) {
            if (s != null) {
                (s.prefilled() ? decode : prefill).add(s);
            }
        }
        if (prefill.isEmpty() && decode.isEmpty()) {
            queue.awaitWork(IDLE_WAIT_MS);
            return;
        }
        // Prompts go in their own call: padding one-token decode rows to a long prompt would multiply work.
        if (!prefill.isEmpty()) {
            step(session, sampler, prefill, true);
        }
        if (!decode.isEmpty()) {
            step(session, sampler, decode, false);
        }
    }

    private void retireCancelled() {
        for (Sequence s : slots) {
            if (s != null && s.cancelled()) {
                release(s);
                if (s.terminate()) {
                    safely(() -> s.listener().onCancelled());
                }
            }
        }
    }

    /** Sequences past their deadline, running or still waiting, end with a 504 and free their slot or place. */
    private void retireExpired() {
        long now = System.nanoTime();
        for (Sequence s : slots) {
            if (s != null && s.expired(now)) {
                fail(s, s.deadline().exceeded(model, "generating"));
            }
        }
        for (Sequence s : queue.removeExpired(now)) {
            fail(s, s.deadline().exceeded(model, "queued"));
        }
    }

    private void admit() {
        int free = freeSlot();
        while (free >= 0) {
            Sequence next = queue.pollIf(b -> budgetUsed == 0 || budgetUsed + b <= limits.maxBatchTotalTokens());
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
            next.slot = free;
            slots[free] = next;
            budgetUsed += next.budget();
            free = freeSlot();
        }
    }

    private void step(DecoderSession session, Sampler sampler, List<Sequence> group, boolean prefill) {
        List<DecoderRow> rows = new ArrayList<>(group.size());
        for (Sequence s : group) {
            rows.add(prefill ? new DecoderRow(s.slot, 0, s.prompt())
                    : new DecoderRow(s.slot, s.position, new long[] {s.lastToken}));
        }
        float[] logits;
        try {
            logits = session.forward(rows);
        } catch (RuntimeException e) {
            LOG.errorf(e, "model %s: forward of %d rows failed", model, rows.size());
            ServingException error = new ServingException(ErrorKind.ENGINE_FAILURE,
                    "model '" + model + "' failed to run this step: " + e.getMessage(), null, null, e);
            group.forEach(s -> fail(s, error));
            return;
        }
        metrics.decoderStep(model, rows.size(), prefill);
        long now = System.nanoTime();
        for (int i = 0; i < group.size(); i++) {
            Sequence s = group.get(i);
            s.position += rows.get(i).tokens().length;
            if (!s.cancelled()) {
                advance(s, sampler, logits, i * vocab, now);
            }
        }
    }

    private void advance(Sequence s, Sampler sampler, float[] logits, int offset, long now) {
        int token = sampler.choose(s, logits, offset);
        double logprob = Double.NaN;
        String piece = null;
        List<GeneratedToken.TopToken> top = List.of();
        if (s.params().logprobs() || s.params().topNTokens() > 0) {
            double lse = TokenScores.logSumExp(logits, offset, vocab);
            logprob = logits[offset + token] - lse;
            piece = tokenizer.decode(new long[] {token}, false);
            if (s.params().topNTokens() > 0) {
                top = TokenScores.top(logits, offset, vocab, s.params().topNTokens(), lse, tokenizer);
            }
        }
        GeneratedToken event = s.accept(token, logprob, piece, top);
        if (s.generated() == 1) {
            metrics.timeToFirstToken(model, now - s.submittedAt());
        } else {
            metrics.interTokenLatency(model, now - s.lastTokenAt);
        }
        s.lastTokenAt = now;
        safely(() -> s.listener().onToken(event));
        if (s.finish() != null) {
            release(s);
            metrics.generatedTokens(model, s.generated());
            if (s.terminate()) {
                GenerationResult result = s.result();
                safely(() -> s.listener().onFinish(result));
            }
        }
    }

    private void fail(Sequence s, ServingException error) {
        release(s);
        if (s.terminate()) {
            safely(() -> s.listener().onError(error));
        }
    }

    private void failAll(ServingException error) {
        for (Sequence s : slots) {
            if (s != null) {
                fail(s, error);
            }
        }
    }

    private void release(Sequence s) {
        if (s.slot >= 0 && slots[s.slot] == s) {
            slots[s.slot] = null;
            budgetUsed -= s.budget();
            running.decrementAndGet();
        }
    }

    private int freeSlot() {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                return i;
            }
        }
        return -1;
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
