package dev.ember.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a target with requests, bounded both in count and in time.
 * <ul>
 * <li>Closed loop: N clients, each sending its next request when the previous one is answered; latency is from
 * send to answer.</li>
 * <li>Open loop: requests are due at a fixed rate whatever the answers do, and latency is measured from the time a
 * request was <em>due</em>, so a stalled server (or sender) shows up in the percentiles instead of silently
 * lowering the offered load (coordinated omission).</li>
 * </ul>
 */
public final class LoadGenerator {

    /** One blocking request. */
    @FunctionalInterface
    public interface Call {
        Outcome send() throws Exception;
    }

    /** One request sent without waiting for its answer. */
    @FunctionalInterface
    public interface AsyncCall {
        CompletableFuture<Outcome> send();
    }

    /** A run stops at whichever comes first: this many requests, or this much time. */
    public record Bounds(long maxRequests, Duration duration) {
        public Bounds {
            if (maxRequests < 0 || duration.isNegative()) {
                throw new IllegalArgumentException("bounds must not be negative");
            }
        }

        public static Bounds requests(long n) {
            return new Bounds(n, Duration.ofMinutes(10));
        }

        public static Bounds time(Duration d) {
            return new Bounds(Long.MAX_VALUE, d);
        }
    }

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Clock clock;
    // how long past its time bound a run waits for the answers in flight
    private final Duration grace;

    public LoadGenerator(Clock clock, Duration grace) {
        this.clock = clock;
        this.grace = grace;
    }

    /**
     * When request {@code i} (from 0) of an open loop at {@code perSecond} is due, in nanoseconds after the start:
     * computed from {@code i} each time, so rounding does not accumulate over a long run.
     */
    static long dueOffsetNanos(double perSecond, long i) {
        return Math.round(i * (1e9 / perSecond));
    }

    /** How many requests an open loop at {@code perSecond} schedules in {@code duration}: those due before its end. */
    static long scheduled(double perSecond, Duration duration) {
        long end = duration.toNanos();
        long n = (long) Math.ceil(end / 1e9 * perSecond);
        // the closed form is exact up to rounding; the schedule itself decides at the edge
        while (n > 0 && dueOffsetNanos(perSecond, n - 1) >= end) {
            n--;
        }
        while (dueOffsetNanos(perSecond, n) < end) {
            n++;
        }
        return n;
    }

    /** The open-loop rate at {@code share} of a measured capacity: whole requests per second, at least 1. */
    static double rateAtShare(double capacityPerSecond, double share) {
        return Math.max(1, Math.floor(capacityPerSecond * share));
    }

    public LoadResult closedLoop(int clients, Bounds bounds, Call call) throws InterruptedException {
        if (clients < 1) {
            throw new IllegalArgumentException("clients must be at least 1");
        }
        LoadResult.Tally tally = new LoadResult.Tally();
        AtomicLong claimed = new AtomicLong();
        long start = clock.nanoTime();
        long deadline = start + bounds.duration().toNanos();
        List<Thread> threads = new ArrayList<>(clients);
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> client(call, bounds.maxRequests(), deadline, claimed, tally),
                    "load-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long joinBy = System.nanoTime() + bounds.duration().plus(grace).toNanos();
        for (Thread t : threads) {
            long left = joinBy - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
        }
        LoadResult result = tally.close(clock.nanoTime() - start);
        threads.forEach(Thread::interrupt); // only those stuck past the grace are still alive
        return result;
    }

    private void client(Call call, long maxRequests, long deadline, AtomicLong claimed, LoadResult.Tally tally) {
        while (clock.nanoTime() < deadline && claimed.incrementAndGet() <= maxRequests) {
            tally.sent();
            long sentAt = clock.nanoTime();
            try {
                Outcome outcome = call.send();
                tally.answered(outcome, clock.nanoTime() - sentAt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                tally.failed();
            }
        }
    }

    /**
     * Sends requests due every {@code 1/perSecond} from the start; a request due while {@code maxInFlight} are
     * unanswered is not sent (and counted as such) rather than queued, so the generator's memory stays bounded.
     */
    public LoadResult openLoop(double perSecond, Bounds bounds, int maxInFlight, AsyncCall call)
            throws InterruptedException {
        if (!(perSecond > 0) || maxInFlight < 1) {
            throw new IllegalArgumentException("the rate and maxInFlight must be positive");
        }
        LoadResult.Tally tally = new LoadResult.Tally();
        AtomicInteger inFlight = new AtomicInteger();
        long start = clock.nanoTime();
        long end = start + bounds.duration().toNanos();
        for (long i = 0; i < bounds.maxRequests(); i++) {
            long due = start + dueOffsetNanos(perSecond, i);
            if (due - end >= 0) {
                break;
            }
            clock.sleepUntil(due);
            if (inFlight.get() >= maxInFlight) {
                tally.notSent();
                continue;
            }
            inFlight.incrementAndGet();
            tally.sent();
            CompletableFuture<Outcome> answer;
            try {
                answer = call.send();
            } catch (RuntimeException e) {
                inFlight.decrementAndGet();
                tally.failed();
                continue;
            }
            answer.whenComplete((outcome, failure) -> {
                if (failure != null) {
                    tally.failed();
                } else {
                    tally.answered(outcome, clock.nanoTime() - due);
                }
                inFlight.decrementAndGet();
            });
        }
        long drainBy = clock.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && clock.nanoTime() - drainBy < 0) {
            clock.sleepUntil(Math.min(clock.nanoTime() + POLL_NANOS, drainBy));
        }
        return tally.close(clock.nanoTime() - start);
    }
}
