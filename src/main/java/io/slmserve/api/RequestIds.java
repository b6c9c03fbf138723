package io.slmserve.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;

/**
 * Gives every request an id: the caller's X-Request-Id when it is sane, else a new UUID. It is echoed in the
 * response header and put in the logging MDC as {@code requestId}, so log lines of one request can be found.
 */
@ApplicationScoped
public class RequestIds {

    static final String HEADER = "X-Request-Id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    void install(@Observes Router router) {
        router.route().order(-400).handler(this::assign);
    }

    private void assign(RoutingContext rc) {
        String given = rc.request().getHeader(HEADER);
        String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
        rc.response().putHeader(HEADER, id);
        MDC.put("requestId", id);
        rc.addEndHandler(done -> MDC.remove("requestId"));
        rc.next();
    }
}
