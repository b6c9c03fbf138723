package io.slmserve.observability;

import io.slmserve.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started once the models folder was scanned and loading began; loading itself is readiness's business. */
@Startup
@ApplicationScoped
public class ModelsStartupCheck implements HealthCheck {

    private final ModelRegistry registry;

    public ModelsStartupCheck(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model-scan").status(registry.scanned()).build();
    }
}
