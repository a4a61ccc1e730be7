package dev.ember.runtime.generate;

import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.LogitsProcessor;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.pool.KvCacheBudget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An engine over a {@link FakeDecoder}, and sinks that record what they got. */
final class Streams {

    static final ModelId ID = new ModelId("gen", 1);
    static final long NO_DEADLINE = Long.MAX_VALUE / 2;

    final FakeDecoder decoder;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final KvCacheBudget budget;
    final GenerationMetrics metrics;
    final GenerationEngine engine;
    final GeneratorModel model;

    Streams(FakeDecoder decoder, GenerationEngine.Settings settings, long processBudget, OptionalLong versionBudget,
            int maxPositions) {
        this(decoder, settings, null, processBudget, versionBudget, maxPositions, ID);
    }

    /** An engine of version {@code id} on {@code shared} budget (a new one of {@code processBudget} when null). */
    Streams(FakeDecoder decoder, GenerationEngine.Settings settings, KvCacheBudget shared, long processBudget,
            OptionalLong versionBudget, int maxPositions, ModelId id) {
        this.decoder = decoder;
        this.budget = shared != null ? shared : new KvCacheBudget(processBudget, registry);
        this.metrics = new GenerationMetrics(registry, id);
        this.model = new GeneratorModel(id, FakeDecoder.BYTES, Optional.empty(), Set.of((long) FakeDecoder.EOS),
                maxPositions, OptionalDouble.empty(), OptionalDouble.empty());
        this.engine = new GenerationEngine(id, decoder, model, settings, budget.account(id, versionBudget), metrics);
    }

    static Streams of(FakeDecoder decoder) {
        return new Streams(decoder, new GenerationEngine.Settings(16, 64, 256), 1L << 30, OptionalLong.empty(), 512);
    }

    static GenerationRequest greedy(String prompt) {
        return GenerationRequest.ofPrompt(prompt).withSampling(OptionalDouble.of(0), OptionalDouble.empty(),
                OptionalLong.empty());
    }

    static GenerationRequest sampled(String prompt, long seed) {
        return GenerationRequest.ofPrompt(prompt).withSampling(OptionalDouble.of(0.9), OptionalDouble.of(0.9),
                OptionalLong.of(seed));
    }

    /** A processor that makes the model write {@code text} (its UTF-8 bytes), then end it with EOS. */
    static LogitsProcessor writes(String text, int promptLength) {
        long[] bytes = FakeDecoder.BYTES.encode(text, false);
        return (tokens, logits) -> {
            int k = tokens.length - promptLength;
            int forced = k < bytes.length ? (int) bytes[k] : FakeDecoder.EOS;
            logits[forced] += 1000;
        };
    }

    /**
     * A processor that, when the sequence holds {@code length} tokens, tells {@code reached} and holds the engine's
     * thread until {@code goOn} completes: the test then acts at a known step, whatever the machine's speed.
     */
    static LogitsProcessor pauses(int length, CompletableFuture<Void> reached, CompletableFuture<Void> goOn) {
        return (tokens, logits) -> {
            if (tokens.length == length) {
                reached.complete(null);
                goOn.join();
            }
        };
    }

    /** A processor that never lets the sequence end. */
    static LogitsProcessor endless() {
        return (tokens, logits) -> logits['x'] += 1000;
    }

    Recorder start(GenerationRequest request) {
        Recorder r = new Recorder();
        r.generation = engine.submit(request, r, NO_DEADLINE);
        return r;
    }

    /** Runs one request alone on a fresh engine over the same fake model. */
    static GenerationResult alone(GenerationRequest request) {
        Streams s = of(new FakeDecoder());
        return s.start(request).done();
    }

    /** Records a generation's stream. */
    static final class Recorder implements TokenSink {
        final StringBuilder text = new StringBuilder();
        final BlockingQueue<String> deltas = new LinkedBlockingQueue<>();
        final CompletableFuture<GenerationResult> end = new CompletableFuture<>();
        volatile CompletableFuture<Generation> generation;
        volatile int calls;

        @Override
        public void text(String delta) {
            calls++;
            text.append(delta);
            deltas.add(delta);
        }

        @Override
        public void finished(GenerationResult result) {
            calls++;
            end.complete(result);
        }

        @Override
        public void failed(Throwable failure) {
            calls++;
            end.completeExceptionally(failure);
        }

        GenerationResult done() {
            try {
                GenerationResult r = end.get(60, TimeUnit.SECONDS);
                // the result completes once the sequence left the engine, its cache freed
                GenerationResult released = generation.get(60, TimeUnit.SECONDS).result().get(60, TimeUnit.SECONDS);
                if (!released.equals(r)) {
                    throw new AssertionError("the sink got " + r + ", the result is " + released);
                }
                if (!r.text().equals(text.toString())) {
                    throw new AssertionError("the deltas " + text + " are not the text " + r.text());
                }
                return r;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        String nextDelta() throws InterruptedException {
            String d = deltas.poll(60, TimeUnit.SECONDS);
            if (d == null) {
                throw new AssertionError("no text within a minute");
            }
            return d;
        }
    }

    static List<String> prompts(int n) {
        java.util.List<String> out = new java.util.ArrayList<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            int length = 1 + random.nextInt(40);
            for (int j = 0; j < length; j++) {
                b.append((char) ('a' + random.nextInt(26)));
            }
            out.add(b.toString());
        }
        return out;
    }

    static String referenceText(String prompt, int maxTokens, int maxPositions) {
        List<Long> tokens = FakeDecoder.reference(FakeDecoder.BYTES.encode(prompt, true), maxTokens, maxPositions);
        return FakeDecoder.BYTES.decode(tokens.stream().mapToLong(Long::longValue).toArray());
    }
}
