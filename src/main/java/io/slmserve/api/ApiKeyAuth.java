package io.slmserve.api;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.ErrorKind;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Optional API keys: when {@code slm.auth.api-keys} is set, every request except health probes, the OpenAPI
 * document and (unless protected) metrics needs {@code Authorization: Bearer KEY}, else 401 in the caller's
 * error shape. Runs before anything reads the body.
 */
@ApplicationScoped
public class ApiKeyAuth {

    private final List<byte[]> keys;
    private final boolean protectMetrics;

    public ApiKeyAuth(ServerConfig config) {
        this.keys = config.auth().apiKeys().orElse(List.of()).stream()
                .filter(k -> !k.isBlank()).map(k -> k.trim().getBytes(StandardCharsets.UTF_8)).toList();
        this.protectMetrics = config.auth().protectMetrics();
    }

    void install(@Observes Router router) {
        if (!keys.isEmpty()) {
            router.route().order(-300).handler(this::check);
        }
    }

    private void check(RoutingContext rc) {
        String path = rc.request().path();
        if (isOpen(path) || accepted(rc.request().getHeader("Authorization"))) {
            rc.next();
            return;
        }
        try (Response response = ErrorResponses.build(path, ErrorKind.UNAUTHORIZED,
                "missing or invalid API key; send Authorization: Bearer <key>", null, null)) {
            rc.response().setStatusCode(401)
                    .putHeader("WWW-Authenticate", "Bearer")
                    .putHeader("Content-Type", response.getMediaType().toString())
                    .end(Json.encode(response.getEntity()));
        }
    }

    private boolean isOpen(String path) {
        if (path.startsWith("/q/health") || path.startsWith("/q/openapi")) {
            return true;
        }
        return path.startsWith("/q/metrics") && !protectMetrics;
    }

    private boolean accepted(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(key, presented);
        }
        return match;
    }
}
