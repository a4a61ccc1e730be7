package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Knative Services are generated, not written: quarkus-kubernetes builds {@code ember-embed} from the functions
 * module's application.properties (and its src/main/kubernetes/knative.yml) into
 * {@code functions/target/kubernetes/knative.yml}; {@code ember-gpu-pool} is that Service with
 * {@code overlays/gpu-pool.yaml} merged on top. The copies under {@code serving/} (what users apply) must equal that
 * output, so they cannot drift from the properties. With {@code -Dember.manifests.refresh=true} this test rewrites them
 * (keeping their header comments) instead of failing. The functions module is packaged before this test runs because
 * the parent pom lists it before knative (mvn -B verify, or -pl functions,knative -am).
 */
class GeneratedManifestTest {

    /** Changes with every commit; dropped from the checked-in copies so that they change only with the manifest. */
    static final String COMMIT_ID = "app.quarkus.io/commit-id";
    static final String REFRESH = "ember.manifests.refresh";
    static final String HOW = "mvn -B -pl functions,knative -am verify -Dtest=GeneratedManifestTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -D" + REFRESH + "=true";

    private static final ObjectMapper WRITER = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));

    private static Manifest generated;

    @BeforeAll
    static void load() {
        Path file = generatedFile();
        assertThat(file).as("%s is written by the functions module's package phase (quarkus-kubernetes); build it"
                + " first: mvn -B -pl functions,knative -am verify", file).isRegularFile();
        List<Manifest> docs = Manifest.read(file);
        assertThat(docs).as("documents in %s", file).extracting(Manifest::toString)
                .containsExactly("knative.yml (Service ember-embed)");
        generated = docs.get(0);
    }

    /** quarkus-kubernetes' output for the functions module. */
    static Path generatedFile() {
        return Manifest.moduleDir().resolveSibling("functions").resolve("target/kubernetes/knative.yml");
    }

    @Test
    void theGeneratedServiceIsValidAndMeetsTheServingPolicy() {
        assertThat(generated.apiVersion()).isEqualTo("serving.knative.dev/v1");
        assertThat(CrdSchemaValidator.reference().validate(generated.doc())).isEmpty();
        assertThat(ServingPolicy.check(generated)).isEmpty();
    }

    @Test
    void embedYamlIsTheGeneratedService() throws IOException {
        expectOrRefresh(Manifest.moduleDir().resolve("serving/embed.yaml"), checkedIn(generated.doc()));
    }

    @Test
    void gpuPoolYamlIsTheGeneratedServiceWithTheGpuOverlay() throws IOException {
        JsonNode overlay = Manifest.read(Manifest.moduleDir().resolve("overlays/gpu-pool.yaml")).get(0).doc();
        expectOrRefresh(Manifest.moduleDir().resolve("serving/gpu-pool.yaml"),
                checkedIn(ManifestOverlay.apply(checkedIn(generated.doc()), overlay)));
    }

    @Test
    void theBuildNeitherBuildsImagesNorTalksToACluster() throws IOException {
        String properties = Files.readString(Manifest.moduleDir().resolveSibling("functions")
                .resolve("src/main/resources/application.properties"), StandardCharsets.UTF_8);
        assertThat(properties).contains("quarkus.kubernetes.deployment-target=knative",
                "quarkus.container-image.build=false", "quarkus.container-image.push=false",
                "quarkus.kubernetes.deploy=false", "quarkus.knative.deploy=false");
    }

    /**
     * The generated object as it is checked in: without what changes on every commit, and with each container's env
     * sorted by name (quarkus-kubernetes emits it in hash order, which differs between builds; nothing here refers to
     * one variable from another, so the order has no meaning).
     */
    static JsonNode checkedIn(JsonNode doc) {
        JsonNode copy = doc.deepCopy();
        for (String at : List.of("/metadata/annotations", "/spec/template/metadata/annotations")) {
            if (copy.at(at) instanceof ObjectNode annotations) {
                annotations.remove(COMMIT_ID);
            }
        }
        for (JsonNode container : copy.at("/spec/template/spec/containers")) {
            if (container.path("env") instanceof ArrayNode env) {
                List<JsonNode> sorted = new ArrayList<>();
                env.forEach(sorted::add);
                sorted.sort(Comparator.comparing(e -> e.path("name").asText()));
                env.removeAll();
                env.addAll(sorted);
            }
        }
        return copy;
    }

    private static void expectOrRefresh(Path file, JsonNode expected) throws IOException {
        JsonNode actual = checkedIn(Manifest.read(file).get(0).doc());
        if (actual.equals(expected)) {
            return;
        }
        if (Boolean.getBoolean(REFRESH)) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Files.writeString(file, header(text) + WRITER.writeValueAsString(expected), StandardCharsets.UTF_8);
            assertThat(Manifest.read(file).get(0).doc()).as("%s re-read after writing it", file).isEqualTo(expected);
            return;
        }
        assertThat(WRITER.writeValueAsString(actual)).as("%s differs from what the build generates; regenerate it"
                + " with %s", file, HOW).isEqualTo(WRITER.writeValueAsString(expected));
    }

    /** The leading comment lines of a checked-in manifest, which say where it comes from. */
    static String header(String text) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (!line.startsWith("#")) {
                break;
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }
}
