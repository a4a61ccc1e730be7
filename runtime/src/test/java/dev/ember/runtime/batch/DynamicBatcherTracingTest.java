package dev.ember.runtime.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.onnx.SessionFactory;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.testing.RecordedSpans;
import dev.ember.runtime.testing.TestBeans;
import dev.ember.runtime.tracing.Tracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A batch serves requests of several traces: each trace gets its own queue and run spans, on the worker's thread. */
class DynamicBatcherTracingTest {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // the simple processor exports each span on the thread that ends it
    final RecordedSpans exported = new RecordedSpans();
    final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exported)).build()).build();
    LoadedModel model;

    @AfterEach
    void close() {
        if (model != null) {
            model.close();
        }
        sdk.close();
    }

    @Test
    void eachRequestOfABatchHasItsQueueAndRunSpansInItsOwnTrace() throws Exception {
        SessionFactory sessions = TestBeans.create(SessionFactory.class,
                TestConfig.ember(Map.of("ember.device", "cpu")), registry);
        model = sessions.create(new ModelId("linear", 1), FixtureModels.linear());
        Tracing tracing = Tracing.of(sdk);
        DynamicBatcherTest.GatedExecutor gate = new DynamicBatcherTest.GatedExecutor();
        DynamicBatcher batcher = new DynamicBatcher(new ModelId("linear", 1),
                DynamicBatcherTest.settings(8, 16, 1, false), gate, registry, tracing);

        Span a = sdk.getTracer("test").spanBuilder("request a").startSpan();
        Span b = sdk.getTracer("test").spanBuilder("request b").startSpan();
        List<CompletableFuture<Map<String, Tensor>>> answers = new ArrayList<>();
        for (Span request : List.of(a, b)) {
            // submitted on the request's thread, with its span current; run later on the batcher's worker
            try (Scope scope = request.makeCurrent()) {
                answers.add(batcher.submit(model, ModelCall.of(Map.of("x", Tensor.ofFloats(new long[] {1, 4},
                        new float[] {1, 2, 3, 4})), outputs -> outputs), Map.of(),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(60)));
            }
        }
        gate.open();
        for (CompletableFuture<Map<String, Tensor>> answer : answers) {
            answer.get(60, TimeUnit.SECONDS);
        }

        for (Span request : List.of(a, b)) {
            String trace = request.getSpanContext().getTraceId();
            List<SpanData> own = exported.all().stream().filter(s -> s.getTraceId().equals(trace)).toList();
            assertThat(own).extracting(SpanData::getName).containsExactlyInAnyOrder("ember.queue", "ember.run");
            assertThat(own).allSatisfy(s -> {
                assertThat(s.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
                assertThat(s.getAttributes().get(AttributeKey.stringKey("ember.function"))).isEqualTo("linear");
                assertThat(s.getAttributes().get(AttributeKey.longKey("ember.version"))).isEqualTo(1L);
            });
            SpanData run = own.stream().filter(s -> s.getName().equals("ember.run")).findFirst().orElseThrow();
            assertThat(run.getAttributes().get(AttributeKey.longKey("ember.batch.rows"))).isEqualTo(2L);
            assertThat(run.getAttributes().get(AttributeKey.longKey("ember.batch.requests"))).isEqualTo(2L);
            assertThat(run.getAttributes().get(AttributeKey.stringKey("ember.device"))).isEqualTo("cpu");
        }
        assertThat(exported.all()).hasSize(4);
    }

    @Test
    void offItCapturesNoContextAndStartsNoSpan() {
        Span request = sdk.getTracer("test").spanBuilder("request").startSpan();
        try (Scope scope = request.makeCurrent()) {
            assertThat(Tracing.OFF.enabled()).isFalse();
            assertThat(Tracing.OFF.current()).isSameAs(Tracing.Parent.NONE);
            assertThat(Tracing.OFF.start("ember.run", Tracing.Parent.NONE)).isSameAs(Tracing.Span.NONE);
            assertThat(Tracing.OFF.startedAt("ember.queue", Tracing.Parent.NONE, System.nanoTime()))
                    .isSameAs(Tracing.Span.NONE);
        }
    }
}
