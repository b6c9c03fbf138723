package io.slmserve.api;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.Deadline;
import io.slmserve.core.ErrorKind;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.time.Duration;

/**
 * Fixes each request's deadline when it arrives: {@code X-Request-Timeout} in seconds (decimals allowed, e.g.
 * {@code 2.5}; {@code 0} means none), else {@code slm.limits.request-timeout}. A malformed or too large value is
 * a 400 before any work. Resources read it with {@link #of}.
 */
@ApplicationScoped
public class RequestDeadlines {

    static final String HEADER = "X-Request-Timeout";
    private static final String KEY = "slm.deadline";

    private final Duration defaultTimeout;
    private final Duration maxTimeout;

    public RequestDeadlines(ServerConfig config) {
        this.defaultTimeout = config.limits().requestTimeout();
        this.maxTimeout = config.limits().maxRequestTimeout();
    }

    void install(@Observes Router router) {
        router.route().order(-50).handler(this::assign);
    }

    /** The request's deadline; none when the route handler did not run (e.g. a test calling a resource). */
    static Deadline of(RoutingContext rc) {
        Deadline deadline = rc == null ? null : rc.get(KEY);
        return deadline == null ? Deadline.NONE : deadline;
    }

    private void assign(RoutingContext rc) {
        String given = rc.request().getHeader(HEADER);
        Duration timeout = defaultTimeout;
        if (given != null) {
            timeout = parse(given.trim());
            if (timeout == null) {
                reject(rc, HEADER + " must be a number of seconds between 0 and " + maxTimeout.toSeconds()
                        + " (0 = no deadline), got '" + abbreviate(given) + "'");
                return;
            }
        }
        rc.put(KEY, Deadline.after(timeout));
        rc.next();
    }

    private Duration parse(String value) {
        try {
            BigDecimal seconds = new BigDecimal(value);
            if (seconds.signum() < 0 || seconds.compareTo(BigDecimal.valueOf(maxTimeout.toMillis(), 3)) > 0) {
                return null;
            }
            return Duration.ofMillis(seconds.movePointRight(3).longValue());
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    private static String abbreviate(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }

    private static void reject(RoutingContext rc, String message) {
        try (Response response = ErrorResponses.build(rc.request().path(), ErrorKind.INVALID_REQUEST, message,
                HEADER, null)) {
            rc.response().setStatusCode(400)
                    .putHeader("Content-Type", response.getMediaType().toString())
                    .end(Json.encode(response.getEntity()));
        }
    }
}
