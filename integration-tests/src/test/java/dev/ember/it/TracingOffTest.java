package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** With the shipped configuration traces are off: Ember starts no span and none is exported. */
@QuarkusTest
public class TracingOffTest {

    @Inject
    Spans spans;

    @Inject
    OpenTelemetry openTelemetry;

    @Inject
    Tracing tracing;

    @Test
    void nothingIsTracedByDefault() {
        given().contentType(ContentType.JSON).body("{\"input\": \"hello\"}").post("/functions/embed").then()
                .statusCode(200);
        assertThat(tracing.enabled()).isFalse();
        // were the SDK on, its batch processor would export the request's spans now
        assertThat(openTelemetry).isInstanceOf(OpenTelemetrySdk.class);
        assertThat(((OpenTelemetrySdk) openTelemetry).getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS)
                .isSuccess()).isTrue();
        assertThat(spans.all()).isEmpty();
    }

    @Test
    void spansWouldGoOverHttpToACollectorsHttpPort() {
        var config = ConfigProvider.getConfig();
        assertThat(config.getValue("quarkus.otel.exporter.otlp.traces.protocol", String.class))
                .isEqualTo("http/protobuf");
        assertThat(config.getValue("quarkus.otel.exporter.otlp.traces.endpoint", String.class))
                .isEqualTo("http://localhost:4318");
    }
}
