package dev.ember.runtime.lifecycle;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import sun.misc.Signal;

import java.time.Duration;
import java.util.Optional;

/**
 * The graceful drain on SIGTERM. Readiness turns false at once and, for {@code quarkus.shutdown.delay}, requests are
 * still served while the platform takes the pod out of its endpoints; after the delay new work is refused (503 with
 * Retry-After) while the requests in flight and in queues complete, for at most {@code quarkus.shutdown.timeout};
 * then the listener closes and the process exits 0.
 */
@ApplicationScoped
public class ShutdownDrain {

    private static final Logger LOG = Logger.getLogger(ShutdownDrain.class);

    private final Duration delay;
    private final Optional<Duration> timeout;
    private volatile boolean draining;
    // System.nanoTime() from which new work is refused, once draining
    private volatile long refuseFrom;

    ShutdownDrain(@ConfigProperty(name = "quarkus.shutdown.delay") Optional<Duration> delay,
            @ConfigProperty(name = "quarkus.shutdown.timeout") Optional<Duration> timeout) {
        this.delay = delay.orElse(Duration.ZERO);
        this.timeout = timeout;
    }

    void onStart(@Observes StartupEvent event) {
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            // the JVM answers SIGTERM with exit status 143 after the shutdown hooks; a drain that completes is a clean
            // stop, so the same graceful shutdown runs as an exit with status 0
            Signal.handle(new Signal("TERM"), signal -> Quarkus.asyncExit(0));
        }
    }

    /** Fired by Quarkus as shutdown starts (quarkus.shutdown.delay-enabled=true), before the delay. */
    void onShutdownStarted(@Observes ShutdownDelayInitiatedEvent event) {
        refuseFrom = System.nanoTime() + delay.toNanos();
        draining = true;
        LOG.infof("draining: readiness is false; requests are served for %s more, then new work is refused while the"
                + " requests in flight complete (at most %s)", delay, timeout.map(Duration::toString).orElse("no wait"));
    }

    /** Fired once the requests in flight are done (or the timeout passed), as the listener closes. */
    void onDrained(@Observes ShutdownEvent event) {
        if (draining) {
            LOG.info("drained: the listener is closing");
        }
        draining = true;
    }

    /** Whether the process is stopping: readiness is false from this moment on. */
    public boolean draining() {
        return draining;
    }

    /** Whether new work (a request that would run a model or change state) is refused: the drain's second phase. */
    public boolean refusesNewWork() {
        return draining && System.nanoTime() - refuseFrom >= 0;
    }
}
