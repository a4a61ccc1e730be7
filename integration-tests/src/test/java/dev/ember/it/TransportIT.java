package dev.ember.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;

/** The same checks against the packaged application, whose HTTP server is the one that ships. */
@QuarkusIntegrationTest
@TestProfile(TransportProfile.class)
public class TransportIT extends TransportTest {
}
