package io.slmserve.api;

import io.slmserve.core.ServingMetrics;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Times every inference request from the first byte to the last, whatever its outcome (rejections by the
 * HTTP layer included), tagged with endpoint, model and status. Resources name the model with {@link #model}.
 * At DEBUG on the {@code io.slmserve.requests} category it also logs one line per request, which carries the
 * request id like every line logged while the request runs.
 */
@ApplicationScoped
public class RequestTelemetry {

    private static final Logger REQUESTS = Logger.getLogger("io.slmserve.requests");
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
                rc.addBodyEndHandler(done -> {
                    long nanos = System.nanoTime() - start;
                    String model = rc.get(MODEL_KEY);
                    int status = rc.response().getStatusCode();
                    metrics.request(path, model, status, nanos);
                    if (REQUESTS.isDebugEnabled()) {
                        REQUESTS.debugf("%s %s %d %.1f ms model=%s", rc.request().method().name(), path, status,
                                nanos / 1e6, model == null ? "-" : model);
                    }
                });
            }
            rc.next();
        });
    }

    /** Records which model served the request, for the duration metric's tag. */
    static void model(RoutingContext rc, String modelId) {
        rc.put(MODEL_KEY, modelId);
    }
}
