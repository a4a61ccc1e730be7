package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/kserve/: Ember's ClusterServingRuntime and the InferenceService example, against KServe's CRD schemas
 * (vendored in src/test/resources/kserve-crds/) and what KServe and Ember need of them.
 */
class KServeManifestTest {

    private static CrdSchemaValidator validator;
    private static List<Manifest> manifests;

    @BeforeAll
    static void load() throws URISyntaxException {
        validator = CrdSchemaValidator.load(Path.of(KServeManifestTest.class.getResource("/kserve-crds").toURI()));
        Path dir = Manifest.moduleDir().resolveSibling("deploy").resolve("kserve");
        manifests = new ArrayList<>();
        manifests.addAll(Manifest.read(dir.resolve("ember-runtime.yaml")));
        manifests.addAll(Manifest.read(dir.resolve("inference-service.yaml")));
    }

    @Test
    void theVendoredCrdsAreKServes() {
        assertThat(validator.kinds()).contains("serving.kserve.io/v1alpha1|ClusterServingRuntime",
                "serving.kserve.io/v1beta1|InferenceService");
        assertThat(manifests).extracting(m -> m.kind() + "/" + m.name())
                .containsExactly("ClusterServingRuntime/ember", "InferenceService/linear");
    }

    @TestFactory
    Stream<DynamicTest> everyManifestIsValidAgainstKServesCrds() {
        return manifests.stream().map(m -> DynamicTest.dynamicTest(m.toString(),
                () -> assertThat(validator.validate(m.doc())).as("problems in %s", m.file()).isEmpty()));
    }

    @Test
    void theRuntimeServesOnnxOverV2FromTheStorageInitializersDirectory() {
        JsonNode spec = runtime().path("spec");
        assertThat(spec.path("supportedModelFormats").findValuesAsText("name")).containsExactly("onnx");
        assertThat(spec.path("protocolVersions")).extracting(JsonNode::asText).containsExactly("v2");
        JsonNode container = spec.path("containers").get(0);
        // KServe injects the storage initializer and the model mount into the container of this name
        assertThat(container.path("name").asText()).isEqualTo("kserve-container");
        assertThat(container.path("image").asText()).matches("ember/ember-(jvm|gpu):[0-9][A-Za-z0-9._-]*");
        assertThat(env(container, "EMBER_REPOSITORY_PATH")).isEqualTo("/mnt/models");
        assertThat(spec.path("annotations").path("prometheus.kserve.io/path").asText()).isEqualTo("/q/metrics");
        assertThat(spec.path("annotations").path("prometheus.kserve.io/port").asText())
                .isEqualTo(Integer.toString(ServingPolicy.PORT));
    }

    @Test
    void theRuntimesContainerMeetsTheRestrictedProfileAndProbesEmbersHealth() {
        JsonNode spec = runtime().path("spec");
        JsonNode container = spec.path("containers").get(0);
        List<String> problems = new ArrayList<>();
        ServingPolicy.checkRestricted(container, "spec.containers[0]", problems);
        ServingPolicy.checkProbe(container.path("livenessProbe"), "spec.containers[0].livenessProbe", ServingPolicy.LIVE, problems);
        ServingPolicy.checkProbe(container.path("readinessProbe"), "spec.containers[0].readinessProbe", ServingPolicy.READY, problems);
        ServingPolicy.checkTmp(container, spec, "spec.containers[0]", problems);
        assertThat(problems).isEmpty();
        assertThat(container.path("ports").findValuesAsText("containerPort")).containsExactly("8080");
    }

    @Test
    void theExampleRunsOnTheRuntimeWithAFormatAndProtocolItSupports() {
        JsonNode model = manifests.get(1).doc().at("/spec/predictor/model");
        JsonNode runtime = runtime();
        assertThat(model.path("runtime").asText()).isEqualTo(runtime.at("/metadata/name").asText());
        assertThat(runtime.at("/spec/supportedModelFormats").findValuesAsText("name"))
                .contains(model.at("/modelFormat/name").asText());
        assertThat(runtime.at("/spec/protocolVersions")).extracting(JsonNode::asText)
                .contains(model.path("protocolVersion").asText());
        assertThat(model.path("storageUri").asText()).isNotEmpty();
    }

    @Test
    void aBrokenRuntimeIsRejectedNamingTheField() {
        JsonNode broken = runtime().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.at("/spec/supportedModelFormats/0"))
                .put("priority", "high");
        assertThat(validator.validate(broken)).anyMatch(p -> p.startsWith("$.spec.supportedModelFormats[0].priority"));
    }

    private static JsonNode runtime() {
        return manifests.get(0).doc();
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        return null;
    }
}
