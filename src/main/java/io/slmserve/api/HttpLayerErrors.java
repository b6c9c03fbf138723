package io.slmserve.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.slmserve.core.ErrorKind;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers a body over the payload limit with 413 and the same error body as every other error. The HTTP
 * layer would otherwise reply with an empty 413; this route runs first and checks Content-Length. (A chunked
 * body without Content-Length that grows past the limit still gets the HTTP layer's bare 413.)
 */
@ApplicationScoped
public class HttpLayerErrors {

    private final long maxBodyBytes;

    public HttpLayerErrors(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        this.maxBodyBytes = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(-200).handler(this::checkLength);
    }

    private void checkLength(RoutingContext rc) {
        String length = rc.request().getHeader("Content-Length");
        if (length != null && isOver(length)) {
            String path = rc.request().path();
            try (Response response = ErrorResponses.build(path, ErrorKind.PAYLOAD_TOO_LARGE,
                    "request body has " + length + " bytes; the limit is " + maxBodyBytes, null, null)) {
                rc.response().setStatusCode(413)
                        .putHeader("Content-Type", response.getMediaType().toString())
                        .putHeader("Connection", "close")
                        .end(Json.encode(response.getEntity()));
            }
            return;
        }
        rc.next();
    }

    private boolean isOver(String length) {
        try {
            return Long.parseLong(length.trim()) > maxBodyBytes;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
