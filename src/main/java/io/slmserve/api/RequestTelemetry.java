package io.slmserve.api;

import io.slmserve.core.ServingMetrics;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Set;

/**
 * Times every inference request from the first byte to the last, whatever its outcome (rejections by the
 * HTTP layer included), tagged with endpoint, model and status. Resources name the model with {@link #model}.
 */
@ApplicationScoped
public class RequestTelemetry {

    private static final String MODEL_KEY = "slm.model";
    private static final Set<String> TRACKED = Set.of("/v1/embeddings", "/embed", "/tokenize", "/decode", "/predict", "/fill-mask",
            "/rerank", "/generate", "/generate_stream", "/v1/completions", "/v1/chat/completions");

    private final ServingMetrics metrics;

    public RequestTelemetry(ServingMetrics metrics) {
        this.metrics = metrics;
    }

    void install(@Observes Router router) {
        router.route().order(-100).handler(rc -> {
            String path = rc.request().path();
            if (TRACKED.contains(path)) {
                long start = System.nanoTime();
                rc.addBodyEndHandler(done -> metrics.request(path, rc.get(MODEL_KEY),
                        rc.response().getStatusCode(), System.nanoTime() - start));
            }
            rc.next();
        });
    }

    /** Records which model served the request, for the duration metric's tag. */
    static void model(RoutingContext rc, String modelId) {
        rc.put(MODEL_KEY, modelId);
    }
}
