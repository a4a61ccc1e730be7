package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.ember.runtime.testing.FixtureModels;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The warm pool seen from outside: loading once, idle unloading, the pinned model, the memory budget, explicit
 * load and unload, and batching, asserted through {@code /v2/repository/index} and {@code /q/metrics}. The budget
 * checks run last: their evictions would otherwise take the small models the earlier checks watch.
 */
@QuarkusTest
@WithTestResource(LifecycleRepository.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class ModelLifecycleTest {

    static final String BEARER = "Bearer " + LifecycleRepository.TOKEN;

    Path repository; // injected by LifecycleRepository

    static String state(String model, String version) {
        List<Map<String, String>> index = given().get("/v2/repository/index").then().statusCode(200)
                .extract().jsonPath().getList("$");
        return index.stream().filter(e -> e.get("name").equals(model) && e.get("version").equals(version))
                .map(e -> e.get("state")).findFirst().orElseThrow();
    }

    static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.get()) {
            assertThat(System.nanoTime() < end).as("waiting for " + what).isTrue();
            Thread.sleep(50);
        }
    }

    static Response infer(String model, String body) {
        return given().contentType(ContentType.JSON).body(body).post("/v2/models/" + model + "/infer");
    }

    static String zeros(int width) {
        return "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, " + width + "], \"datatype\": \"FP32\", \"data\": "
                + Arrays.toString(new float[width]) + "}]}";
    }

    static String rows(float[] x, int width) {
        return "{\"inputs\": [{\"name\": \"x\", \"shape\": [" + x.length / width + ", " + width
                + "], \"datatype\": \"FP32\", \"data\": " + Arrays.toString(x) + "}]}";
    }

    static float[] floats(JsonPath response) {
        List<Float> data = response.getList("outputs[0].data", Float.class);
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(i);
        }
        return out;
    }

    static <T> List<T> concurrently(int clients, java.util.concurrent.Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdown();
        }
    }

    @Test
    @Order(1)
    void thePinnedModelIsWarmedUpBeforeReadinessAndNeverUnloads() throws Exception {
        await("readiness", () -> given().get("/q/health/ready").statusCode() == 200);
        given().get("/v2/health/ready").then().statusCode(200);
        assertThat(state("pinned", "1")).isEqualTo("warm");
        given().header("Authorization", BEARER).post("/v2/repository/models/pinned/unload")
                .then().statusCode(400).body("error", containsString("min-warm"));
        assertThat(state("pinned", "1")).isEqualTo("warm");
    }

    @Test
    @Order(2)
    void anIdleModelUnloadsAfterItsTimeoutAndServesAgain() throws Exception {
        String body = rows(new float[] {1, 0, 0, 0}, 4);
        infer("idle", body).then().statusCode(200);
        assertThat(state("idle", "1")).isEqualTo("warm");

        await("the idle unload", () -> state("idle", "1").equals("unloaded"));
        assertThat(Metrics.value("ember_model_unloads_total", "function", "idle", "reason", "idle")).isEqualTo(1);

        float[] expected = FixtureModels.applyLinear(new float[] {1, 0, 0, 0}, FixtureModels.LINEAR_W1,
                FixtureModels.LINEAR_B1);
        assertThat(floats(infer("idle", body).then().statusCode(200).extract().jsonPath())).containsExactly(expected);
        assertThat(state("idle", "1")).isEqualTo("warm");
        assertThat(Metrics.value("ember_model_loads_total", "function", "idle", "outcome", "success")).isEqualTo(2);

        // the pinned model has the same idle timeout and has been idle all along
        assertThat(state("pinned", "1")).isEqualTo("warm");
        assertThat(Metrics.value("ember_model_unloads_total", "function", "pinned")).isZero();
        assertThat(Metrics.value("ember_model_loads_total", "function", "pinned")).isEqualTo(1);
    }

    @Test
    @Order(3)
    void concurrentRequestsToAColdModelLoadItOnce() throws Exception {
        assertThat(state("cold", "1")).isEqualTo("unloaded");
        String body = """
                {"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]},
                            {"name": "b", "shape": [1, 3], "datatype": "FP32", "data": [10, 20, 30]}]}""";
        List<float[]> sums = concurrently(16,
                () -> floats(infer("cold", body).then().statusCode(200).extract().jsonPath()));
        assertThat(sums).hasSize(16).allSatisfy(sum -> assertThat(sum).containsExactly(11, 22, 33));
        assertThat(Metrics.value("ember_model_loads_total", "function", "cold")).isEqualTo(1);
        double coldStarts = Metrics.value("ember_cold_starts_total", "function", "cold");
        assertThat(coldStarts).isBetween(1.0, 16.0);
        infer("cold", body).then().statusCode(200);
        assertThat(Metrics.value("ember_cold_starts_total", "function", "cold")).isEqualTo(coldStarts);
        assertThat(Metrics.value("ember_models_warm")).isGreaterThanOrEqualTo(2);
    }

    @Test
    @Order(4)
    void managementWritesNeedTheTokenAndChangeTheState() throws Exception {
        given().post("/v2/repository/models/linear/load").then().statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer")).body("error", containsString("Authorization"));
        given().header("Authorization", "Bearer wrong").post("/v2/repository/models/linear/load")
                .then().statusCode(401).header("WWW-Authenticate", startsWith("Bearer"));
        given().header("Authorization", "Bearer wrong").post("/v2/repository/models/linear/unload")
                .then().statusCode(401);
        assertThat(state("linear", "2")).isEqualTo("unloaded");

        given().header("Authorization", BEARER).contentType(ContentType.JSON).body("{\"version\": \"2\"}")
                .post("/v2/repository/models/linear/load").then().statusCode(200)
                .body("[0].name", equalTo("linear")).body("[0].version", equalTo("2"))
                .body("[0].state", equalTo("warm"));
        assertThat(state("linear", "2")).isEqualTo("warm");
        assertThat(state("linear", "1")).isEqualTo("unloaded");

        given().header("Authorization", BEARER).post("/v2/repository/models/linear/unload").then().statusCode(200)
                .body("state", equalTo(List.of("unloaded", "unloaded")));
        assertThat(state("linear", "2")).isEqualTo("unloaded");
        assertThat(Metrics.value("ember_model_unloads_total", "function", "linear", "reason", "explicit"))
                .isEqualTo(1);

        given().header("Authorization", BEARER).contentType(ContentType.JSON).body("{\"version\": \"9\"}")
                .post("/v2/repository/models/linear/load").then().statusCode(404).body("error", containsString("9"));
        given().header("Authorization", BEARER).contentType(ContentType.JSON).body("{\"version\": \"two\"}")
                .post("/v2/repository/models/linear/load").then().statusCode(400)
                .body("error", containsString("'version'"));
        given().header("Authorization", BEARER).post("/v2/repository/models/nope/load").then().statusCode(404)
                .body("error", containsString("nope"));
    }

    @Test
    @Order(5)
    void loadFindsAModelAddedSinceStart() throws Exception {
        Path file = repository.resolve("fresh/1/model.onnx");
        Files.createDirectories(file.getParent());
        Files.write(file, FixtureModels.linear());
        infer("fresh", rows(new float[4], 4)).then().statusCode(404);

        given().header("Authorization", BEARER).post("/v2/repository/models/fresh/load").then().statusCode(200)
                .body("[0].state", equalTo("warm"));
        assertThat(floats(infer("fresh", rows(new float[4], 4)).then().statusCode(200).extract().jsonPath()))
                .containsExactly(FixtureModels.LINEAR_B1);
    }

    @Test
    @Order(6)
    void batchedResultsEqualTheirOwnComputationUnderConcurrency() throws Exception {
        double runsBefore = Metrics.value("ember_batch_size_rows_count", "function", "linear_batched");
        int clients = 16;
        int perClient = 6;
        List<Integer> checked = concurrently(clients, () -> {
            Random random = new Random(Thread.currentThread().getId());
            int n = 0;
            for (int i = 0; i < perClient; i++) {
                int rows = 1 + random.nextInt(3);
                float[] x = new float[rows * 4];
                for (int k = 0; k < x.length; k++) {
                    x[k] = (random.nextInt(65) - 32) / 4f; // exact in binary: any summation order gives the same sum
                }
                JsonPath r = infer("linear_batched", rows(x, 4)).then().statusCode(200).extract().jsonPath();
                assertThat(floats(r)).containsExactly(
                        FixtureModels.applyLinear(x, FixtureModels.LINEAR_W1, FixtureModels.LINEAR_B1));
                n++;
            }
            return n;
        });
        assertThat(checked.stream().mapToInt(Integer::intValue).sum()).isEqualTo(clients * perClient);
        double runs = Metrics.value("ember_batch_size_rows_count", "function", "linear_batched") - runsBefore;
        assertThat(runs).as("model runs for %d requests", clients * perClient).isLessThan(clients * perClient);
    }

    @Test
    @Order(7)
    void aDynamicallyQuantizedModelIsNotBatchedByDefault() throws Exception {
        String body = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\", "
                + "\"data\": [0.5, -1, 2, 0.25]}]}";
        concurrently(16, () -> IntStream.range(0, 4).map(i -> infer("dynamic_quant", body).statusCode())
                .boxed().collect(Collectors.toList()))
                .forEach(statuses -> assertThat(statuses).containsOnly(200));
        double runs = Metrics.value("ember_batch_size_rows_count", "function", "dynamic_quant");
        assertThat(runs).isEqualTo(64);
        assertThat(Metrics.value("ember_batch_size_rows_bucket", "function", "dynamic_quant", "le", "1.0"))
                .isEqualTo(runs);
    }

    @Test
    @Order(8)
    void aModelTheBudgetCannotMakeRoomForIsRefusedWith503() {
        double evictions = Metrics.value("ember_model_evictions_total");
        infer("big", zeros(64)).then().statusCode(503).header("Retry-After", equalTo("1"))
                .body("error", containsString("ember.pool.memory-budget"));
        assertThat(state("big", "1")).isEqualTo("unloaded");
        assertThat(Metrics.value("ember_model_loads_total", "function", "big", "outcome", "rejected")).isEqualTo(1);
        assertThat(Metrics.value("ember_model_evictions_total")).isEqualTo(evictions);
        assertThat(state("pinned", "1")).isEqualTo("warm");
    }

    @Test
    @Order(9)
    void theBudgetEvictsTheLeastRecentlyUsedIdleModel() {
        infer("lru_a", zeros(64)).then().statusCode(200);
        infer("lru_b", zeros(64)).then().statusCode(200);
        infer("lru_a", zeros(64)).then().statusCode(200);
        infer("lru_c", zeros(64)).then().statusCode(200);

        assertThat(state("lru_a", "1")).isEqualTo("warm");
        assertThat(state("lru_b", "1")).isEqualTo("unloaded");
        assertThat(state("lru_c", "1")).isEqualTo("warm");
        assertThat(state("pinned", "1")).isEqualTo("warm");
        assertThat(Metrics.value("ember_model_evictions_total", "function", "lru_b")).isEqualTo(1);
        assertThat(Metrics.value("ember_model_evictions_total", "function", "lru_a")).isZero();
        assertThat(Metrics.value("ember_pool_loaded_bytes")).isLessThanOrEqualTo(LifecycleRepository.BUDGET);
    }
}
