package io.slmserve.api;

import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;

/**
 * Notices a client that closed its connection before its answer was ready, and cancels the work. Vert.x drops
 * writes to a closed connection silently and the REST layer owns the response's close handler, so the
 * connection state is polled (as {@link SseWriter} does), every {@value #POLL_MS} ms while the work runs.
 */
final class ClientGone {

    static final long POLL_MS = 50;

    private ClientGone() {
    }

    /** Cancels {@code work} (which must cancel the generation it stands for) once the client is gone. */
    static <T> CompletableFuture<T> cancelOnDisconnect(RoutingContext rc, CompletableFuture<T> work) {
        if (rc == null || work.isDone()) {
            return work;
        }
        long timer = rc.vertx().setPeriodic(POLL_MS, id -> {
            if (work.isDone()) {
                rc.vertx().cancelTimer(id);
            } else if (rc.response().closed()) {
                rc.vertx().cancelTimer(id);
                work.cancel(false);
            }
        });
        work.whenComplete((ok, e) -> rc.vertx().cancelTimer(timer));
        return work;
    }
}
