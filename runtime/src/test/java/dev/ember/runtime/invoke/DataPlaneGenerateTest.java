package dev.ember.runtime.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.GeneratorFunction;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.batch.Batchers;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.generate.FinishReason;
import dev.ember.runtime.generate.Generation;
import dev.ember.runtime.generate.GenerationEngines;
import dev.ember.runtime.generate.GenerationResult;
import dev.ember.runtime.generate.TokenSink;
import dev.ember.runtime.pool.InFlightBudget;
import dev.ember.runtime.pool.KvCacheBudget;
import dev.ember.runtime.pool.ModelState;
import dev.ember.runtime.pool.PoolFixture;
import dev.ember.runtime.testing.DecoderModels;
import dev.ember.runtime.testing.FixtureModels;
import dev.ember.runtime.testing.TestBeans;
import dev.ember.runtime.traffic.TrafficRouter;
import dev.ember.runtime.traffic.VersionSelector;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DataPlane#generate} over a directory repository holding generated decoders (two versions of one). */
class DataPlaneGenerateTest {

    @TempDir
    Path root;
    PoolFixture pool;
    DataPlane plane;
    /** Blocks the "gated" function's sequences in their first sampling step until completed. */
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final CompletableFuture<Void> entered = new CompletableFuture<>();

    final GeneratorFunction shaped = new GeneratorFunction() {
        public String name() {
            return "shaped";
        }

        public GenerationRequest shape(GenerationRequest request) {
            return request.withPrompt("fixed").withMaxTokens(3);
        }
    };

    final GeneratorFunction gated = new GeneratorFunction() {
        public String name() {
            return "gated";
        }

        public GenerationRequest shape(GenerationRequest request) {
            return request.withProcessor((tokens, logits) -> {
                entered.complete(null);
                gate.join();
            });
        }
    };

    final CompletableFuture<Void> hurryGate = new CompletableFuture<>();
    final CompletableFuture<Void> hurryEntered = new CompletableFuture<>();

    /** Like "gated", with a short deadline. */
    final GeneratorFunction hurry = new GeneratorFunction() {
        public String name() {
            return "hurry";
        }

        public GenerationRequest shape(GenerationRequest request) {
            return request.withProcessor((tokens, logits) -> {
                hurryEntered.complete(null);
                hurryGate.join();
            });
        }
    };

    /** Its logits processor throws once the first token is out: a fault of the function, not of the client. */
    final GeneratorFunction broken = new GeneratorFunction() {
        public String name() {
            return "broken";
        }

        public GenerationRequest shape(GenerationRequest request) {
            int prompt = 2;
            return request.withPrompt("ab").withProcessor((tokens, logits) -> {
                if (tokens.length > prompt) {
                    throw new IllegalStateException("the processor's own bug");
                }
            });
        }
    };

    @BeforeEach
    void start() {
        for (String dir : List.of("gen/1", "gen/2", "shaped/1", "gated/1", "broken/1", "hurry/1")) {
            DecoderModels.builder().seed(dir.hashCode()).maxPositions(64).write(root.resolve(dir));
        }
        pool = new PoolFixture(root, Map.of("linear", FixtureModels.linear()), Map.of(
                "ember.functions.gated.generate.max-running", "1", "ember.functions.gated.generate.max-waiting", "1",
                "ember.functions.gen.versions.1.percent", "50", "ember.functions.gen.versions.2.percent", "50",
                "ember.functions.hurry.timeout", "300ms", "ember.functions.hurry.generate.max-running", "1"));
        FunctionRegistry functions = new FunctionRegistry(List.of(), List.of(shaped, gated, broken, hurry), pool.catalog,
                pool.config);
        plane = new DataPlane(functions,
                TestBeans.create(TrafficRouter.class, pool.catalog, pool.config, pool.registry, pool.pool),
                pool.pool, TestBeans.create(Batchers.class, pool.config, pool.registry, Executors.newCachedThreadPool()),
                new InvocationMetrics(pool.registry), new VersionGuards(pool.config, pool.registry),
                TestBeans.create(JsonBodies.class, new ObjectMapper(), pool.config), pool.catalog, pool.config,
                TestBeans.create(InFlightBudget.class, pool.config, pool.registry));
        plane.generation(TestBeans.create(GenerationEngines.class, pool.catalog, pool.config,
                new KvCacheBudget(1L << 30, pool.registry), pool.registry));
    }

    @AfterEach
    void stop() {
        gate.complete(null);
        hurryGate.complete(null);
        plane.shutdown();
        pool.close();
    }

