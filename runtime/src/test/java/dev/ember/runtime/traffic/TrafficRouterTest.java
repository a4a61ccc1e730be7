package dev.ember.runtime.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.NotFoundException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.config.TestConfig;
import dev.ember.runtime.repository.ModelCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

class TrafficRouterTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void sharesNotSummingTo100StopTheStartNamingTheFunction() {
        assertThatThrownBy(() -> router(Map.of(
                "ember.functions.f.versions.1.percent", "60",
                "ember.functions.f.versions.2.percent", "30")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("ember.functions.f.versions: the percents of function 'f' sum to 90, not 100");
    }

    @Test
    void aVersionAtZeroServesItsTagAndPinsButNoUnpinnedTraffic() throws Exception {
        TrafficRouter router = router(Map.of(
                "ember.functions.f.versions.1.percent", "100",
                "ember.functions.f.versions.1.tag", "stable",
                "ember.functions.f.versions.2.percent", "0",
                "ember.functions.f.versions.2.tag", "candidate"));
        for (int i = 0; i < 1000; i++) {
            assertThat(router.choose("f", OptionalInt.empty(), Optional.empty()).version()).isEqualTo(1);
        }
        assertThat(router.choose("f", OptionalInt.empty(), Optional.of("candidate")).version()).isEqualTo(2);
        assertThat(router.choose("f", OptionalInt.of(2), Optional.empty()).version()).isEqualTo(2);
        assertThatThrownBy(() -> router.choose("f", OptionalInt.empty(), Optional.of("nightly")))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no version tagged 'nightly'");
        assertThat(gauge("f", 1)).isEqualTo(100);
        assertThat(gauge("f", 2)).isZero();
    }

    @Test
    void aReplacementTakesEffectForTheNextRequestAndMovesTheGauge() throws Exception {
        TrafficRouter router = router(Map.of());
        assertThat(router.split("f").targets()).containsExactly(new TrafficSplit.Target(2, 100, null));

        router.replace("f", new TrafficSplit(List.of(new TrafficSplit.Target(1, 100, "stable"),
                new TrafficSplit.Target(2, 0, "candidate"))));
        for (int i = 0; i < 1000; i++) {
            assertThat(router.choose("f", OptionalInt.empty(), Optional.empty()).version()).isEqualTo(1);
        }
        assertThat(router.choose("f", OptionalInt.empty(), Optional.of("candidate")).version()).isEqualTo(2);
        assertThat(gauge("f", 1)).isEqualTo(100);
        assertThat(gauge("f", 2)).isZero();
    }

    @Test
    void aBadReplacementChangesNothing() throws Exception {
        TrafficRouter router = router(Map.of(
                "ember.functions.f.versions.1.percent", "100",
                "ember.functions.f.versions.2.percent", "0"));
        TrafficSplit before = router.split("f");
        assertThatThrownBy(() -> router.replace("f", new TrafficSplit(List.of(new TrafficSplit.Target(1, 50, null),
                new TrafficSplit.Target(3, 50, null)))))
                .isInstanceOf(InvalidInputException.class).hasMessage("'traffic': function 'f' has no version 3");
        assertThatThrownBy(() -> router.replace("f", new TrafficSplit(List.of(new TrafficSplit.Target(1, 50, null)))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("sum to 50, not 100");
        assertThatThrownBy(() -> router.replace("g", before)).isInstanceOf(NotFoundException.class);
        assertThat(router.split("f")).isEqualTo(before);
        assertThat(gauge("f", 1)).isEqualTo(100);
    }

    @Test
    void tagsWithoutSharesLeaveTheHighestVersionWithAllUnpinnedTraffic() throws Exception {
        TrafficRouter router = router(Map.of("ember.functions.f.versions.1.tag", "old"));
        assertThat(router.split("f").targets()).containsExactly(new TrafficSplit.Target(1, 0, "old"),
                new TrafficSplit.Target(2, 100, null));
        assertThat(router.primary("f").version()).isEqualTo(2);
    }

    @Test
    void anEvenSplitIsDrawnEvenly() throws Exception {
        TrafficRouter router = router(Map.of(
                "ember.functions.f.versions.1.percent", "50",
                "ember.functions.f.versions.2.percent", "50"));
        int n = 20_000;
        int ones = 0;
        for (int i = 0; i < n; i++) {
            if (router.choose("f", OptionalInt.empty(), Optional.empty()).version() == 1) {
                ones++;
            }
        }
        // binomial(n, 1/2): 5 standard deviations is 2.5 * sqrt(n)
        assertThat(Math.abs(ones - n / 2.0)).isLessThan(2.5 * Math.sqrt(n));
    }

    private double gauge(String function, int version) {
        return registry.get("ember.traffic.percent").tag("function", function)
                .tag("version", String.valueOf(version)).gauge().value();
    }

    /** A router over function f with versions 1 and 2 (files that are never read here) and these settings. */
    private TrafficRouter router(Map<String, String> settings) throws Exception {
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("ember.functions.f.model", "/nonexistent/f-1.onnx");
        properties.put("ember.functions.f.versions.2.model", "/nonexistent/f-2.onnx");
        EmberConfig ember = TestConfig.ember(properties);
        // the catalog's constructor is for CDI; this test only needs it to list configured versions
        Constructor<ModelCatalog> catalog = ModelCatalog.class.getDeclaredConstructor(EmberConfig.class);
        catalog.setAccessible(true);
        return new TrafficRouter(catalog.newInstance(ember), ember, registry, TrafficHealthTest.Health.ALL_GOOD);
    }
}
