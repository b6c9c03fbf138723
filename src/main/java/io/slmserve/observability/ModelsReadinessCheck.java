package io.slmserve.observability;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.ModelState;
import io.slmserve.registry.ModelEntry;
import io.slmserve.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once every model folder has finished loading (each READY model has run a warm-up forward pass) and at
 * least one is READY. A FAILED model keeps readiness DOWN only with slm.health.fail-on-model-error=true; the
 * check's data lists every model's state either way.
 */
@Readiness
@ApplicationScoped
public class ModelsReadinessCheck implements HealthCheck {

    private final ModelRegistry registry;
    private final boolean failOnModelError;

    public ModelsReadinessCheck(ModelRegistry registry, ServerConfig config) {
        this.registry = registry;
        this.failOnModelError = config.health().failOnModelError();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("models");
        boolean anyReady = false;
        boolean anyFailed = false;
        for (ModelEntry entry : registry.all()) {
            builder.withData(entry.id(), entry.state().name());
            anyReady |= entry.state() == ModelState.READY;
            anyFailed |= entry.state() == ModelState.FAILED;
        }
        boolean up = registry.settled() && anyReady && !(failOnModelError && anyFailed);
        return builder.status(up).build();
    }
}
