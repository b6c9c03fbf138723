package io.slmserve.generation;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The bounded FIFO of sequences waiting for a cache slot, shared by a model's workers. One lock guards it, so
 * a worker can look at the head, check it against its token budget and take it in one move; a request's
 * several sequences (n > 1) enter together or not at all.
 *
 * <p>The capacity bounds the sequences that must wait for a slot, not those about to take an idle one: a
 * burst that arrives before a worker wakes up is not refused while slots sit idle. So the count of running
 * sequences is raised here, under the same lock as the capacity check, when a worker takes one; the worker
 * lowers it when the sequence leaves its slot.
 */
final class WaitingQueue {

    private final ArrayDeque<Sequence> queue = new ArrayDeque<>();
    private final int capacity;
    private final int slots;
    private final AtomicInteger running;
    private boolean closed;

    /**
     * @param slots   cache slots over all workers
     * @param running sequences holding a slot, shared with the workers
     */
    WaitingQueue(int capacity, int slots, AtomicInteger running) {
        this.capacity = capacity;
        this.slots = slots;
        this.running = running;
    }

    /** False when more than the capacity would still wait once idle slots are taken (or closed): 429. */
    synchronized boolean offerAll(List<Sequence> sequences) {
        int idle = Math.max(0, slots - running.get());
        if (closed || queue.size() + sequences.size() > capacity + idle) {
            return false;
        }
        queue.addAll(sequences);
        notifyAll();
        return true;
    }

    /**
     * The head, if it fits (token budget, free slots); null otherwise (order is kept: nothing jumps the queue). A
     * sequence taken counts as running from here on: the caller gives it its slots, or lowers the count itself.
     */
    synchronized Sequence pollIf(Predicate<Sequence> fits) {
        Sequence head = queue.peek();
        if (head == null || !fits.test(head)) {
            return null;
        }
        running.incrementAndGet();
        return queue.poll();
    }

    /** Blocks until something waits, the timeout passes or the queue closes. */
    synchronized void awaitWork(long millis) throws InterruptedException {
        if (queue.isEmpty() && !closed) {
            wait(millis);
        }
    }

    /** Takes out every waiting sequence whose deadline passed (the queue is short: job_queue_size). */
    synchronized List<Sequence> removeExpired(long nowNanos) {
        List<Sequence> expired = null;
        for (java.util.Iterator<Sequence> it = queue.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.expired(nowNanos)) {
                it.remove();
                if (expired == null) {
                    expired = new java.util.ArrayList<>();
                }
                expired.add(s);
            }
        }
        return expired == null ? List.of() : expired;
    }

    synchronized boolean remove(Sequence sequence) {
        return queue.remove(sequence);
    }

    synchronized int size() {
        return queue.size();
    }

    /** Refuses new work and hands back whatever still waits. */
    synchronized List<Sequence> close() {
        closed = true;
        List<Sequence> left = List.copyOf(queue);
        queue.clear();
        notifyAll();
        return left;
    }
}
