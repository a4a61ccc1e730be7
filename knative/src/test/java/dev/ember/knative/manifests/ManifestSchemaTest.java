package dev.ember.knative.manifests;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every YAML manifest under knative/ is a known kind and valid against its Knative CRD (or config reference). */
class ManifestSchemaTest {

    private static CrdSchemaValidator validator;
    private static List<Manifest> manifests;

    @BeforeAll
    static void load() {
        validator = CrdSchemaValidator.reference();
        manifests = Manifest.all();
    }

    @Test
    void theWalkFindsEveryManifestKind() {
        // guards against a walk that silently finds nothing (wrong directory) and so validates nothing
        assertThat(manifests).extracting(m -> m.kind() + "/" + m.name()).contains(
                "Service/ember-embed", "Service/ember-gpu-pool", "Broker/ember", "Broker/ember-dead-letter",
                "Trigger/ember-embed-request", "ConfigMap/config-features", "ConfigMap/config-autoscaler");
        assertThat(validator.kinds()).contains("serving.knative.dev/v1|Service", "eventing.knative.dev/v1|Broker",
                "eventing.knative.dev/v1|Trigger");
    }

    @TestFactory
    Stream<DynamicTest> everyManifestIsValid() {
        return manifests.stream().map(m -> DynamicTest.dynamicTest(m.toString(), () -> {
            List<String> problems = m.is("v1", "ConfigMap") ? KnativeConfigPolicy.check(m) : validator.validate(m.doc());
            assertThat(problems).as("problems in %s", m.file()).isEmpty();
        }));
    }
}