    static GenerationRequest greedy(String prompt, int maxTokens) {
        return GenerationRequest.ofPrompt(prompt).withMaxTokens(maxTokens)
                .withSampling(OptionalDouble.of(0), OptionalDouble.empty(), OptionalLong.empty());
    }

    static final class Sink implements TokenSink {
        final StringBuilder text = new StringBuilder();
        final CompletableFuture<GenerationResult> end = new CompletableFuture<>();

        public void text(String delta) {
            text.append(delta);
        }

        public void finished(GenerationResult result) {
            end.complete(result);
        }

        public void failed(Throwable failure) {
            end.completeExceptionally(failure);
        }
    }

    double invocations(String function, String outcome) {
        return pool.count("ember.invocations", "function", function, "outcome", outcome);
    }

    boolean released(ModelId id) {
        return pool.pool.unload(List.of(id)).isDone() && pool.pool.state(id) == ModelState.UNLOADED;
    }

    @Test
    void generatesIsReadFromTheFilesWithoutALoad() {
        assertThat(plane.generates("gen")).isTrue();
        assertThat(plane.generates("shaped")).isTrue();
        assertThat(plane.generates("linear")).isFalse();
        assertThat(plane.generates("nobody")).isFalse();
        assertThat(pool.pool.state(new ModelId("gen", 1))).isEqualTo(ModelState.UNLOADED);
        // a generator version's meters are there at 0 before its first request; a tensor model has none
        assertThat(pool.registry.get("ember.generate.sequences.running").tags("function", "gen", "version", "2")
                .gauge().value()).isZero();
        assertThat(pool.registry.find("ember.generate.kv.cache.budget.bytes").tags("function", "shaped").gauge()
                .value()).isEqualTo(1L << 30);
        assertThat(pool.registry.find("ember.generate.sequences.running").tags("function", "linear").gauge())
                .isNull();
        assertThat(pool.pool.state(new ModelId("gen", 2))).isEqualTo(ModelState.UNLOADED);
    }

    @Test
    void aGenerationStreamsReleasesItsModelAndIsCounted() throws Exception {
        Sink sink = new Sink();
        Generation g = plane.generate("gen", VersionSelector.pinned(2), greedy("hello there", 6), sink)
                .get(30, TimeUnit.SECONDS);
        assertThat(g.id()).isEqualTo(new ModelId("gen", 2));
        GenerationResult result = g.result().get(30, TimeUnit.SECONDS);
        assertThat(result.text()).isEqualTo(sink.text.toString());
        assertThat(sink.end.join()).isEqualTo(result);
        assertThat(result.promptTokens()).isPositive();
        assertThat(result.completionTokens()).isBetween(1, 6);
        if (result.finishReason() == FinishReason.LENGTH) {
            assertThat(result.completionTokens()).isEqualTo(6);
        }
        assertThat(invocations("gen", "success")).isEqualTo(1);
        assertThat(pool.registry.get("ember.generate.completion.tokens").tag("version", "2").counter().count())
                .isEqualTo(result.completionTokens());
        assertThat(released(g.id())).as("the lease is closed once the result is").isTrue();
    }

    @Test
    void aJavaGeneratorFunctionShapesTheRequest() throws Exception {
        Sink sink = new Sink();
        GenerationResult r = plane.generate("shaped", VersionSelector.ANY, greedy("ignored, much longer prompt", 50),
                sink).get(30, TimeUnit.SECONDS).result().get(30, TimeUnit.SECONDS);
        assertThat(r.promptTokens()).as("'fixed' in byte-level tokens").isEqualTo(5);
        assertThat(r.completionTokens()).isLessThanOrEqualTo(3);
    }

