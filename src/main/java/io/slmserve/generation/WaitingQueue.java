package io.slmserve.generation;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Predicate;

/**
 * The bounded FIFO of sequences waiting for a cache slot, shared by a model's workers. One lock guards it, so
 * a worker can look at the head, check it against its token budget and take it in one move; a request's
 * several sequences (n > 1) enter together or not at all.
 */
final class WaitingQueue {

    private final ArrayDeque<Sequence> queue = new ArrayDeque<>();
    private final int capacity;
    private boolean closed;

    WaitingQueue(int capacity) {
        this.capacity = capacity;
    }

    /** False when the sequences do not all fit (or the queue is closed): the caller answers 429. */
    synchronized boolean offerAll(List<Sequence> sequences) {
        if (closed || queue.size() + sequences.size() > capacity) {
            return false;
        }
        queue.addAll(sequences);
        notifyAll();
        return true;
    }

    /** The head, if it fits (token budget, free slots); null otherwise (order is kept: nothing jumps the queue). */
    synchronized Sequence pollIf(Predicate<Sequence> fits) {
        Sequence head = queue.peek();
        return head != null && fits.test(head) ? queue.poll() : null;
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
