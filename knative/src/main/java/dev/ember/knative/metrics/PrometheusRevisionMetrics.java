package dev.ember.knative.metrics;

import java.time.Clock;
import java.time.Instant;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * Reads Ember's invocation metrics per revision from Prometheus.
 *
 * <p>The contract (see the runtime's metrics): counter {@code ember_invocations_total} and histogram
 * {@code ember_invocation_duration_seconds} with tags {@code function}, {@code version}, {@code outcome} and the
 * Knative tags {@code service}, {@code configuration}, {@code revision}. All functions of a revision are
 * summed: a rollout replaces the whole revision, not one function.
 */
public final class PrometheusRevisionMetrics implements RevisionMetrics {

    static final String INVOCATIONS = "ember_invocations_total";
    static final String DURATION_BUCKETS = "ember_invocation_duration_seconds_bucket";
    static final String ERROR_OUTCOMES = "server_error|timeout";

    /** Extra label matchers as a user writes them inside braces, e.g. {@code namespace="prod",cluster="eu-1"}. */
    private static final Pattern MATCHERS = Pattern.compile(
            "\\s*[a-zA-Z_][a-zA-Z0-9_]*\\s*(=|!=|=~|!~)\\s*\"(?:[^\"\\\\]|\\\\.)*\"\\s*(,\\s*[a-zA-Z_][a-zA-Z0-9_]*\\s*(=|!=|=~|!~)\\s*\"(?:[^\"\\\\]|\\\\.)*\"\\s*)*,?\\s*");

    private final PrometheusClient prometheus;
    private final String extraMatchers;
    private final Clock clock;

    public PrometheusRevisionMetrics(PrometheusClient prometheus, String extraMatchers, Clock clock) {
        String extra = extraMatchers == null ? "" : extraMatchers.strip();
        if (!extra.isEmpty() && !MATCHERS.matcher(extra).matches()) {
            throw new IllegalArgumentException("not a list of PromQL label matchers: " + extraMatchers
                    + " (expected e.g. namespace=\"prod\",cluster=\"eu-1\")");
        }
        this.prometheus = prometheus;
        this.extraMatchers = extra.endsWith(",") ? extra.substring(0, extra.length() - 1) : extra;
        this.clock = clock;
    }

    @Override
    public RevisionSample sample(String service, String revision, SampleWindow window) throws PrometheusException {
        // one evaluation time for the three queries, so that they describe the same window
        Instant at = clock.instant();
        String selector = selector(service, revision);
        OptionalDouble requests = prometheus.queryValue(requestsQuery(selector, window), at);
        if (requests.isEmpty() || requests.getAsDouble() <= 0) {
            return RevisionSample.none(revision);
        }
        // Ember creates the error series lazily on the first error: no series means no errors, not "no data"
        double errors = prometheus.queryValue(errorsQuery(selector, window), at).orElse(0);
        // +Inf stays +Inf: the 99th percentile lies in the open top bucket, worse than any finite threshold
        OptionalDouble p99 = prometheus.queryValue(p99Query(selector, window), at);
        return new RevisionSample(revision, requests.getAsDouble(), errors, p99);
    }

    String selector(String service, String revision) {
        String own = "service=\"" + escape(service) + "\",revision=\"" + escape(revision) + "\"";
        return extraMatchers.isEmpty() ? own : own + "," + extraMatchers;
    }

    static String requestsQuery(String selector, SampleWindow window) {
        return "sum(increase(" + INVOCATIONS + "{" + selector + "}" + window.promqlRange() + "))";
    }

    static String errorsQuery(String selector, SampleWindow window) {
        return "sum(increase(" + INVOCATIONS + "{" + selector + ",outcome=~\"" + ERROR_OUTCOMES + "\"}"
                + window.promqlRange() + "))";
    }

    static String p99Query(String selector, SampleWindow window) {
        return "histogram_quantile(0.99, sum by (le) (rate(" + DURATION_BUCKETS + "{" + selector + "}"
                + window.promqlRange() + ")))";
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
