package dev.ember.knative.cli;

import dev.ember.knative.metrics.PrometheusClient;
import dev.ember.knative.metrics.PrometheusRevisionMetrics;
import dev.ember.knative.metrics.RevisionMetrics;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** Where the gates read Ember's metrics. */
final class PrometheusOptions {

    @Option(names = "--prometheus-url", defaultValue = "${env:EMBER_PROMETHEUS_URL:-http://localhost:9090}",
            description = "Base URL of the Prometheus HTTP API (env EMBER_PROMETHEUS_URL; default: ${DEFAULT-VALUE}),"
                    + " e.g. via `kubectl port-forward -n monitoring svc/prometheus 9090`.")
    URI url;

    @Option(names = "--prometheus-selector", defaultValue = "",
            description = "Extra label matchers added to every query, e.g. namespace=\"prod\" when several"
                    + " namespaces run a Service of the same name.")
    String selector;

    @Option(names = "--prometheus-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "Timeout of one Prometheus query (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--prometheus-token-file",
            description = "File holding a bearer token for Prometheus (e.g. a ServiceAccount token).")
    Path tokenFile;

    RevisionMetrics metrics(Clock clock) {
        Optional<String> token = Optional.ofNullable(tokenFile).map(f -> {
            try {
                return Files.readString(f, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read --prometheus-token-file " + f, e);
            }
        });
        return new PrometheusRevisionMetrics(new PrometheusClient(url, timeout, token), selector, clock);
    }
}
