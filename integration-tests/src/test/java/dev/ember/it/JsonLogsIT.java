package dev.ember.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;

/** The same checks against the packaged application, whose class loading differs from the test's. */
@QuarkusIntegrationTest
@TestProfile(JsonLogsProfile.class)
public class JsonLogsIT extends JsonLogsTest {
}
