package dev.ember.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same checks against the packaged application. */
@QuarkusIntegrationTest
public class OpenAiIT extends OpenAiTest {
}
