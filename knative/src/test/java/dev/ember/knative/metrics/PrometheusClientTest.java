package dev.ember.knative.metrics;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalDouble;

import static dev.ember.knative.metrics.CannedPrometheus.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Prometheus HTTP API client and Ember's revision queries, against canned JSON on loopback. */
class PrometheusClientTest {

    private static final Instant NOW = Instant.parse("2026-11-24T10:15:04.250Z");

    @Test
    void anInstantVectorIsReadWithItsLabelsAtTheGivenTime() throws Exception {
        String body = """
                {"status":"success","data":{"resultType":"vector","result":[
                  {"metric":{"revision":"embed-00001","outcome":"success"},"value":[1764000000.5,"123.5"]}]}}""";
        try (CannedPrometheus prometheus = new CannedPrometheus(q -> new CannedPrometheus.Answer(200, body))) {
            PrometheusClient client = client(prometheus, Optional.of("s3cret"));

            var samples = client.query("sum(ember_invocations_total)", NOW);

            assertThat(samples).singleElement().satisfies(s -> {
                assertThat(s.labels()).containsEntry("revision", "embed-00001").containsEntry("outcome", "success");
                assertThat(s.value()).isEqualTo(123.5);
            });
            CannedPrometheus.Received received = prometheus.received().get(0);
            assertThat(received.query()).isEqualTo("sum(ember_invocations_total)");
            assertThat(received.time()).isEqualTo("1795515304.250");
            assertThat(received.headers().get("Authorization")).containsExactly("Bearer s3cret");
        }
    }

    @Test
    void noDataIsEmptyAndNanIsNoValue() throws Exception {
        try (CannedPrometheus prometheus = new CannedPrometheus(q -> q.startsWith("histogram_quantile")
                ? vector("NaN") : q.contains("inf") ? vector("+Inf") : q.contains("scalar")
                ? new CannedPrometheus.Answer(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"0.25\"]}}")
                : vector())) {
            PrometheusClient client = client(prometheus, Optional.empty());

            assertThat(client.queryValue("sum(absent_metric)", NOW)).isEmpty();
            assertThat(client.queryValue("histogram_quantile(0.99, x)", NOW)).isEmpty();
            assertThat(client.queryValue("inf", NOW)).isEqualTo(OptionalDouble.of(Double.POSITIVE_INFINITY));
            assertThat(client.queryValue("scalar(1)", NOW)).isEqualTo(OptionalDouble.of(0.25));
            assertThat(prometheus.received().get(0).headers()).doesNotContainKey("Authorization");
        }
    }

    @Test
    void errorsNameTheQueryAndWhatWentWrong() throws Exception {
        try (CannedPrometheus prometheus = new CannedPrometheus(q -> switch (q) {
            case "bad(" -> new CannedPrometheus.Answer(400,
                    "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error: unclosed left parenthesis\"}");
            case "busy" -> new CannedPrometheus.Answer(503, "Service Unavailable");
            case "matrix" -> new CannedPrometheus.Answer(200,
                    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}");
            default -> vector("1", "2");
        })) {
            PrometheusClient client = client(prometheus, Optional.empty());

            assertThatThrownBy(() -> client.query("bad(", NOW)).isInstanceOf(PrometheusException.class)
                    .hasMessage("Prometheus rejected bad( (HTTP 400): bad_data: parse error: unclosed left parenthesis");
            assertThatThrownBy(() -> client.query("busy", NOW)).isInstanceOf(PrometheusException.class)
                    .hasMessageContaining("HTTP 503 with a body that is not JSON for busy");
            assertThatThrownBy(() -> client.query("matrix", NOW)).hasMessageContaining("unsupported result type 'matrix'");
            assertThatThrownBy(() -> client.queryValue("two", NOW)).hasMessageContaining("expected at most one series");
        }
    }

    @Test
    void anUnreachablePrometheusIsAnExceptionNotAHang() throws Exception {
        CannedPrometheus stopped = new CannedPrometheus(q -> vector());
        PrometheusClient client = client(stopped, Optional.empty());
        stopped.close();
        assertThatThrownBy(() -> client.query("up", NOW)).isInstanceOf(PrometheusException.class)
                .hasMessageContaining("unreachable");
    }

    @Test
    void revisionMetricsQueryEmbersMetricsByRevision() throws Exception {
        try (CannedPrometheus prometheus = new CannedPrometheus(q -> {
            if (q.startsWith("histogram_quantile")) {
                return vector("0.0415");
            }
            // no error series exists until Ember's first error: an empty result, not "no data"
            return q.contains("outcome=~") ? vector() : vector("1200");
        })) {
            PrometheusRevisionMetrics metrics = new PrometheusRevisionMetrics(client(prometheus, Optional.empty()),
                    "namespace=\"prod\"", Clock.fixed(NOW, ZoneOffset.UTC));

            RevisionSample sample = metrics.sample("embed", "embed-00002",
                    new SampleWindow(Duration.ofMinutes(2), Duration.ofSeconds(95)));

            assertThat(sample.requests()).isEqualTo(1200);
            assertThat(sample.errors()).isZero();
            assertThat(sample.p99Seconds()).hasValue(0.0415);
            assertThat(prometheus.received()).extracting(CannedPrometheus.Received::query).containsExactly(
                    "sum(increase(ember_invocations_total{service=\"embed\",revision=\"embed-00002\",namespace=\"prod\"}[120s] offset 95s))",
                    "sum(increase(ember_invocations_total{service=\"embed\",revision=\"embed-00002\",namespace=\"prod\","
                            + "outcome=~\"server_error|timeout\"}[120s] offset 95s))",
                    "histogram_quantile(0.99, sum by (le) (rate(ember_invocation_duration_seconds_bucket"
                            + "{service=\"embed\",revision=\"embed-00002\",namespace=\"prod\"}[120s] offset 95s)))");
            assertThat(prometheus.received()).extracting(CannedPrometheus.Received::time).containsOnly("1795515304.250");
        }
    }

    @Test
    void aRevisionWithoutRequestsIsNoDataAndNeedsOneQuery() throws Exception {
        try (CannedPrometheus prometheus = new CannedPrometheus(q -> vector())) {
            PrometheusRevisionMetrics metrics = new PrometheusRevisionMetrics(client(prometheus, Optional.empty()), "",
                    Clock.fixed(NOW, ZoneOffset.UTC));
            RevisionSample sample = metrics.sample("embed", "embed-00002", SampleWindow.last(Duration.ofSeconds(30)));
            assertThat(sample.requests()).isZero();
            assertThat(sample.p99Seconds()).isEmpty();
            assertThat(prometheus.received()).hasSize(1);
        }
    }

    @Test
    void extraMatchersMustBeMatchers() {
        PrometheusClient client = new PrometheusClient(java.net.URI.create("http://127.0.0.1:9"), Duration.ofSeconds(1),
                Optional.empty());
        assertThatThrownBy(() -> new PrometheusRevisionMetrics(client, "namespace=prod", Clock.systemUTC()))
                .hasMessageContaining("not a list of PromQL label matchers");
        assertThat(new PrometheusRevisionMetrics(client, "namespace=\"prod\", cluster=~\"eu-.*\"", Clock.systemUTC())
                .selector("embed", "embed-1")).isEqualTo("service=\"embed\",revision=\"embed-1\",namespace=\"prod\", cluster=~\"eu-.*\"");
    }

    private static PrometheusClient client(CannedPrometheus prometheus, Optional<String> token) {
        return new PrometheusClient(prometheus.uri(), Duration.ofSeconds(5), token);
    }
}
