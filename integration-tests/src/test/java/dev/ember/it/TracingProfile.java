package dev.ember.it;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Traces on, exported only to the in-memory {@link Spans} exporter: no OTLP exporter, no collector. */
public class TracingProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("quarkus.otel.sdk.disabled", "false",
                "quarkus.otel.exporter.otlp.enabled", "false",
                // each span is exported as it ends, not in batches every 5 s
                "quarkus.otel.simple", "true");
    }
}
