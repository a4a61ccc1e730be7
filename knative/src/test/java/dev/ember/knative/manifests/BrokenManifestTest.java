package dev.ember.knative.manifests;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The checks can fail: deliberately broken manifests (test resources) are rejected, naming the field. */
class BrokenManifestTest {

    private static CrdSchemaValidator validator;

    @BeforeAll
    static void load() {
        validator = CrdSchemaValidator.reference();
    }

    @Test
    void aStringContainerConcurrencyIsRejectedByTheSchema() {
        List<String> problems = validator.validate(broken("service-concurrency-string.yaml").doc());
        assertThat(problems).anySatisfy(p -> assertThat(p)
                .contains("$.spec.template.spec.containerConcurrency").contains("integer"));
    }

    @Test
    void aMisspeltFieldIsRejectedAsUnknown() {
        List<String> problems = validator.validate(broken("service-unknown-field.yaml").doc());
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("timeoutSecond"));
    }

    @Test
    void aBadTrafficBlockIsRejected() {
        List<String> problems = validator.validate(broken("service-traffic-bad.yaml").doc());
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("$.spec.traffic[0].percent"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("revision"));
    }

    @Test
    void anUnrestrictedServiceFailsThePolicyNamingEachField() {
        Manifest m = broken("service-not-restricted.yaml");
        assertThat(validator.validate(m.doc())).as("schema-valid: only the policy catches these").isEmpty();
        assertThat(ServingPolicy.check(m)).anySatisfy(p -> assertThat(p)
                        .startsWith("spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.template.spec.containers[0].securityContext.runAsUser"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.template.spec.containers[0].readinessProbe.httpGet.path")
                        .contains("/q/health/ready"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.template.spec.containerConcurrency").contains("must be 32"));
    }

    @Test
    void aBadTriggerIsRejectedBySchemaAndReferenceChecks() {
        Manifest trigger = broken("trigger-bad-types.yaml");
        assertThat(validator.validate(trigger.doc()))
                .anySatisfy(p -> assertThat(p).contains("$.spec.delivery.retry").contains("integer"));
        List<Manifest> world = new ArrayList<>(Manifest.all());
        world.removeIf(m -> m.kind().equals("Trigger"));
        world.add(trigger);
        assertThat(EventingPolicy.checkTrigger(trigger, world))
                .anySatisfy(p -> assertThat(p).startsWith("spec.filter.attributes.type: must be a string"))
                .anySatisfy(p -> assertThat(p).contains("spec.subscriber.ref").contains("ember-missing"));
    }

    @Test
    void anUndocumentedConfigKeyAndABadFlagValueAreRejected() {
        assertThat(KnativeConfigPolicy.check(broken("config-features-bad.yaml")))
                .anySatisfy(p -> assertThat(p).startsWith("data.kubernetes.podspec-nodeselectors: not a key"))
                .anySatisfy(p -> assertThat(p).startsWith("data.kubernetes.podspec-tolerations: must be enabled"));
    }

    private static Manifest broken(String name) {
        try {
            Path file = Path.of(BrokenManifestTest.class.getResource("/broken/" + name).toURI());
            return Manifest.read(file).get(0);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
