package io.slmserve.batching;

import io.slmserve.core.Deadline;
import java.util.concurrent.CompletableFuture;

/** A queued request, the future its caller waits on, and when it stops being worth computing. */
record PendingRequest<I extends BatchInput, O>(I input, CompletableFuture<O> result, long enqueuedNanos,
                                               Deadline deadline) {

    /** A caller that gave up (cancelled future, or answered 504 at its deadline) is skipped instead of computed. */
    boolean abandoned() {
        return result.isDone();
    }
}
