package io.slmserve.api;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.slmserve.core.ErrorKind;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses new requests with 503 once a shutdown has passed its readiness-down delay. Quarkus' own graceful
 * shutdown still serves requests that arrive while it waits for in-flight ones (it only closes their
 * connections afterwards), so this route answers them instead: {@code quarkus.shutdown.delay} after the
 * shutdown starts, every path but the {@code /q/} probes and metrics gets a 503 with {@code Retry-After} and
 * {@code Connection: close}, while requests already in flight, streams included, run to their end.
 */
@ApplicationScoped
public class Draining {

    private final Duration delay;
    private final int retryAfterSeconds;
    private volatile long refuseFromNanos = Long.MAX_VALUE;

    public Draining(@ConfigProperty(name = "quarkus.shutdown.delay") Optional<Duration> delay,
                    io.slmserve.config.ServerConfig config) {
        this.delay = delay.orElse(Duration.ZERO);
        this.retryAfterSeconds = config.limits().retryAfterSeconds();
    }

    void onShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        refuseFromNanos = System.nanoTime() + delay.toNanos();
    }

    void install(@Observes Router router) {
        router.route().order(-300).handler(this::check);
    }

    private void check(RoutingContext rc) {
        String path = rc.request().path();
        if (System.nanoTime() - refuseFromNanos < 0 || path.startsWith("/q/")) {
            rc.next();
            return;
        }
        try (Response response = ErrorResponses.build(path, ErrorKind.MODEL_NOT_READY,
                "the server is shutting down; retry on another instance", null, retryAfterSeconds)) {
            rc.response().setStatusCode(503)
                    .putHeader("Content-Type", response.getMediaType().toString())
                    .putHeader("Retry-After", Integer.toString(retryAfterSeconds))
                    .putHeader("Connection", "close")
                    .end(Json.encode(response.getEntity()));
        }
    }
}
