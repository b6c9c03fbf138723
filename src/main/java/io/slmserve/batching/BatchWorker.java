package io.slmserve.batching;

import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A thread that owns one {@link BatchProcessor} and runs batches until stopped. A processor that throws is
 * replaced, so one bad batch cannot wedge the worker; the batch's requests are then run one by one, so only a
 * request that fails on its own (an input the model cannot run) gets the 500, not its batch neighbours.
 */
final class BatchWorker<I extends BatchInput, O> extends Thread {

    private static final Logger LOG = Logger.getLogger(BatchWorker.class);
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String model;
    private final BatchAggregator<I, O> aggregator;
    private final Supplier<BatchProcessor<I, O>> processors;
    private final ServingMetrics metrics;
    private final DynamicBatcher<I, O> pool;
    private final java.util.concurrent.atomic.AtomicInteger busy;
    private volatile boolean stopWhenIdle;
    private volatile boolean retired;

    BatchWorker(String model, int index, BatchAggregator<I, O> aggregator, Supplier<BatchProcessor<I, O>> processors,
            ServingMetrics metrics, DynamicBatcher<I, O> pool, java.util.concurrent.atomic.AtomicInteger busy) {
        super("slm-worker-" + model + "-" + index);
        setDaemon(true);
        this.model = model;
        this.aggregator = aggregator;
        this.processors = processors;
        this.metrics = metrics;
        this.pool = pool;
        this.busy = busy;
    }

    void stopWhenIdle() {
        stopWhenIdle = true;
    }

    /** Leave after the current batch, even under load (the pool shrank). */
    void retire() {
        retired = true;
    }

    void awaitExit(long millis) {
        try {
            join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        BatchProcessor<I, O> processor = processors.get();
        boolean afterBatch = false;
        try {
            while (!retired) {
                List<PendingRequest<I, O>> batch = aggregator.next(IDLE_POLL_NANOS, afterBatch,
                        processor.idlePriority());
                afterBatch = !batch.isEmpty();
                if (batch.isEmpty()) {
                    if (stopWhenIdle) {
                        return;
                    }
                    continue;
                }
                busy.incrementAndGet();
                try {
                    if (!run(processor, batch, batch.size() == 1)) {
                        processor = replace(processor);
                        for (PendingRequest<I, O> alone : batch) {
                            if (!alone.abandoned() && !run(processor, List.of(alone), true)) {
                                processor = replace(processor);
                            }
                        }
                    }
                } finally {
                    busy.decrementAndGet();
                }
                pool.growIfBacklogged();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            processor.close();
        }
    }

    private BatchProcessor<I, O> replace(BatchProcessor<I, O> failed) {
        failed.close();
        return processors.get();
    }

    /**
     * Runs one batch; false when the processor failed. Every request is completed once on success, and on failure
     * only when {@code failRequests} (else the caller retries them).
     */
    private boolean run(BatchProcessor<I, O> processor, List<PendingRequest<I, O>> batch, boolean failRequests) {
        long start = System.nanoTime();
        List<I> inputs = new ArrayList<>(batch.size());
        int rows = 0;
        int longest = 0;
        for (PendingRequest<I, O> request : batch) {
            metrics.queueWait(model, start - request.enqueuedNanos());
            inputs.add(request.input());
            rows += request.input().rows();
            longest = Math.max(longest, request.input().longestRow());
        }
        metrics.batch(model, rows, rows * longest);
        try {
            List<O> outputs = processor.process(inputs);
            if (outputs.size() != batch.size()) {
                throw new IllegalStateException("processor returned " + outputs.size() + " outputs for " + batch.size());
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(outputs.get(i));
            }
            return true;
        } catch (Exception | Error e) {
            if (failRequests) {
                LOG.errorf(e, "model %s: batch of %d rows failed", model, rows);
                ServingException failure = DynamicBatcher.engineFailure(model, e);
                batch.forEach(request -> request.result().completeExceptionally(failure));
            } else {
                LOG.warnf("model %s: batch of %d requests failed (%s); running them one by one", model, batch.size(),
                        e.toString());
            }
            return false;
        }
    }
}
