package dev.ember.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;

/** The rollout under load against the packaged application. */
@QuarkusIntegrationTest
@TestProfile(TrafficProfile.class)
public class TrafficRolloutIT extends TrafficRolloutTest {
}
