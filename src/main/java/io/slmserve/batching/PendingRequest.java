package io.slmserve.batching;

import java.util.concurrent.CompletableFuture;

/** A queued request and the future its caller waits on. */
record PendingRequest<I extends BatchInput, O>(I input, CompletableFuture<O> result, long enqueuedNanos) {

    /** A caller that gave up (cancelled future) is skipped instead of computed. */
    boolean abandoned() {
        return result.isDone();
    }
}
