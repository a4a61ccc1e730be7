package dev.ember.it;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/**
 * The fixture repository with a management token and the linear fixture's two versions split 100/0 with tags
 * {@code stable} and {@code candidate}: v1 and v2 have different weights, so every output proves which one served.
 */
public class TrafficProfile implements QuarkusTestProfile {

    static final String TOKEN = "rollout-secret-7f3a";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "ember.management.token", TOKEN,
                "ember.functions.linear.versions.1.percent", "100",
                "ember.functions.linear.versions.1.tag", "stable",
                "ember.functions.linear.versions.2.percent", "0",
                "ember.functions.linear.versions.2.tag", "candidate",
                // batched, so that requests of one version share runs while the other version runs beside it
                "ember.functions.linear.batch.max-size", "8");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(FixtureRepository.class));
    }
}
