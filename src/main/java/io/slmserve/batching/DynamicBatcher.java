package io.slmserve.batching;

import io.slmserve.core.Deadline;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.core.ServingMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * One model's request queue and worker pool. {@link #submit} never blocks: a full queue is an immediate
 * 429, so callers see back-pressure instead of unbounded latency. Workers start at {@code minWorkers}
 * and grow to {@code maxWorkers} while requests wait.
 */
public final class DynamicBatcher<I extends BatchInput, O> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DynamicBatcher.class);

    private final String model;
    private final ArrayBlockingQueue<PendingRequest<I, O>> queue;
    private final BatchAggregator<I, O> aggregator;
    private final Supplier<BatchProcessor<I, O>> processors;
    private final ServingMetrics metrics;
    private volatile int minWorkers;
    private volatile int maxWorkers;
    private final int retryAfterSeconds;
    private final List<BatchWorker<I, O>> workers = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
    /** Workers running a batch right now; the rest are idle, for the aggregator's fair share. */
    private final java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean accepting = true;

    public DynamicBatcher(String model, int queueCapacity, BatchPolicy policy, int minWorkers, int maxWorkers,
            Supplier<BatchProcessor<I, O>> processors, ServingMetrics metrics, int retryAfterSeconds) {
        this.model = model;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.aggregator = new BatchAggregator<>(queue, policy, () -> workers.size() - busy.get());
        this.processors = processors;
        this.metrics = metrics;
        this.minWorkers = minWorkers;
        this.maxWorkers = maxWorkers;
        this.retryAfterSeconds = retryAfterSeconds;
        metrics.queueDepthGauge(model, aggregator::depth);
        for (int i = 0; i < minWorkers; i++) {
            addWorker();
        }
    }

    /**
     * Queues a request.
     *
     * @throws ServingException QUEUE_FULL when the queue is at capacity, MODEL_NOT_READY after close
     */
    public CompletableFuture<O> submit(I input) {
        return submit(input, Deadline.NONE);
    }

    /**
     * Queues a request that is answered 504 at its deadline: still queued, it leaves the queue; in a running
     * batch, its row is computed but the answer is not waited for. Cancelling the returned future (the client
     * left) also takes it out of the queue.
     *
     * @throws ServingException QUEUE_FULL when the queue is at capacity, MODEL_NOT_READY after close
     */
    public CompletableFuture<O> submit(I input, Deadline deadline) {
        if (!accepting) {
            throw ServingException.notReady(model, "draining", retryAfterSeconds);
        }
        PendingRequest<I, O> request = new PendingRequest<>(input, new CompletableFuture<>(), System.nanoTime(),
                deadline);
        if (!queue.offer(request)) {
            throw ServingException.queueFull(model, retryAfterSeconds);
        }
        if (deadline.bounded()) {
            DeadlineTimer.schedule(request.result(), deadline, () -> deadline.exceeded(model,
                    queue.remove(request) ? "queued" : "running"));
        }
        request.result().whenComplete((ok, error) -> {
            if (error instanceof java.util.concurrent.CancellationException) {
                queue.remove(request);
            }
        });
        growIfBacklogged();
        return request.result();
    }

    public int queueDepth() {
        return aggregator.depth();
    }

    public int workerCount() {
        return workers.size();
    }

    public int minWorkers() {
        return minWorkers;
    }

    public int maxWorkers() {
        return maxWorkers;
    }

    /**
     * Changes the pool's bounds at run time: starts workers up to {@code min}, and retires workers above
     * {@code max} once their current batch is done (nothing queued is dropped).
     */
    public void resize(int min, int max) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("need 1 <= min_worker <= max_worker, got " + min + ", " + max);
        }
        synchronized (workers) {
            minWorkers = min;
            maxWorkers = max;
            while (workers.size() < min && accepting) {
                addWorker();
            }
            for (int i = workers.size() - 1; i >= max; i--) {
                workers.remove(i).retire();
            }
        }
    }

    /** Stops accepting, lets workers finish what was queued within {@code grace}, fails the rest with 503. */
    public void drain(Duration grace) {
        accepting = false;
        long deadline = System.nanoTime() + grace.toNanos();
        for (BatchWorker<I, O> worker : workers) {
            worker.stopWhenIdle();
        }
        for (BatchWorker<I, O> worker : workers) {
            worker.awaitExit(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        for (BatchWorker<I, O> worker : workers) {
            worker.interrupt();
        }
        for (PendingRequest<I, O> left : aggregator.removeAll()) {
            left.result().completeExceptionally(ServingException.notReady(model, "shut down", retryAfterSeconds));
        }
    }

    @Override
    public void close() {
        drain(Duration.ofSeconds(30));
    }

    void growIfBacklogged() {
        if (workers.size() < maxWorkers && aggregator.depth() > 1) {
            synchronized (workers) {
                if (workers.size() < maxWorkers && accepting) {
                    addWorker();
                }
            }
        }
    }

    private void addWorker() {
        BatchWorker<I, O> worker = new BatchWorker<>(model, started.getAndIncrement(), aggregator, processors, metrics,
                this, busy);
        workers.add(worker);
        worker.start();
        LOG.debugf("model %s: worker %d started", model, workers.size());
    }

    static ServingException engineFailure(String model, Throwable cause) {
        return new ServingException(ErrorKind.ENGINE_FAILURE,
                "model '" + model + "' failed to run this batch: " + cause.getMessage(), null, null, cause);
    }
}
