package dev.ember.runtime.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** {@code /q/health/ready}: the same readiness as {@code /v2/health/ready}. */
@Readiness
@ApplicationScoped
public class ModelsReadinessCheck implements HealthCheck {

    private final dev.ember.runtime.health.Readiness readiness;

    ModelsReadinessCheck(dev.ember.runtime.health.Readiness readiness) {
        this.readiness = readiness;
    }

    @Override
    public HealthCheckResponse call() {
        String reason = readiness.notReadyReason();
        return HealthCheckResponse.named("ember-models").status(reason == null)
                .withData("state", reason == null ? "ready" : reason).build();
    }
}