    @Test
    void badInputAndNonGeneratorsAre400AndNothingStreams() {
        Sink sink = new Sink();
        CompletableFuture<Generation> bad = plane.generate("gen", VersionSelector.ANY, greedy("x", 5)
                .withSampling(OptionalDouble.of(3), OptionalDouble.empty(), OptionalLong.empty()), sink);
        assertThatThrownBy(() -> bad.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(InvalidInputException.class)
                .cause().hasMessageStartingWith("'temperature'");
        CompletableFuture<Generation> tensor = plane.generate("linear", VersionSelector.ANY, greedy("x", 5), sink);
        assertThatThrownBy(() -> tensor.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(InvalidInputException.class)
                .cause().hasMessageStartingWith("'model'");
        CompletableFuture<Generation> unknown = plane.generate("nobody", VersionSelector.ANY, greedy("x", 5), sink);
        assertThatThrownBy(() -> unknown.get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(dev.ember.runtime.api.NotFoundException.class);
        assertThat(sink.end).isNotDone();
        assertThat(sink.text).isEmpty();
        assertThat(invocations("gen", "client_error") + invocations("linear", "client_error")).isEqualTo(2);
    }

    @Test
    void aFullWaitingQueueIs503AndACancelledStreamIsAClientErrorThatReleasesItsModel() throws Exception {
        Sink first = new Sink();
        CompletableFuture<Generation> running = plane.generate("gated", VersionSelector.ANY, greedy("a", 50), first);
        entered.get(30, TimeUnit.SECONDS);
        Sink second = new Sink();
        CompletableFuture<Generation> waiting = plane.generate("gated", VersionSelector.ANY, greedy("b", 2), second);
        CompletableFuture<Generation> refused = plane.generate("gated", VersionSelector.ANY, greedy("c", 2),
                new Sink());
        assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(UnavailableException.class)
                .cause().hasMessageContaining("max-waiting");
        assertThat(waiting).isNotDone();
        Generation g = running.get(30, TimeUnit.SECONDS);
        g.cancel();
        gate.complete(null);
        assertThatThrownBy(() -> g.result().get(30, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThat(invocations("gated", "client_error")).isEqualTo(1);
        assertThat(invocations("gated", "rejected")).isEqualTo(1);
        GenerationResult after = waiting.get(30, TimeUnit.SECONDS).result().get(30, TimeUnit.SECONDS);
        assertThat(after.completionTokens()).isBetween(1, 2);
        assertThat(invocations("gated", "success")).isEqualTo(1);
        assertThat(released(new ModelId("gated", 1))).isTrue();
    }

    @Test
    void theTrafficSplitSpreadsGenerationsOverTwoVersions() throws Exception {
        Set<Integer> versions = new HashSet<>();
        // 50/50: both versions within 40 draws but with probability 2^-39
        for (int i = 0; i < 40 && versions.size() < 2; i++) {
            Generation g = plane.generate("gen", VersionSelector.ANY, greedy("hi", 1), new Sink())
                    .get(30, TimeUnit.SECONDS);
            g.result().get(30, TimeUnit.SECONDS);
            versions.add(g.id().version());
        }
        assertThat(versions).containsExactlyInAnyOrder(1, 2);
    }

    @Test
    void aFailureAfterTheFirstTokenFailsTheStreamAsAServerErrorAndTheEngineGoesOn() throws Exception {
        Sink sink = new Sink();
        Generation g = plane.generate("broken", VersionSelector.ANY, greedy("x", 10), sink).get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> g.result().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(dev.ember.runtime.api.InferenceFailedException.class)
                .cause().hasMessageContaining("logits processor").hasMessageNotContaining("own bug");
        assertThatThrownBy(sink.end::join).hasCauseInstanceOf(dev.ember.runtime.api.InferenceFailedException.class);
        assertThat(invocations("broken", "server_error")).isEqualTo(1);
        assertThat(released(new ModelId("broken", 1))).isTrue();
        // the version's other requests are served as before
        Sink next = new Sink();
        plane.generate("gen", VersionSelector.pinned(1), greedy("fine", 2), next).get(30, TimeUnit.SECONDS).result()
                .get(30, TimeUnit.SECONDS);
        assertThat(invocations("gen", "success")).isEqualTo(1);
    }

    @Test
    void theDeadlineAnswers504EvenWhileTheEngineIsBusyAndTheLateSequenceNeverStreams() throws Exception {
        Sink first = new Sink();
        CompletableFuture<Generation> running = plane.generate("hurry", VersionSelector.ANY, greedy("a", 3), first);
        hurryEntered.get(30, TimeUnit.SECONDS);
        Sink late = new Sink();
        CompletableFuture<Generation> waiting = plane.generate("hurry", VersionSelector.ANY, greedy("b", 3), late);
        // the engine's thread is held in the first one's sampling: the 504 comes from the deadline's timer
        assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(dev.ember.runtime.api.QueueTimeoutException.class);
        hurryGate.complete(null);
        running.get(30, TimeUnit.SECONDS).result().get(30, TimeUnit.SECONDS);
        assertThat(invocations("hurry", "timeout")).isEqualTo(1);
        assertThat(invocations("hurry", "success")).isEqualTo(1);
        assertThat(late.text).isEmpty();
        assertThat(late.end).isNotDone();
        assertThat(released(new ModelId("hurry", 1))).isTrue();
    }
}
