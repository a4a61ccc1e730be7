package dev.ember.runtime.pool;

import dev.ember.runtime.api.PayloadTooLargeException;
import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.configuration.MemorySize;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The process-wide budget of bytes that requests in flight may hold at once: their decoded inputs, their outputs
 * (ONNX Runtime's and the Java copy), the model's intermediates and their encoded responses, as each request's
 * estimate says ({@link WorkingSet}). A request reserves its estimate before its work starts and releases it when
 * its work ends, on every path. One whose estimate exceeds the whole budget can never run: 413 naming the limit.
 * One that does not fit now waits, first come first served, at most {@code ember.pool.in-flight-max-wait} and half the
 * time left to its deadline, then gets 503 with {@code Retry-After}. So that waiters too are bounded, what they hold while
 * they wait (a request body, or the inputs of one waiting to grow) never exceeds the budget either: beyond, 503 at once.
 *
 * <p>By default the budget is half the heap ({@link Runtime#maxMemory()}, i.e. {@code -Xmx}) less
 * {@code ember.pool.memory-budget} when that is set, and never less than an eighth of the heap: the other half is
 * headroom for the framework, request bodies being read, garbage not yet collected and the estimates' error.
 */
@ApplicationScoped
@Startup
public class InFlightBudget {

    private static final Logger LOG = Logger.getLogger(InFlightBudget.class);
    /** What the deadline keeps back from a wait, so a request that cannot get room is 503 rather than 504. */
    private static final long DEADLINE_MARGIN = TimeUnit.MILLISECONDS.toNanos(50);

    private final long limit;
    private final long maxWait;
    private final Object lock = new Object();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private long used;
    private long waiting;
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "ember-in-flight-budget");
        t.setDaemon(true);
        return t;
    });

    @Inject
    InFlightBudget(EmberConfig config, MeterRegistry registry) {
        this(derive(config.pool().inFlightBudget(), Runtime.getRuntime().maxMemory(),
                config.pool().memoryBudget().map(MemorySize::asLongValue)), config.pool().inFlightMaxWait());
        EmberMeter.IN_FLIGHT_BUDGET_BYTES.gauge(registry, Tags.empty(), () -> limit);
        EmberMeter.IN_FLIGHT_BYTES.gauge(registry, Tags.empty(), this, InFlightBudget::used);
        LOG.infof("in-flight memory budget: %d bytes (ember.pool.in-flight-budget)", limit);
    }

    /** A budget of {@code limit} bytes whose waiters wait at most {@code maxWait}. */
    public InFlightBudget(long limit, Duration maxWait) {
        if (limit <= 0) {
            throw new IllegalArgumentException("ember.pool.in-flight-budget must be positive");
        }
        this.limit = limit;
        this.maxWait = maxWait.toNanos();
        timers.setRemoveOnCancelPolicy(true);
    }

    /** The configured budget, or half the heap less the model budget, at least an eighth of the heap. */
    static long derive(Optional<MemorySize> configured, long maxHeap, Optional<Long> modelBudget) {
        if (configured.isPresent()) {
            return configured.get().asLongValue();
        }
        return Math.max(maxHeap / 2 - modelBudget.orElse(0L), maxHeap / 8);
    }

    public long limit() {
        return limit;
    }

    /** Bytes reserved by requests in flight now. */
    public long used() {
        synchronized (lock) {
            return used;
        }
    }

    /**
     * Reserves {@code bytes} for one request: at once when they fit and nobody waits before it, else after a wait
     * bounded by the max wait and half the time left to {@code deadline} ({@link System#nanoTime()}). Completes
     * exceptionally with {@link PayloadTooLargeException} when they exceed the whole budget,
     * {@link UnavailableException} when no room came in time.
     */
    public CompletableFuture<Reservation> reserve(long bytes, long deadline, String what) {
        return reserve(bytes, bytes, deadline, what);
    }

    /** {@link #reserve(long, long, String)} for a request that holds {@code holding} bytes while it waits. */
    public CompletableFuture<Reservation> reserve(long bytes, long holding, long deadline, String what) {
        long need = Math.max(bytes, 0);
        long held = Math.min(Math.max(holding, 0), need);
        if (need > limit) {
            return CompletableFuture.failedFuture(tooLarge(need, what));
        }
        Waiter waiter;
        synchronized (lock) {
            if (need == 0 || (waiters.isEmpty() && used + need <= limit)) {
                used += need;
                return CompletableFuture.completedFuture(new Reservation(need));
            }
            // half the time left at most, so that a request let in late still has time to run rather than be 504
            long wait = Math.min(maxWait, (deadline - System.nanoTime()) / 2 - DEADLINE_MARGIN);
            if (wait <= 0 || waiting + held > limit) {
                return CompletableFuture.failedFuture(busy(need, what));
            }
            waiter = new Waiter(need, held, what, new CompletableFuture<>());
            waiters.addLast(waiter);
            waiting += held;
            waiter.timeout = timers.schedule(() -> expire(waiter), wait, TimeUnit.NANOSECONDS);
        }
        return waiter.granted;
    }

    private void expire(Waiter waiter) {
        synchronized (lock) {
            if (!waiters.remove(waiter)) {
                return; // granted meanwhile
            }
            waiting -= waiter.holding;
        }
        waiter.granted.completeExceptionally(busy(waiter.bytes, waiter.what));
        grant(); // the head may have been the one blocking smaller requests behind it
    }

    /** Hands room to waiters in order while the head fits; they continue on another thread, not the releaser's. */
    private void grant() {
        while (true) {
            Waiter next;
            synchronized (lock) {
                next = waiters.peekFirst();
                if (next == null || used + next.bytes > limit) {
                    return;
                }
                waiters.pollFirst();
                waiting -= next.holding;
                used += next.bytes;
                next.timeout.cancel(false);
            }
            Reservation r = new Reservation(next.bytes);
            CompletableFuture.runAsync(() -> {
                if (!next.granted.complete(r)) {
                    r.close();
                }
            });
        }
    }

    /**
     * Sets {@code held} to {@code bytes}: in place when that shrinks it or the room is free now, else by letting it go
     * and waiting for the whole amount like a new request (waiting while holding could block others that hold).
     * Fails with 413 beyond the whole budget, leaving {@code held} as it was for its owner to close.
     */
    public CompletableFuture<Reservation> resize(Reservation held, long bytes, long holding, long deadline,
            String what) {
        if (bytes > limit) {
            return CompletableFuture.failedFuture(tooLarge(bytes, what));
        }
        try {
            held.resize(bytes, what);
            return CompletableFuture.completedFuture(held);
        } catch (UnavailableException notNow) {
            held.close();
            return reserve(bytes, holding, deadline, what);
        }
    }

    private void release(long bytes) {
        synchronized (lock) {
            used -= bytes;
        }
        grant();
    }

    private PayloadTooLargeException tooLarge(long bytes, String what) {
        return new PayloadTooLargeException(what + " needs an estimated " + bytes + " bytes of memory in flight, more"
                + " than the whole ember.pool.in-flight-budget of " + limit + " bytes: send less per request");
    }

    private UnavailableException busy(long bytes, String what) {
        long inUse = used();
        return new UnavailableException(what + " needs an estimated " + bytes + " bytes of memory in flight and "
                + inUse + " of the ember.pool.in-flight-budget of " + limit + " bytes are in use: retry later",
                Duration.ofSeconds(1));
    }

    @PreDestroy
    void shutdown() {
        timers.shutdownNow();
    }

    private static final class Waiter {
        final long bytes;
        final long holding;
        final String what;
        final CompletableFuture<Reservation> granted;
        ScheduledFuture<?> timeout;

        Waiter(long bytes, long holding, String what, CompletableFuture<Reservation> granted) {
            this.bytes = bytes;
            this.holding = holding;
            this.what = what;
            this.granted = granted;
        }
    }

    /**
     * One request's hold on the budget. Close it exactly when the request's work is over, on every path; closing
     * twice is harmless.
     */
    public final class Reservation implements AutoCloseable {

        private long bytes;
        private boolean closed;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        public synchronized long bytes() {
            return bytes;
        }

        /**
         * Changes the hold to {@code newBytes} once the request's real size is known: shrinking always succeeds;
         * growing never waits (a request holding room while it waits for more could block others holding room
         * too), so it throws {@link PayloadTooLargeException} beyond the whole budget and
         * {@link UnavailableException} when the room is not free now.
         */
        public synchronized void resize(long newBytes, String what) {
            if (closed) {
                return;
            }
            long need = Math.max(newBytes, 0);
            if (need > limit) {
                throw tooLarge(need, what);
            }
            long delta = need - bytes;
            if (delta > 0) {
                synchronized (lock) {
                    if (used + delta > limit) {
                        throw busy(need, what);
                    }
                    used += delta;
                }
                bytes = need;
            } else if (delta < 0) {
                bytes = need;
                release(-delta);
            }
        }

        @Override
        public void close() {
            long held;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                held = bytes;
                bytes = 0;
            }
            release(held);
        }
    }
}
