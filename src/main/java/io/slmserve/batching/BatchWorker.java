package io.slmserve.batching;

import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A thread that owns one {@link BatchProcessor} and runs batches until stopped. A processor that throws
 * fails only that batch's requests, and is replaced, so one bad batch cannot wedge the worker.
 */
final class BatchWorker<I extends BatchInput, O> extends Thread {

    private static final Logger LOG = Logger.getLogger(BatchWorker.class);
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String model;
    private final BatchAggregator<I, O> aggregator;
    private final Supplier<BatchProcessor<I, O>> processors;
    private final ServingMetrics metrics;
    private final DynamicBatcher<I, O> pool;
    private volatile boolean stopWhenIdle;
    private volatile boolean retired;

    BatchWorker(String model, int index, BatchAggregator<I, O> aggregator, Supplier<BatchProcessor<I, O>> processors,
            ServingMetrics metrics, DynamicBatcher<I, O> pool) {
        super("slm-worker-" + model + "-" + index);
        setDaemon(true);
        this.model = model;
        this.aggregator = aggregator;
        this.processors = processors;
        this.metrics = metrics;
        this.pool = pool;
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
        try {
            while (!retired) {
                List<PendingRequest<I, O>> batch = aggregator.next(IDLE_POLL_NANOS);
                if (batch.isEmpty()) {
                    if (stopWhenIdle) {
                        return;
                    }
                    continue;
                }
                if (!run(processor, batch)) {
                    processor.close();
                    processor = processors.get();
                }
                pool.growIfBacklogged();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            processor.close();
        }
    }

    /** Runs one batch and completes every request in it exactly once; false when the processor failed. */
    private boolean run(BatchProcessor<I, O> processor, List<PendingRequest<I, O>> batch) {
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
            LOG.errorf(e, "model %s: batch of %d rows failed", model, rows);
            ServingException failure = DynamicBatcher.engineFailure(model, e);
            batch.forEach(request -> request.result().completeExceptionally(failure));
            return false;
        }
    }
}
