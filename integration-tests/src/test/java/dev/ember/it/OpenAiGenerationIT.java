package dev.ember.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** The same checks against the packaged application, but those of the Java test function, which it does not hold. */
@QuarkusIntegrationTest
public class OpenAiGenerationIT extends OpenAiGenerationTest {

    static final String TEST_BEAN = "ShapedGenerator is a bean of the test sources, not of the packaged application";

    @Test
    @Disabled(TEST_BEAN)
    @Override
    void aJavaFunctionShapesThePromptOfTheGeneratorItWraps() {
    }

    @Test
    @Disabled(TEST_BEAN)
    @Override
    void aFailureAfterTheFirstByteIsAnErrorEventAndTheEnd() {
    }
}
