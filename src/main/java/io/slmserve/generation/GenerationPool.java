package io.slmserve.generation;

import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One decoder model's generation service: a bounded waiting queue in front of worker threads, each running
 * the iteration-level scheduler over its own KV-cache slots. Submitting never blocks: a full queue is an
 * immediate 429.
 */
public final class GenerationPool implements AutoCloseable {

    private final String model;
    private final DecoderInfo info;
    private final TextTokenizer tokenizer;
    private final SchedulerLimits limits;
    private final WaitingQueue queue;
    private final AtomicInteger running = new AtomicInteger();
    private final List<GenerationWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    public GenerationPool(String model, DecoderInfo info, TextTokenizer tokenizer, SchedulerLimits limits,
                          Supplier<DecoderSession> sessions, ServingMetrics metrics) {
        this.model = model;
        this.info = info;
        this.tokenizer = tokenizer;
        this.limits = limits;
        this.queue = new WaitingQueue(limits.queueSize(), limits.slots() * limits.workers(), running);
        metrics.sequenceGauges(model, running::get, queue::size);
        for (int i = 0; i < limits.workers(); i++) {
            GenerationWorker worker = new GenerationWorker(model, sessions, queue, limits, info.vocabularySize(),
                    tokenizer, metrics, running, limits.prefixCacheMinTokens() > 0 && !info.encoderDecoder());
            Thread thread = new Thread(worker, "slm-generate-" + model + "-" + i);
            thread.setDaemon(true);
            workers.add(worker);
            threads.add(thread);
            thread.start();
        }
    }

    /**
     * Queues the sequences of one request, all or none.
     *
     * @return one handle per request, in order
     * @throws ServingException QUEUE_FULL when they do not all fit in the waiting queue
     */
    public List<GenerationHandle> submit(List<GenerationRequest> requests) {
        List<Sequence> sequences = new ArrayList<>(requests.size());
        for (GenerationRequest request : requests) {
            if (request.params().numBeams() > limits.slots()) {
                throw ServingException.invalid("num_beams", "num_beams " + request.params().numBeams()
                        + " exceeds the model's " + limits.slots() + " cache slots per worker (batch_size)");
            }
            sequences.add(new Sequence(request, info, tokenizer, this::dequeue));
        }
        if (!queue.offerAll(sequences)) {
            throw ServingException.queueFull(model, limits.retryAfterSeconds());
        }
        return List.copyOf(sequences);
    }

    public GenerationHandle submit(GenerationRequest request) {
        return submit(List.of(request)).get(0);
    }

    /** A cancelled sequence still waiting leaves the queue at once; a running one is retired by its worker. */
    private void dequeue(Sequence sequence) {
        if (queue.remove(sequence) && sequence.terminate()) {
            sequence.listener().onCancelled();
        }
    }

    public DecoderInfo info() {
        return info;
    }

    public SchedulerLimits limits() {
        return limits;
    }

    /** Sequences holding a cache slot now. */
    public int running() {
        return running.get();
    }

    /** Sequences waiting for a slot. */
    public int waiting() {
        return queue.size();
    }

    public int workerCount() {
        return workers.size();
    }

    /** Stops the workers; every queued or running sequence gets a 503. */
    @Override
    public void close() {
        ServingException gone = ServingException.notReady(model, "the model was unloaded", limits.retryAfterSeconds());
        for (Sequence s : queue.close()) {
            if (s.terminate()) {
                s.listener().onError(gone);
            }
        }
        workers.forEach(GenerationWorker::stop);
        threads.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
