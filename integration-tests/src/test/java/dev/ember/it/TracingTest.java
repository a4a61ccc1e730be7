package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** With traces on, an invocation's server span has Ember's load, queue and run spans as children. */
@QuarkusTest
@TestProfile(TracingProfile.class)
public class TracingTest {

    static final Duration LIMIT = Duration.ofSeconds(30);

    @Inject
    Spans spans;

    @Test
    void anInvocationIsTracedThroughTheLoadTheQueueAndTheRun() throws InterruptedException {
        // the first request loads version 1 (in the test profile nothing is warm at start)
        invoke("{\"input\": \"hello\"}");
        List<SpanData> first = spans.await(s -> server(s, 0).isPresent() && named(s, "ember.run").size() == 1,
                LIMIT);
        SpanData server = server(first, 0).orElseThrow();
        SpanData load = one(first, "ember.load");
        SpanData queue = one(first, "ember.queue");
        SpanData run = one(first, "ember.run");
        for (SpanData child : List.of(load, queue, run)) {
            assertThat(child.getTraceId()).as(child.getName()).isEqualTo(server.getTraceId());
            assertThat(child.getParentSpanId()).as(child.getName()).isEqualTo(server.getSpanId());
        }
        assertThat(attribute(load, "ember.function")).isEqualTo("embed");
        assertThat(load.getAttributes().get(AttributeKey.longKey("ember.version"))).isEqualTo(1L);
        assertThat(load.getAttributes().get(AttributeKey.longKey("ember.model.bytes"))).isPositive();
        assertThat(attribute(load, "ember.device")).isEqualTo("cpu");
        assertThat(attribute(queue, "ember.function")).isEqualTo("embed");
        assertThat(attribute(run, "ember.function")).isEqualTo("embed");
        assertThat(run.getAttributes().get(AttributeKey.longKey("ember.version"))).isEqualTo(1L);
        assertThat(run.getAttributes().get(AttributeKey.longKey("ember.batch.rows"))).isEqualTo(1L);
        assertThat(run.getAttributes().get(AttributeKey.longKey("ember.batch.requests"))).isEqualTo(1L);
        assertThat(attribute(run, "ember.device")).isEqualTo("cpu");
        // the wait comes before the run, within the request
        assertThat(queue.getEndEpochNanos()).isLessThanOrEqualTo(run.getStartEpochNanos());
        assertThat(run.getEndEpochNanos()).isLessThanOrEqualTo(server.getEndEpochNanos());

        // a warm version: a new trace with a queue wait and a run, and no load
        invoke("{\"input\": [\"one\"]}");
        List<SpanData> second = spans.await(s -> server(s, 1).isPresent() && named(s, "ember.run").size() == 2,
                LIMIT);
        String trace = server(second, 1).orElseThrow().getTraceId();
        assertThat(trace).isNotEqualTo(server.getTraceId());
        assertThat(second).filteredOn(s -> s.getTraceId().equals(trace)).extracting(SpanData::getName)
                .containsOnlyOnce("ember.queue", "ember.run").doesNotContain("ember.load");
        assertThat(named(second, "ember.load")).hasSize(1);
    }

    private static void invoke(String body) {
        given().contentType(ContentType.JSON).body(body).post("/functions/embed").then().statusCode(200);
    }

    /** The {@code n}-th server span of an invocation, in the order they ended. */
    private static Optional<SpanData> server(List<SpanData> spans, int n) {
        return spans.stream().filter(s -> s.getKind() == SpanKind.SERVER && s.getName().contains("/functions"))
                .skip(n).findFirst();
    }

    private static List<SpanData> named(List<SpanData> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).toList();
    }

    private static SpanData one(List<SpanData> spans, String name) {
        List<SpanData> found = named(spans, name);
        assertThat(found).as(name + " among " + spans).hasSize(1);
        return found.get(0);
    }

    private static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }
}
