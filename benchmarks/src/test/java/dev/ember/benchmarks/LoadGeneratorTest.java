package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A clock that only moves when told to, or when someone sleeps until a later time. */
    static final class ScriptedClock implements Clock {
        final AtomicLong now = new AtomicLong(1_000 * MS);

        @Override
        public long nanoTime() {
            return now.get();
        }

        @Override
        public void sleepUntil(long deadline) {
            now.accumulateAndGet(deadline, Math::max);
        }

        void advance(long nanos) {
            now.addAndGet(nanos);
        }
    }

    private final ScriptedClock clock = new ScriptedClock();
    private final LoadGenerator load = new LoadGenerator(clock, Duration.ofSeconds(1));

    @Test
    void closedLoopCountsEveryRequestOnceByOutcome() throws Exception {
        AtomicInteger n = new AtomicInteger();
        LoadResult result = load.closedLoop(4, LoadGenerator.Bounds.requests(100), () -> {
            int i = n.incrementAndGet();
            if (i % 10 == 0) {
                throw new IOException("connection reset");
            }
            return Outcome.of(i % 10 == 5 ? 503 : 200);
        });

        assertThat(n.get()).isEqualTo(100);
        assertThat(result.sent()).isEqualTo(100);
        assertThat(result.statuses()).containsOnlyKeys(200, 503);
        assertThat(result.statuses().get(200)).isEqualTo(80);
        assertThat(result.statuses().get(503)).isEqualTo(10);
        assertThat(result.errors()).isEqualTo(10);
        assertThat(result.succeeded()).isEqualTo(80);
        assertThat(result.unfinished()).isZero();
        assertThat(result.statusLine()).isEqualTo("100 sent: 80 x 200, 10 x 503; 10 transport errors");
    }

    @Test
    void closedLoopMeasuresFromSendToAnswerAndStopsAtItsTimeBound() throws Exception {
        AtomicInteger n = new AtomicInteger();
        LoadResult result = load.closedLoop(1, LoadGenerator.Bounds.time(Duration.ofSeconds(1)), () -> {
            clock.advance((n.incrementAndGet() % 2 == 0 ? 150 : 50) * MS);
            return Outcome.of(200);
        });

        // 50 + 150 + 50 + ... : the 10th request ends at exactly 1 s, the deadline
        assertThat(result.sent()).isEqualTo(10);
        assertThat(result.percentileMillis(50)).isCloseTo(50, within(0.1));
        assertThat(result.maxMillis()).isCloseTo(150, within(0.2));
        assertThat(result.meanMillis()).isCloseTo(100, within(0.2));
        assertThat(result.elapsedSeconds()).isCloseTo(1.0, within(1e-9));
        assertThat(result.throughput()).isCloseTo(10.0, within(1e-9));
    }

    @Test
    void latencyIsRecordedOnlyForSuccessesAndAlsoUnderTheirLabel() throws Exception {
        List<Outcome> outcomes = List.of(new Outcome(200, "hit"), new Outcome(200, "miss"), new Outcome(200, "hit"),
                new Outcome(404, "hit"), new Outcome(201, null));
        List<Long> latencies = List.of(1 * MS, 40 * MS, 3 * MS, 7 * MS, 5 * MS);
        AtomicInteger n = new AtomicInteger();
        LoadResult result = load.closedLoop(1, LoadGenerator.Bounds.requests(outcomes.size()), () -> {
            int i = n.getAndIncrement();
            clock.advance(latencies.get(i));
            return outcomes.get(i);
        });

        assertThat(result.succeeded()).isEqualTo(4);
        assertThat(result.statuses()).containsEntry(200, 3L).containsEntry(201, 1L).containsEntry(404, 1L);
        assertThat(result.count("hit")).isEqualTo(2);
        assertThat(result.count("miss")).isEqualTo(1);
        assertThat(result.count("other")).isZero();
        assertThat(result.percentileMillis("hit", 100)).isCloseTo(3, within(0.01));
        assertThat(result.percentileMillis("miss", 50)).isCloseTo(40, within(0.05));
        assertThat(result.maxMillis()).isCloseTo(40, within(0.05)); // the 404's 7 ms is not a latency
        assertThat(result.percentileMillis("other", 50)).isNaN();
    }

    @Test
    void openLoopMeasuresFromTheScheduledTimeSoAStallIsNotHidden() throws Exception {
        AtomicInteger n = new AtomicInteger();
        // 100/s: due at 0, 10, 20, 30, 40 ms; sending the first blocks the sender for 25 ms
        LoadResult result = load.openLoop(100, new LoadGenerator.Bounds(5, Duration.ofSeconds(1)), 10, () -> {
            if (n.getAndIncrement() == 0) {
                clock.advance(25 * MS);
            }
            return CompletableFuture.completedFuture(Outcome.of(200));
        });

        // answered at 25, 25, 25, 30, 40 ms: late by 25, 15, 5, 0, 0 (measuring from the send would give 25, 0, 0, 0, 0)
        assertThat(result.sent()).isEqualTo(5);
        assertThat(result.succeeded()).isEqualTo(5);
        assertThat(result.maxMillis()).isCloseTo(25, within(0.05));
        assertThat(result.percentileMillis(50)).isCloseTo(5, within(0.01));
        assertThat(result.percentileMillis(80)).isCloseTo(15, within(0.02));
        assertThat(result.percentileMillis(0)).isZero();
    }

    @Test
    void openLoopSendsOnScheduleUntilItsTimeBound() throws Exception {
        AtomicInteger n = new AtomicInteger();
        List<Long> sentAt = new java.util.ArrayList<>();
        long start = clock.nanoTime();
        LoadResult result = load.openLoop(50, LoadGenerator.Bounds.time(Duration.ofMillis(100)), 10, () -> {
            n.incrementAndGet();
            sentAt.add(clock.nanoTime() - start);
            return CompletableFuture.completedFuture(Outcome.of(200));
        });

        assertThat(sentAt).containsExactly(0L, 20 * MS, 40 * MS, 60 * MS, 80 * MS);
        assertThat(result.sent()).isEqualTo(5);
        assertThat(result.notSent()).isZero();
    }

    @Test
    void openLoopSkipsRequestsBeyondTheInFlightLimitAndCountsUnansweredOnesAsUnfinished() throws Exception {
        List<CompletableFuture<Outcome>> pending = new java.util.ArrayList<>();
        LoadResult result = load.openLoop(1000, LoadGenerator.Bounds.requests(6), 2, () -> {
            CompletableFuture<Outcome> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        });

        assertThat(pending).hasSize(2);
        assertThat(result.notSent()).isEqualTo(4);
        assertThat(result.unfinished()).isEqualTo(2);
        assertThat(result.sent()).isEqualTo(2);
        assertThat(result.succeeded()).isZero();
        assertThat(result.statusLine()).isEqualTo(
                "2 sent: no answers; 0 transport errors, 2 unfinished; 4 not sent (too many in flight)");

        pending.forEach(f -> f.complete(Outcome.of(200))); // after the run: not counted
        assertThat(result.succeeded()).isZero();
    }

    @Test
    void openLoopCountsFailedAnswersAsTransportErrors() throws Exception {
        AtomicInteger n = new AtomicInteger();
        LoadResult result = load.openLoop(1000, LoadGenerator.Bounds.requests(4), 10, () -> n.getAndIncrement() % 2 == 0
                ? CompletableFuture.failedFuture(new IOException("refused"))
                : CompletableFuture.completedFuture(Outcome.of(200)));

        assertThat(result.errors()).isEqualTo(2);
        assertThat(result.statuses()).containsExactlyEntriesOf(java.util.Map.of(200, 2L));
        assertThat(result.sent()).isEqualTo(4);
    }

    @Test
    void openLoopDueTimesAreComputedFromTheirIndexSoRoundingDoesNotAccumulate() {
        assertThat(LoadGenerator.dueOffsetNanos(3, 0)).isZero();
        assertThat(LoadGenerator.dueOffsetNanos(3, 1)).isEqualTo(333_333_333L);
        assertThat(LoadGenerator.dueOffsetNanos(3, 2)).isEqualTo(666_666_667L);
        assertThat(LoadGenerator.dueOffsetNanos(3, 3)).isEqualTo(1_000_000_000L);
        // a rounded interval times the index would be 1 ms early after an hour at 3/s (333,333,333 ns x 10,800)
        assertThat(LoadGenerator.dueOffsetNanos(3, 10_800)).isEqualTo(3_600_000_000_000L);
        assertThat(LoadGenerator.dueOffsetNanos(202, 202 * 15)).isEqualTo(15_000_000_000L);
    }

    @Test
    void anOpenLoopSchedulesTheRequestsDueBeforeItsEnd() {
        assertThat(LoadGenerator.scheduled(50, Duration.ofMillis(100))).isEqualTo(5); // 0, 20, ..., 80 ms
        assertThat(LoadGenerator.scheduled(3, Duration.ofSeconds(1))).isEqualTo(3); // 0, 333, 667 ms; not 1000
        assertThat(LoadGenerator.scheduled(3, Duration.ofMillis(1001))).isEqualTo(4);
        assertThat(LoadGenerator.scheduled(202, Duration.ofSeconds(15))).isEqualTo(3030);
        assertThat(LoadGenerator.scheduled(0.5, Duration.ofSeconds(3))).isEqualTo(2); // 0 and 2 s
        assertThat(LoadGenerator.scheduled(100, Duration.ZERO)).isZero();
    }

    @Test
    void anOpenLoopSendsExactlyTheScheduleOfItsRate() throws Exception {
        List<Long> sentAt = new java.util.ArrayList<>();
        long start = clock.nanoTime();
        load.openLoop(3, LoadGenerator.Bounds.time(Duration.ofMillis(2500)), 10, () -> {
            sentAt.add(clock.nanoTime() - start);
            return CompletableFuture.completedFuture(Outcome.of(200));
        });

        assertThat(sentAt).hasSize((int) LoadGenerator.scheduled(3, Duration.ofMillis(2500)))
                .containsExactly(0L, 333_333_333L, 666_666_667L, 1_000_000_000L, 1_333_333_333L, 1_666_666_667L,
                        2_000_000_000L, 2_333_333_333L);
    }

    @Test
    void theOpenLoopRateIsAWholeShareOfTheMeasuredCapacity() {
        assertThat(LoadGenerator.rateAtShare(253.4, 0.8)).isEqualTo(202.0);
        assertThat(LoadGenerator.rateAtShare(250, 0.8)).isEqualTo(200.0);
        assertThat(LoadGenerator.rateAtShare(0.4, 0.8)).isEqualTo(1.0); // never 0: an open loop needs a rate
    }
}
