package dev.ember.runtime.generate;

import static dev.ember.runtime.generate.Streams.greedy;
import static dev.ember.runtime.generate.Streams.sampled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.QueueTimeoutException;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.generate.Streams.Recorder;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.pool.KvCacheBudget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class GenerationEngineTest {

    static final int CONTEXT = 512;

    @Test
    void sixteenConcurrentGreedyStreamsEachReturnWhatTheyReturnAlone() throws Exception {
        List<String> prompts = Streams.prompts(16);
        FakeDecoder decoder = FakeDecoder.gated();
        Streams streams = Streams.of(decoder);
        List<Recorder> recorders = new ArrayList<>();
        for (String p : prompts) {
            recorders.add(streams.start(greedy(p)));
        }
        decoder.gate.complete(null);
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult batched = recorders.get(i).done();
            GenerationResult alone = Streams.alone(greedy(prompts.get(i)));
            String reference = Streams.referenceText(prompts.get(i), CONTEXT, CONTEXT);
            assertThat(batched.text()).as("stream %d against the batch-free loop", i).isEqualTo(reference);
            assertThat(batched).as("stream %d batched against alone", i).isEqualTo(alone);
            assertThat(batched.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(batched.promptTokens()).isEqualTo(prompts.get(i).length());
        }
        assertThat(decoder.violations).isEmpty();
        int widest = decoder.runs.stream().mapToInt(r -> r[0]).max().orElse(0);
        assertThat(widest).as("rows of the widest step").isGreaterThanOrEqualTo(8);
        // lengths differ, so sequences left the batch at different steps
        assertThat(recorders.stream().map(r -> r.end.join().completionTokens()).distinct().count()).isGreaterThan(3);
        assertThat(decoder.openCaches.get()).as("caches left open").isZero();
        assertThat(streams.budget.used()).isZero();
        assertThat(streams.metrics.running()).isZero();
    }

    @Test
    void aSeededSampledStreamIsTheSameAloneAndInABatch() {
        List<String> prompts = Streams.prompts(8);
        FakeDecoder decoder = FakeDecoder.gated();
        Streams streams = Streams.of(decoder);
        List<Recorder> recorders = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            recorders.add(streams.start(sampled(prompts.get(i), 100 + i)));
        }
        decoder.gate.complete(null);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult batched = recorders.get(i).done();
            assertThat(batched).isEqualTo(Streams.alone(sampled(prompts.get(i), 100 + i)));
            texts.add(batched.text());
        }
        // sampling did sample: another seed gives another text
        assertThat(Streams.alone(sampled(prompts.get(0), 999)).text()).isNotEqualTo(texts.get(0));
        assertThat(decoder.violations).isEmpty();
    }

    @Test
    void aStopStringEndsTheTextBeforeItAndIsNeverStreamed() throws Exception {
        Streams streams = Streams.of(new FakeDecoder());
        String prompt = "say it";
        Recorder r = streams.start(greedy(prompt).withStop(List.of("END", "never"))
                .withProcessor(Streams.writes("Hello, world! ENDING", prompt.length())));
        GenerationResult result = r.done();
        assertThat(result.text()).isEqualTo("Hello, world! ");
        assertThat(result.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(result.promptTokens()).isEqualTo(prompt.length());
        assertThat(result.completionTokens()).as("up to the stop string's last token").isEqualTo(17);
        assertThat(r.deltas).noneMatch(d -> d.contains("E"));
    }

    @Test
    void maxTokensEndsWithLengthAndEosWithStop() {
        Streams streams = Streams.of(new FakeDecoder());
        GenerationResult length = streams.start(greedy("p").withMaxTokens(5)
                .withProcessor(Streams.writes("Hello, world", 1))).done();
        assertThat(length).isEqualTo(new GenerationResult("Hello", FinishReason.LENGTH, 1, 5));
        GenerationResult eos = streams.start(greedy("pp").withProcessor(Streams.writes("Hi", 2))).done();
        assertThat(eos).as("the EOS token counts, its text does not")
                .isEqualTo(new GenerationResult("Hi", FinishReason.STOP, 2, 3));
        GenerationResult one = streams.start(greedy("p").withMaxTokens(1).withProcessor(Streams.writes("Hi", 1)))
                .done();
        assertThat(one).isEqualTo(new GenerationResult("H", FinishReason.LENGTH, 1, 1));
    }

    @Test
    void theContextCutsAGenerationWithLength() {
        FakeDecoder decoder = new FakeDecoder();
        Streams streams = new Streams(decoder, new GenerationEngine.Settings(4, 4, 256), 1L << 30,
                OptionalLong.empty(), 20);
        GenerationResult r = streams.start(greedy("0123456789").withProcessor(Streams.endless())).done();
        assertThat(r).isEqualTo(new GenerationResult("xxxxxxxxxx", FinishReason.LENGTH, 10, 10));
    }

    @Test
    void textDeltasNeverSplitACharacter() {
        Streams streams = Streams.of(new FakeDecoder());
        String text = "né € 😀 ok";
        Recorder r = streams.start(greedy("p").withProcessor(Streams.writes(text, 1)));
        assertThat(r.done().text()).isEqualTo(text);
        assertThat(r.deltas).noneMatch(d -> d.contains("\uFFFD"));
        assertThat(r.deltas).noneMatch(d -> Character.isHighSurrogate(d.charAt(d.length() - 1)));
    }

    @Test
    void aCancelledStreamLeavesTheBatchAtTheNextStep() throws Exception {
        FakeDecoder decoder = FakeDecoder.gated();
        Streams streams = Streams.of(decoder);
        // each stream stops the engine in its own sampling once, at a step of its own, until the test goes on
        CompletableFuture<Void> aReached = new CompletableFuture<>();
        CompletableFuture<Void> aGoOn = new CompletableFuture<>();
        CompletableFuture<Void> bReached = new CompletableFuture<>();
        CompletableFuture<Void> bGoOn = new CompletableFuture<>();
        Recorder a = streams.start(greedy("a").withProcessor(Streams.endless()).withMaxTokens(400)
                .withProcessor(Streams.pauses(3, aReached, aGoOn)));
        Recorder b = streams.start(greedy("b").withProcessor(Streams.endless()).withMaxTokens(400)
                .withProcessor(Streams.pauses(10, bReached, bGoOn)));
        decoder.gate.complete(null);
        Generation ga = a.generation.get(10, TimeUnit.SECONDS);
        aReached.get(10, TimeUnit.SECONDS);
        assertThat(streams.metrics.running()).isEqualTo(2);
        ga.cancel();
        aGoOn.complete(null);
        assertThatThrownBy(() -> ga.result().get(10, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThatThrownBy(a.end::join).isInstanceOf(CancellationException.class);
        // a step after the cancellation: b alone, in a cache of one row
        bReached.get(10, TimeUnit.SECONDS);
        assertThat(streams.metrics.running()).isEqualTo(1);
        int[] last = decoder.runs.get(decoder.runs.size() - 1);
        assertThat(last[0]).as("rows of the step b samples from").isEqualTo(1);
        assertThat(streams.budget.used()).isLessThanOrEqualTo(11 * decoder.layout.bytesPerToken());
        bGoOn.complete(null);
        b.generation.join().cancel();
        assertThatThrownBy(b.end::join).isInstanceOf(CancellationException.class);
        assertThat(decoder.violations).isEmpty();
    }

    @Test
    void theKvBudgetQueuesThenSheds() throws Exception {
        FakeDecoder decoder = FakeDecoder.gated();
        long bpt = decoder.layout.bytesPerToken();
        // one sequence of 10 + 8 tokens fits; two never do together
        Streams streams = new Streams(decoder, new GenerationEngine.Settings(16, 2, 256), 1L << 30,
                OptionalLong.of(300), CONTEXT);
        assertThat(18 * bpt).isLessThanOrEqualTo(300);
        List<String> prompts = List.of("aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc");
        Recorder first = streams.start(greedy(prompts.get(0)).withMaxTokens(8));
        decoder.entered.get(10, TimeUnit.SECONDS);
        Recorder second = streams.start(greedy(prompts.get(1)).withMaxTokens(8));
        Recorder third = streams.start(greedy(prompts.get(2)).withMaxTokens(8));
        assertThat(streams.metrics.waiting()).isEqualTo(2);
        assertThatThrownBy(() -> streams.start(greedy("dddddddddd").withMaxTokens(8)))
                .isInstanceOf(UnavailableException.class).hasMessageContaining("max-waiting")
                .satisfies(e -> assertThat(((UnavailableException) e).retryAfter()).isPositive());
        assertThatThrownBy(() -> streams.start(greedy("e".repeat(19))))
                .as("a prompt whose cache can never fit").isInstanceOf(PayloadTooLargeException.class)
                .hasMessageStartingWith("'prompt'");
        decoder.gate.complete(null);
        List<Recorder> all = List.of(first, second, third);
        for (int i = 0; i < 3; i++) {
            assertThat(all.get(i).done().text()).isEqualTo(Streams.referenceText(prompts.get(i), 8, CONTEXT));
        }
        assertThat(decoder.runs).allMatch(r -> r[0] == 1);
        assertThat(streams.registry.get("ember.requests.rejected").tag("reason", "queue_full").counter().count())
                .isEqualTo(1);
        assertThat(decoder.violations).isEmpty();
    }

    @Test
    void aTinyBudgetPreemptsAndTheOutputIsUnchanged() {
        FakeDecoder decoder = FakeDecoder.gated();
        long bpt = decoder.layout.bytesPerToken();
        List<String> prompts = List.of("abcde", "fghij", "klmno", "pqrst");
        // four short sequences are admitted, then their growth does not fit
        Streams streams = new Streams(decoder, new GenerationEngine.Settings(16, 64, 256), 1L << 30,
                OptionalLong.of(4 * 14 * bpt), CONTEXT);
        List<Recorder> greedyOnes = new ArrayList<>();
        List<Recorder> seeded = new ArrayList<>();
        for (String p : prompts) {
            greedyOnes.add(streams.start(greedy(p).withMaxTokens(30)));
            seeded.add(streams.start(sampled(p, p.hashCode()).withMaxTokens(30)));
        }
        decoder.gate.complete(null);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(greedyOnes.get(i).done().text()).isEqualTo(Streams.referenceText(prompts.get(i), 30, CONTEXT));
            assertThat(seeded.get(i).done())
                    .isEqualTo(Streams.alone(sampled(prompts.get(i), prompts.get(i).hashCode()).withMaxTokens(30)));
        }
        assertThat(streams.registry.get("ember.generate.preemptions").counter().count()).isPositive();
        assertThat(decoder.violations).isEmpty();
        assertThat(decoder.openCaches.get()).isZero();
    }

    @Test
    void aLongPromptInChunksGivesTheTokensOfOnePass() {
        String prompt = "the quick brown fox jumps over the lazy dog, twice over";
        FakeDecoder chunked = new FakeDecoder();
        Streams small = new Streams(chunked, new GenerationEngine.Settings(16, 64, 7), 1L << 30,
                OptionalLong.empty(), CONTEXT);
        FakeDecoder whole = new FakeDecoder();
        Streams big = new Streams(whole, new GenerationEngine.Settings(16, 64, 1000), 1L << 30,
                OptionalLong.empty(), CONTEXT);
        GenerationResult a = small.start(greedy(prompt)).done();
        GenerationResult b = big.start(greedy(prompt)).done();
        assertThat(a).isEqualTo(b);
        assertThat(chunked.runs.stream().mapToInt(r -> r[1]).max().orElse(0)).isEqualTo(7);
        assertThat(whole.runs.get(0)[1]).isEqualTo(prompt.length());
        assertThat(chunked.violations).isEmpty();
    }

    @Test
    void aLongPromptStallsTheRunningStreamsOneChunkAtATime() throws Exception {
        FakeDecoder decoder = new FakeDecoder();
        Streams streams = new Streams(decoder, new GenerationEngine.Settings(16, 64, 8), 1L << 30,
                OptionalLong.empty(), CONTEXT);
        CompletableFuture<Void> reached = new CompletableFuture<>();
        CompletableFuture<Void> submitted = new CompletableFuture<>();
        Recorder running = streams.start(greedy("r").withProcessor(Streams.endless()).withMaxTokens(300)
                .withProcessor(Streams.pauses(3, reached, submitted)));
        reached.get(10, TimeUnit.SECONDS);
        Recorder longOne = streams.start(greedy("z".repeat(100)).withMaxTokens(3));
        submitted.complete(null);
        longOne.done();
        running.generation.join().cancel();
        // between two prompt chunks of the long prompt, a decode step of the running stream
        List<int[]> runs = new ArrayList<>(decoder.runs);
        int chunks = 0;
        for (int i = 1; i < runs.size(); i++) {
            if (runs.get(i)[1] > 1) {
                chunks++;
                assertThat(runs.get(i - 1)).as("run before chunk %d", chunks).containsExactly(1, 1);
            }
        }
        assertThat(chunks).isEqualTo(13);
    }

    @Test
    void aFailedRunFailsItsSequencesAndTheEngineGoesOn() {
        FakeDecoder decoder = new FakeDecoder();
        decoder.failing = i -> i == 3;
        Streams streams = Streams.of(decoder);
        Recorder broken = streams.start(greedy("abc").withProcessor(Streams.endless()).withMaxTokens(50));
        assertThatThrownBy(broken.end::join).hasCauseInstanceOf(InferenceFailedException.class);
        assertThat(streams.metrics.running()).isZero();
        GenerationResult next = streams.start(greedy("abc")).done();
        assertThat(next.text()).isEqualTo(Streams.referenceText("abc", CONTEXT, CONTEXT));
        assertThat(decoder.openCaches.get()).isZero();
    }

    @Test
    void aSequenceNeverScheduledBeforeItsDeadlineIs504() throws Exception {
        FakeDecoder decoder = FakeDecoder.gated();
        Streams streams = new Streams(decoder, new GenerationEngine.Settings(1, 4, 256), 1L << 30,
                OptionalLong.empty(), CONTEXT);
        Recorder first = streams.start(greedy("a").withMaxTokens(3));
        decoder.entered.get(10, TimeUnit.SECONDS);
        Recorder late = new Recorder();
        late.generation = streams.engine.submit(greedy("b"), late, System.nanoTime() - Duration.ofMillis(1).toNanos());
        decoder.gate.complete(null);
        assertThatThrownBy(() -> late.generation.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(QueueTimeoutException.class);
        assertThat(late.calls).as("the sink hears nothing of a generation never admitted").isZero();
        first.done();
    }

    @Test
    void aBadRequestIsRefusedBeforeItQueues() {
        Streams streams = Streams.of(new FakeDecoder());
        assertThatThrownBy(() -> streams.start(GenerationRequest.ofPrompt("")))
                .hasMessageStartingWith("'prompt'");
        assertThat(streams.metrics.waiting()).isZero();
    }

    @Test
    void versionsShareTheProcessWideBudgetAndAWaitingOneRunsWhenTheOtherLetsGo() throws Exception {
        long bpt = new FakeDecoder().layout.bytesPerToken();
        KvCacheBudget shared = new KvCacheBudget(40 * bpt, new SimpleMeterRegistry());
        FakeDecoder first = FakeDecoder.gated();
        Streams v1 = new Streams(first, new GenerationEngine.Settings(4, 4, 256), shared, 0, OptionalLong.empty(),
                CONTEXT, new ModelId("gen", 1));
        Streams v2 = new Streams(new FakeDecoder(), new GenerationEngine.Settings(4, 4, 256), shared, 0,
                OptionalLong.empty(), CONTEXT, new ModelId("gen", 2));
        Recorder big = v1.start(greedy("y".repeat(30)).withProcessor(Streams.endless()).withMaxTokens(5));
        first.entered.get(10, TimeUnit.SECONDS);
        // version 1 holds 31 of the 40 tokens' room: version 2's 20-token prompt waits for it
        Recorder small = v2.start(greedy("z".repeat(20)).withMaxTokens(3));
        assertThat(small.generation).isNotDone();
        assertThat(v2.metrics.waiting()).isEqualTo(1);
        first.gate.complete(null);
        assertThat(big.done().text()).isEqualTo("xxxxx");
        assertThat(small.done().text()).isEqualTo(Streams.referenceText("z".repeat(20), 3, CONTEXT));
        assertThat(shared.used()).isZero();
    }

    @Test
    void theEngineThreadEndsWhenItHasNoWork() throws Exception {
        Streams streams = Streams.of(new FakeDecoder());
        AtomicReference<Thread> engineThread = new AtomicReference<>();
        streams.start(greedy("abc").withProcessor((tokens, logits) -> engineThread.set(Thread.currentThread())))
                .done();
        engineThread.get().join(TimeUnit.SECONDS.toMillis(10));
        assertThat(engineThread.get().isAlive()).isFalse();
        assertThat(engineThread.get().getName()).isEqualTo("ember-generate-gen-v1");
        assertThat(engineThread.get().isDaemon()).isTrue();
        assertThat(streams.engine.idle()).isTrue();
        // and the next request starts a fresh one
        assertThat(streams.start(greedy("abc")).done().text()).isEqualTo(Streams.referenceText("abc", CONTEXT,
                CONTEXT));
    }

    @Test
    void theSchedulingHookRunsBeforeAnyText() throws Exception {
        Streams streams = Streams.of(new FakeDecoder());
        Recorder r = new Recorder();
        AtomicInteger callsAtSchedule = new AtomicInteger(-1);
        r.generation = streams.engine.submit(greedy("abc").withMaxTokens(4), r, Streams.NO_DEADLINE,
                g -> callsAtSchedule.set(r.calls));
        r.done();
        assertThat(callsAtSchedule.get()).isZero();
    }
}
