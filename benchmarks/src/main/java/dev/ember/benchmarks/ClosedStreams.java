package dev.ember.benchmarks;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A closed loop of streaming clients measured over a window, and the figures of that window.
 *
 * <p>Each of N clients sends one stream after another. Their first streams are a ramp of N lengths (max_tokens
 * spread evenly up to the full length) sent together, so that afterwards the clients' streams start and end spread
 * over a stream's length instead of all at once: a steady state in which a new stream joins a batch of running
 * ones. The window opens when the last client's ramp stream ends and lasts a fixed time; when it closes every stream
 * still open is cancelled (its socket closed). Everything is counted inside the window only: text chunks by their
 * arrival, times to first token of the streams sent in it.
 */
final class ClosedStreams {

    /** What one loop saw: every stream (ramp included) and the window's bounds, in nanoTime. */
    record Window(int clients, int maxTokens, List<StreamRecord> ramp, List<StreamRecord> streams, long start,
            long end, String metricsBefore, String metricsAfter) {

        double seconds() {
            return (end - start) / 1e9;
        }

        /** Completion tokens per text chunk over the streams that completed (ramp included): 1 when every token sent text. */
        double tokensPerChunk() {
            long tokens = 0;
            long chunks = 0;
            for (StreamRecord s : all()) {
                if (s.complete() && s.textNanos().length > 0) {
                    tokens += s.completionTokens();
                    chunks += s.textNanos().length;
                }
            }
            return chunks == 0 ? Double.NaN : (double) tokens / chunks;
        }

        /** Text chunks that arrived in the window, as tokens ({@link #tokensPerChunk}), per second of the window. */
        double tokensPerSecond() {
            long chunks = 0;
            for (StreamRecord s : all()) {
                chunks += s.chunksBetween(start, end);
            }
            return chunks * tokensPerChunk() / seconds();
        }

        /** Streams sent inside the window. */
        List<StreamRecord> sentInWindow() {
            return streams.stream().filter(s -> s.sentNanos() >= start && s.sentNanos() <= end).toList();
        }

        /** Times to first token (ms) of the streams sent in the window that got one. */
        Samples ttft() {
            return new Samples(sentInWindow().stream().filter(StreamRecord::gotFirstText)
                    .map(StreamRecord::ttftMillis).toList());
        }

        /**
         * Times to first token (ms) of every stream sent in the window, a stream still waiting when it closed counted
         * as its wait so far: a lower bound when {@link #waitingAtEnd} is not 0, the exact figures otherwise.
         */
        Samples ttftAtLeast() {
            return new Samples(sentInWindow().stream().map(s -> s.gotFirstText() ? s.ttftMillis()
                    : (end - s.sentNanos()) / 1e6).toList());
        }

        /** Times to first token (ms) of the ramp: N streams sent at once. */
        Samples burstTtft() {
            return new Samples(ramp.stream().filter(StreamRecord::gotFirstText).map(StreamRecord::ttftMillis).toList());
        }

        /** Streams sent in the window that had no text yet when it closed (their wait is longer than {@link #ttft} shows). */
        long waitingAtEnd() {
            return sentInWindow().stream().filter(s -> !s.gotFirstText()).count();
        }

        /** Gaps (ms) between consecutive text chunks of a stream, both inside the window. */
        Samples gaps() {
            List<Double> gaps = new ArrayList<>();
            for (StreamRecord s : all()) {
                gaps.addAll(s.gapsMillis(start, end));
            }
            return new Samples(gaps);
        }

        /** Streams that failed other than by the window's cancellation. */
        List<StreamRecord> failed() {
            return all().stream().filter(s -> s.error() != null && !s.cancelled()).toList();
        }

        /** Streams (ramp excluded) that completed with fewer tokens than asked. */
        long shortOfMaxTokens() {
            return streams.stream().filter(StreamRecord::complete).filter(s -> s.completionTokens() < maxTokens)
                    .count();
        }

        long completed() {
            return streams.stream().filter(StreamRecord::complete).count();
        }

        List<StreamRecord> all() {
            List<StreamRecord> all = new ArrayList<>(ramp);
            all.addAll(streams);
            return all;
        }
    }

    /** One stream request of {@code maxTokens} tokens; it hands its cancel handle to the loop. */
    @FunctionalInterface
    interface Sender {
        StreamRecord send(int maxTokens, java.util.function.Consumer<Closeable> register);
    }

    /** Metrics scrape, between the ramp and the window and after it. */
    @FunctionalInterface
    interface Scrape {
        String metrics() throws IOException, InterruptedException;
    }

    private ClosedStreams() {
    }

    /** The first stream's length of client {@code i} of {@code n}: ceil(maxTokens * (i + 1) / n), at least 1. */
    static int rampTokens(int i, int n, int maxTokens) {
        return Math.max(1, (int) Math.ceil((double) maxTokens * (i + 1) / n));
    }

    static Window run(int clients, int maxTokens, long windowNanos, long rampLimitNanos, Sender sender, Scrape scrape,
            Clock clock) throws Exception {
        List<StreamRecord> ramp = Collections.synchronizedList(new ArrayList<>());
        List<StreamRecord> streams = Collections.synchronizedList(new ArrayList<>());
        Set<Closeable> open = ConcurrentHashMap.newKeySet();
        CountDownLatch rampDone = new CountDownLatch(clients);
        boolean[] stop = {false};
        Object lock = new Object();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            int first = rampTokens(i, clients, maxTokens);
            Thread t = new Thread(() -> {
                try {
                    ramp.add(send(sender, first, open, stop, lock));
                } finally {
                    rampDone.countDown();
                }
                while (true) {
                    synchronized (lock) {
                        if (stop[0]) {
                            return;
                        }
                    }
                    streams.add(send(sender, maxTokens, open, stop, lock));
                }
            }, "stream-client-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        if (!rampDone.await(rampLimitNanos, TimeUnit.NANOSECONDS)) {
            stopAll(stop, lock, open);
            throw new IllegalStateException("the ramp's " + clients + " streams did not end within "
                    + rampLimitNanos / 1_000_000_000 + " s");
        }
        String before = scrape.metrics();
        long start = clock.nanoTime();
        clock.sleepUntil(start + windowNanos);
        long end = clock.nanoTime();
        String after = scrape.metrics();
        stopAll(stop, lock, open);
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(2));
        }
        return new Window(clients, maxTokens, List.copyOf(ramp), List.copyOf(streams), start, end, before, after);
    }

    private static StreamRecord send(Sender sender, int maxTokens, Set<Closeable> open, boolean[] stop, Object lock) {
        Closeable[] mine = new Closeable[1];
        try {
            return sender.send(maxTokens, handle -> {
                mine[0] = handle;
                boolean late;
                synchronized (lock) {
                    late = stop[0];
                    if (!late) {
                        open.add(handle);
                    }
                }
                if (late) {
                    closeQuietly(handle);
                }
            });
        } finally {
            if (mine[0] != null) {
                open.remove(mine[0]);
            }
        }
    }

    private static void stopAll(boolean[] stop, Object lock, Set<Closeable> open) {
        synchronized (lock) {
            stop[0] = true;
        }
        open.forEach(ClosedStreams::closeQuietly);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // the stream is gone either way
        }
    }
}
