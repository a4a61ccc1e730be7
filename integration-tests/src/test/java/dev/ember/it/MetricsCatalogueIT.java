package dev.ember.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;

/** The same checks against the packaged application. */
@QuarkusIntegrationTest
@TestProfile(MetricsCatalogueTest.WithBudget.class)
public class MetricsCatalogueIT extends MetricsCatalogueTest {
}
