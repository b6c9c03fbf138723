package io.slmserve.batching;

import io.slmserve.core.Deadline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Fails a request's future when its deadline passes. One daemon thread for the whole process; a timer whose
 * future completed first is cancelled and removed at once, so finished requests hold no memory here.
 */
final class DeadlineTimer {

    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread thread = new Thread(r, "slm-deadlines");
        thread.setDaemon(true);
        return thread;
    });

    static {
        TIMER.setRemoveOnCancelPolicy(true);
    }

    private DeadlineTimer() {
    }

    static void schedule(CompletableFuture<?> future, Deadline deadline, Supplier<? extends Throwable> error) {
        ScheduledFuture<?> task = TIMER.schedule(() -> {
            if (!future.isDone()) {
                future.completeExceptionally(error.get());
            }
        }, deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        future.whenComplete((ok, e) -> task.cancel(false));
    }
}
