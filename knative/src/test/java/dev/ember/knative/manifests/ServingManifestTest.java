package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Ember's Knative Services: restricted profile, probes, concurrency, scaling, and the GPU pool's needs. */
class ServingManifestTest {

    private static List<Manifest> services;
    private static List<Manifest> all;

    @BeforeAll
    static void load() {
        all = Manifest.all();
        services = Manifest.ofKind(all, "serving.knative.dev/v1", "Service");
    }

    @TestFactory
    Stream<DynamicTest> everyServiceMeetsEmbersServingPolicy() {
        assertThat(services).hasSizeGreaterThanOrEqualTo(2);
        return services.stream().map(m -> DynamicTest.dynamicTest(m.toString(),
                () -> assertThat(ServingPolicy.check(m)).as("problems in %s", m.file()).isEmpty()));
    }

    @Test
    void embedScalesToZeroWithTwoFullBatchesPerPod() {
        JsonNode embed = service("ember-embed");
        JsonNode annotations = embed.at("/spec/template/metadata/annotations");
        assertThat(annotations.path("autoscaling.knative.dev/min-scale").asText()).isEqualTo("0");
        assertThat(annotations.path("autoscaling.knative.dev/scale-to-zero-pod-retention-period").asText()).isEqualTo("10m");
        assertThat(annotations.path("autoscaling.knative.dev/initial-scale").asText()).isEqualTo("1");
        assertThat(annotations.path("autoscaling.knative.dev/activation-scale").asText()).isEqualTo("2");
        // concurrency 2 x batch.max-size 16
        assertThat(embed.at("/spec/template/spec/containerConcurrency").asInt()).isEqualTo(32);
        assertThat(embed.at("/spec/template/spec/containers/0/resources/limits").has("nvidia.com/gpu")).isFalse();
    }

    @Test
    void gpuPoolStaysWarmOnAGpuNode() {
        JsonNode pool = service("ember-gpu-pool");
        JsonNode annotations = pool.at("/spec/template/metadata/annotations");
        assertThat(Integer.parseInt(annotations.path("autoscaling.knative.dev/min-scale").asText())).isGreaterThanOrEqualTo(1);
        assertThat(annotations.path("autoscaling.knative.dev/scale-down-delay").asText()).isEqualTo("15m");
        assertThat(annotations.path("serving.knative.dev/progress-deadline").asText()).isEqualTo("20m");
        JsonNode pod = pool.at("/spec/template/spec");
        assertThat(pod.path("runtimeClassName").asText()).isEqualTo("nvidia");
        assertThat(pod.path("nodeSelector").path("nvidia.com/gpu.present").asText()).isEqualTo("true");
        assertThat(pod.path("tolerations").get(0).path("key").asText()).isEqualTo("nvidia.com/gpu");
        assertThat(pod.at("/containers/0/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
        assertThat(pod.at("/containers/0/env").findValuesAsText("name")).contains("EMBER_FUNCTIONS_EMBED_MIN_WARM");
    }

    @Test
    void theFeatureFlagsTheGpuPoolNamesAreTheOnesTheConfigSnippetEnables() {
        Manifest features = all.stream().filter(m -> m.is("v1", "ConfigMap") && m.name().equals("config-features"))
                .findFirst().orElseThrow();
        for (String flag : ServingPolicy.GPU_FLAGS) {
            assertThat(features.doc().path("data").path(flag).asText()).as(flag).isEqualTo("enabled");
        }
        Manifest autoscaler = all.stream().filter(m -> m.is("v1", "ConfigMap") && m.name().equals("config-autoscaler"))
                .findFirst().orElseThrow();
        int limit = autoscaler.doc().path("data").path("max-scale-limit").asInt();
        int poolMax = service("ember-gpu-pool").at("/spec/template/metadata/annotations")
                .path("autoscaling.knative.dev/max-scale").asInt();
        assertThat(limit == 0 || limit >= poolMax).as("max-scale-limit %s admits max-scale %s", limit, poolMax).isTrue();
    }

    private static JsonNode service(String name) {
        return services.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow().doc();
    }
}
