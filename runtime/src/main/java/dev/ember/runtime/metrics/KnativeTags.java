package dev.ember.runtime.metrics;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * Tags every meter with the Knative service, configuration and revision (K_SERVICE, K_CONFIGURATION, K_REVISION;
 * "local" outside Knative): the revision tag is what a rollout compares.
 */
public class KnativeTags {

    @Produces
    @Singleton
    MeterFilter knativeCommonTags() {
        return MeterFilter.commonTags(io.micrometer.core.instrument.Tags.of(
                "service", env("K_SERVICE"),
                "configuration", env("K_CONFIGURATION"),
                "revision", env("K_REVISION")));
    }

    private static String env(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(s -> !s.isBlank()).orElse("local");
    }
}
