package dev.ember.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The catalogue, the README's metrics table and the Prometheus exposition agree. */
class EmberMeterTest {

    static final Pattern README_ROW = Pattern.compile("^\\| `(ember_[a-z_]+)` \\|", Pattern.MULTILINE);

    static Set<String> readmeTable() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        Set<String> names = new TreeSet<>();
        Matcher m = README_ROW.matcher(readme);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void theReadmeTableListsExactlyTheCatalogue() throws IOException {
        Set<String> catalogue = Arrays.stream(EmberMeter.values()).map(EmberMeter::prometheusName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(readmeTable()).isEqualTo(catalogue);
    }

    @Test
    void everyMeterIsExposedUnderItsCatalogueNameWithHelpAndFewBuckets() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (EmberMeter meter : EmberMeter.values()) {
            switch (meter.kind) {
                case COUNTER -> meter.counter(registry, "function", "f").increment();
                case TIMER -> meter.timer(registry, "function", "f").record(3, TimeUnit.MILLISECONDS);
                case SUMMARY -> meter.summary(registry, "function", "f").record(3);
                case GAUGE -> meter.gauge(registry, Tags.of("function", "f"), () -> 1);
            }
        }
        String scrape = registry.scrape();
        for (EmberMeter meter : EmberMeter.values()) {
            assertThat(scrape).as(meter.name()).contains("# HELP " + meter.prometheusName() + " " + meter.help);
            long buckets = scrape.lines().filter(l -> l.startsWith(meter.prometheusName() + "_bucket{")).count();
            assertThat(buckets).as(meter.name() + " buckets").isLessThanOrEqualTo(16);
        }
        assertThat(scrape.lines().filter(l -> l.startsWith("ember_invocation_duration_seconds_bucket{")).count())
                .isEqualTo(16); // 15 bounds and +Inf
    }
}
