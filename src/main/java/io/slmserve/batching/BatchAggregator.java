package io.slmserve.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Forms batches from a shared queue. One worker aggregates at a time (under a lock), so a request that
 * does not fit the current batch can be held back as the first of the next one without reordering.
 */
final class BatchAggregator<I extends BatchInput, O> {

    private final BlockingQueue<PendingRequest<I, O>> queue;
    private final BatchPolicy policy;
    private final IntSupplier idleWorkers;
    private final ReentrantLock lock = new ReentrantLock();
    /** A request taken from the queue that did not fit the previous batch; guarded by lock. */
    private PendingRequest<I, O> carry;

    BatchAggregator(BlockingQueue<PendingRequest<I, O>> queue, BatchPolicy policy, IntSupplier idleWorkers) {
        this.queue = queue;
        this.policy = policy;
        this.idleWorkers = idleWorkers;
    }

    /**
     * Blocks up to {@code idleWaitNanos} for a first request, then fills the batch until it is full or
     * the policy's delay has passed. Returns an empty list when nothing arrived.
     */
    List<PendingRequest<I, O>> next(long idleWaitNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            PendingRequest<I, O> first = takeFirst(idleWaitNanos);
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

    private PendingRequest<I, O> takeFirst(long idleWaitNanos) throws InterruptedException {
        if (carry != null) {
            PendingRequest<I, O> held = carry;
            carry = null;
            if (!held.abandoned()) {
                return held;
            }
        }
        long deadline = System.nanoTime() + idleWaitNanos;
        while (true) {
            long remaining = deadline - System.nanoTime();
            PendingRequest<I, O> first = queue.poll(Math.max(0, remaining), TimeUnit.NANOSECONDS);
            if (first == null || !first.abandoned()) {
                return first;
            }
        }
    }
}
