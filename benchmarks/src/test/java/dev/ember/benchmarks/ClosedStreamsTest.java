package dev.ember.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ClosedStreamsTest {

    private static final long MS = 1_000_000;

    /** A stream sent at {@code sent} (ms) with text chunks at {@code chunks} (ms). */
    private static StreamRecord stream(long sent, int tokens, boolean cancelled, long... chunks) {
        long[] nanos = new long[chunks.length];
        for (int i = 0; i < chunks.length; i++) {
            nanos[i] = chunks[i] * MS;
        }
        long end = chunks.length == 0 ? sent * MS : nanos[nanos.length - 1];
        return new StreamRecord(sent * MS, nanos, end, 10, cancelled ? -1 : tokens, cancelled ? null : "length",
                "", null, cancelled);
    }

    @Test
    void rampLengthsSpreadUpToTheFullLength() {
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lengths.add(ClosedStreams.rampTokens(i, 4, 128));
        }
        assertThat(lengths).containsExactly(32, 64, 96, 128);
        assertThat(ClosedStreams.rampTokens(0, 16, 8)).isEqualTo(1);
        assertThat(ClosedStreams.rampTokens(15, 16, 128)).isEqualTo(128);
    }

    @Test
    void aWindowCountsOnlyWhatHappenedInsideIt() {
        // window [100 ms, 200 ms]
        StreamRecord ramp = stream(0, 4, false, 10, 50, 90, 110);
        StreamRecord joined = stream(120, 4, false, 150, 160, 170, 180);
        StreamRecord cut = stream(150, -1, true, 190, 195, 205);
        StreamRecord waiting = stream(199, -1, true);
        ClosedStreams.Window w = new ClosedStreams.Window(2, 4, List.of(ramp), List.of(joined, cut, waiting),
                100 * MS, 200 * MS, "", "");

        assertThat(w.seconds()).isEqualTo(0.1);
        assertThat(w.tokensPerChunk()).isEqualTo(1.0); // 8 tokens in 8 chunks over the completed streams
        // chunks at 110; 150, 160, 170, 180; 190, 195 = 7 in 0.1 s
        assertThat(w.tokensPerSecond()).isCloseTo(70.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(w.sentInWindow()).containsExactly(joined, cut, waiting);
        assertThat(w.ttft().count()).isEqualTo(2);
        assertThat(w.ttft().percentile(50)).isEqualTo(30.0);
        assertThat(w.ttft().percentile(99)).isEqualTo(40.0);
        assertThat(w.waitingAtEnd()).isEqualTo(1);
        // gaps inside: 110-90 starts before the window; 10,10,10 (joined); 5 (cut); 205 is after it
        assertThat(w.gaps().count()).isEqualTo(4);
        assertThat(w.gaps().max()).isEqualTo(10.0);
        assertThat(w.completed()).isEqualTo(1);
        assertThat(w.shortOfMaxTokens()).isZero();
        assertThat(w.failed()).isEmpty();
    }

    @Test
    void chunksCarryingSeveralTokensAreScaledByTheCompletedStreamsRatio() {
        StreamRecord two = stream(0, 4, false, 10, 20); // 4 tokens in 2 chunks
        ClosedStreams.Window w = new ClosedStreams.Window(1, 4, List.of(), List.of(two), 0, 1000 * MS, "", "");

        assertThat(w.tokensPerChunk()).isEqualTo(2.0);
        assertThat(w.tokensPerSecond()).isEqualTo(4.0);
    }

    @Test
    void theLoopRampsEachClientThenCancelsEveryOpenStreamWhenTheWindowCloses() throws Exception {
        List<Integer> asked = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch blocked = new CountDownLatch(3);
        LoadGeneratorTest.ScriptedClock clock = new LoadGeneratorTest.ScriptedClock();
        // ramp streams end at once; every later stream stays open until it is cancelled
        ThreadLocal<Boolean> rampDone = ThreadLocal.withInitial(() -> false);
        ClosedStreams.Sender sender = (tokens, register) -> {
            asked.add(tokens);
            long sent = clock.nanoTime();
            if (!rampDone.get()) {
                rampDone.set(true);
                return new StreamRecord(sent, new long[] {sent}, sent, 1, tokens, "length", "x", null, false);
            }
            CountDownLatch closed = new CountDownLatch(1);
            Closeable handle = closed::countDown;
            register.accept(handle);
            blocked.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new StreamRecord(sent, new long[0], clock.nanoTime(), -1, -1, null, "", null, true);
        };
        int[] scrapes = {0};
        ClosedStreams.Scrape scrape = () -> {
            if (scrapes[0]++ == 0) {
                // the window opens only after the ramp: wait until every client is in a blocking stream
                assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
            }
            return "scrape " + scrapes[0];
        };

        ClosedStreams.Window w = ClosedStreams.run(3, 9, 50 * MS, TimeUnit.SECONDS.toNanos(10), sender, scrape,
                clock);

        assertThat(w.ramp()).extracting(StreamRecord::completionTokens).containsExactlyInAnyOrder(3, 6, 9);
        assertThat(w.streams()).hasSize(3).allMatch(StreamRecord::cancelled);
        assertThat(asked).hasSize(6).containsOnly(3, 6, 9);
        assertThat(w.end() - w.start()).isEqualTo(50 * MS);
        assertThat(w.metricsBefore()).isEqualTo("scrape 1");
        assertThat(w.metricsAfter()).isEqualTo("scrape 2");
    }
}
