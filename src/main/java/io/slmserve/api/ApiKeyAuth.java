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
 * document, the playground page and its static assets, and (unless protected) metrics needs
 * {@code Authorization: Bearer KEY}, else 401 in the caller's error shape. The page holds no data: it asks for
 * the key and sends it with every API call it makes. When {@code slm.auth.admin-key} is set, the management verbs need that key. Runs before anything
 * reads the body.
 */
@ApplicationScoped
public class ApiKeyAuth {

    private final List<byte[]> keys;
    private final List<byte[]> adminKeys;
    private final boolean protectMetrics;

    public ApiKeyAuth(ServerConfig config) {
        this.keys = bytes(config.auth().apiKeys().orElse(List.of()));
        this.adminKeys = bytes(config.auth().adminKey().map(List::of).orElse(List.of()));
        this.protectMetrics = config.auth().protectMetrics();
    }

    private static List<byte[]> bytes(List<String> keys) {
        return keys.stream().filter(k -> !k.isBlank()).map(k -> k.trim().getBytes(StandardCharsets.UTF_8)).toList();
    }

    void install(@Observes Router router) {
        if (!keys.isEmpty() || !adminKeys.isEmpty()) {
            router.route().order(-300).handler(this::check);
        }
    }

    private void check(RoutingContext rc) {
        // The path the router matches ("/playground/../models" is "/models"), not the raw one.
        String path = rc.normalizedPath();
        String header = rc.request().getHeader("Authorization");
        if (!adminKeys.isEmpty() && isManagement(rc.request().method().name(), path)) {
            if (accepted(header, adminKeys)) {
                rc.next();
            } else {
                reject(rc, path, "management needs the admin key; send Authorization: Bearer <admin key>");
            }
            return;
        }
        if (keys.isEmpty() || isOpen(rc.request().method().name(), path) || accepted(header, keys)) {
            rc.next();
            return;
        }
        reject(rc, path, "missing or invalid API key; send Authorization: Bearer <key>");
    }

    private static boolean isManagement(String method, String path) {
        return !method.equals("GET") && !method.equals("HEAD") && (path.equals("/models") || path.startsWith("/models/"));
    }

    private void reject(RoutingContext rc, String path, String message) {
        try (Response response = ErrorResponses.build(path, ErrorKind.UNAUTHORIZED, message, null, null)) {
            rc.response().setStatusCode(401)
                    .putHeader("WWW-Authenticate", "Bearer")
                    .putHeader("Content-Type", response.getMediaType().toString())
                    .end(Json.encode(response.getEntity()));
        }
    }

    private boolean isOpen(String method, String path) {
        if (path.startsWith("/q/health") || path.startsWith("/q/openapi")) {
            return true;
        }
        // POST / is an inference route (TGI/TEI compatibility); only the page at GET / is open.
        if (path.equals("/")) {
            return method.equals("GET") || method.equals("HEAD");
        }
        if (path.equals("/index.html") || path.startsWith("/playground/")) {
            return true;
        }
        return path.startsWith("/q/metrics") && !protectMetrics;
    }

    private static boolean accepted(String header, List<byte[]> accepted) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : accepted) {
            match |= MessageDigest.isEqual(key, presented);
        }
        return match;
    }
}
