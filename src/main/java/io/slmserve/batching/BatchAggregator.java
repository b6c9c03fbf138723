package io.slmserve.batching;

import io.slmserve.core.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Forms batches from a shared queue. One worker aggregates at a time (under a lock), so a request that
 * does not fit the current batch can be held back as the first of the next one without reordering.
 *
 * <p>Idle workers take requests by {@link BatchProcessor#idlePriority()}, then most-recently-finished first: a
 * worker back from a batch while another waits (or is about to wait) on an empty queue puts a handover marker in
 * the queue, and the waiting one gives the lock to it (the lock is fair) unless its own priority is higher. One
 * request at a time then stays on one worker instead of alternating: for encoders the one allowed to widen
 * (engine/CoreShare), whose libgomp team is still spinning, not the other one, whose team would be asleep or
 * spinning beside the call on a 2-core machine.
 */
final class BatchAggregator<I extends BatchInput, O> {

    /**
     * How long the waiting worker gives the one back from its batch to queue for the lock. That one only has to
     * step from the queue to the lock, but on two busy cores it may first have to be scheduled: the wait yields
     * rather than spins, so it does not hold the core the other needs (a 1 ms spin lost the handover now and
     * then under the full test suite).
     */
    private static final long HANDOVER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final BlockingQueue<PendingRequest<I, O>> queue;
    private final BatchPolicy policy;
    private final IntSupplier idleWorkers;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Handover marker: completed, so every other reader of the queue skips it as abandoned. */
    private final PendingRequest<I, O> handover = new PendingRequest<>(null, CompletableFuture.completedFuture(null),
            0L, Deadline.NONE);
    /** True while the lock holder waits for a first request. */
    private volatile boolean waitingForFirst;
    /** The idle priority of the worker that put the last handover marker. */
    private volatile int handoverPriority;
    /** A request taken from the queue that did not fit the previous batch; guarded by lock. */
    private PendingRequest<I, O> carry;

    BatchAggregator(BlockingQueue<PendingRequest<I, O>> queue, BatchPolicy policy, IntSupplier idleWorkers) {
        this.queue = queue;
        this.policy = policy;
        this.idleWorkers = idleWorkers;
    }

    /**
     * Blocks up to {@code idleWaitNanos} for a first request, then fills the batch until it is full or
     * the policy's delay has passed. Returns an empty list when nothing arrived, or when this worker handed the
     * wait over to one that has just finished a batch.
     *
     * @param afterBatch the caller has just run a batch: it takes over the wait from an idle worker
     * @param priority   the caller's {@link BatchProcessor#idlePriority()}; above 0, the caller takes the wait
     *                   over even back from an idle spell (the idle poll rotates the lock between workers)
     */
    List<PendingRequest<I, O>> next(long idleWaitNanos, boolean afterBatch, int priority)
            throws InterruptedException {
        // another worker waits for a first request, or is about to (it holds or waits for the lock)
        if ((afterBatch || priority > 0) && (waitingForFirst || lock.isLocked() || lock.hasQueuedThreads())
                && queue.isEmpty()) {
            handoverPriority = priority;
            queue.offer(handover);
        }
        lock.lockInterruptibly();
        try {
            PendingRequest<I, O> first = takeFirst(idleWaitNanos, priority);
            if (first == null) {
                return List.of();
            }
            List<PendingRequest<I, O>> batch = new ArrayList<>();
            batch.add(first);
            int rows = first.input().rows();
            int longest = first.input().longestRow();
            int target = target(queue.size() + 1, idleWorkers.getAsInt(), policy.maxRows());
            long deadline = System.nanoTime() + policy.maxDelay().toNanos();
            while (rows < target) {
                long remaining = deadline - System.nanoTime();
                PendingRequest<I, O> next = remaining > 0 ? queue.poll(remaining, TimeUnit.NANOSECONDS) : queue.poll();
                if (next == null) {
                    break;
                }
                if (next.abandoned()) {
                    continue;
                }
                int newRows = rows + next.input().rows();
                int newLongest = Math.max(longest, next.input().longestRow());
                if (newRows > policy.maxRows() || (long) newRows * newLongest > policy.maxPaddedTokens()) {
                    carry = next;
                    break;
                }
                batch.add(next);
                rows = newRows;
                longest = newLongest;
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Rows this batch aims for. While other workers are idle too, the backlog is split evenly between them
     * (one worker taking a full batch while another sits idle would leave a core unused); the last idle worker
     * fills up to the policy's maximum, waiting at most max_batch_delay.
     */
    static int target(int waiting, int idle, int maxRows) {
        if (idle <= 1) {
            return maxRows;
        }
        return Math.min(maxRows, (waiting + idle - 1) / idle);
    }

    /** Whether the worker that put the marker is (within a millisecond: it offers, then locks) queued on the lock. */
    private boolean workerQueued() {
        long until = System.nanoTime() + HANDOVER_WAIT_NANOS;
        while (!lock.hasQueuedThreads()) {
            if (System.nanoTime() - until > 0) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    /** Removes and returns every waiting request, the held-back one included (used once workers stopped). */
    List<PendingRequest<I, O>> removeAll() {
        lock.lock();
        try {
            List<PendingRequest<I, O>> left = new ArrayList<>();
            if (carry != null) {
                left.add(carry);
                carry = null;
            }
            queue.drainTo(left);
            return left;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting, the held-back one included. */
    int depth() {
        return queue.size() + (carry == null ? 0 : 1);
    }

    private PendingRequest<I, O> takeFirst(long idleWaitNanos, int priority) throws InterruptedException {
        if (carry != null) {
            PendingRequest<I, O> held = carry;
            carry = null;
            if (!held.abandoned()) {
                return held;
            }
        }
        long deadline = System.nanoTime() + idleWaitNanos;
        waitingForFirst = true;
        try {
            while (true) {
                long remaining = deadline - System.nanoTime();
                PendingRequest<I, O> first = queue.poll(Math.max(0, remaining), TimeUnit.NANOSECONDS);
                if (first == handover && handoverPriority >= priority && workerQueued()) {
                    return null; // the worker back from its batch waits for the lock: it takes over
                }
                if (first == null || !first.abandoned()) {
                    return first;
                }
            }
        } finally {
            waitingForFirst = false;
        }
    }
}
