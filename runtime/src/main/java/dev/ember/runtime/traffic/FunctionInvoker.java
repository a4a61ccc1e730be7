package dev.ember.runtime.traffic;

import dev.ember.runtime.api.EmberException;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.batch.Batchers;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.metrics.InvocationMetrics;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.pool.ModelLease;
import dev.ember.runtime.pool.WarmPool;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One invocation from routing to response: choose the version, get its model (loading on demand), let the
 * function prepare the inputs, queue them for a (batched) run, and turn this call's rows into the response, all
 * under the function's deadline and measured by phase.
 */
@ApplicationScoped
public class FunctionInvoker {

    private static final Logger LOG = Logger.getLogger(FunctionInvoker.class);

    private final TrafficRouter router;
    private final WarmPool pool;
    private final Batchers batchers;
    private final InvocationMetrics metrics;
    private final EmberConfig config;
    private final VersionGuards guards;
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "ember-deadlines");
        t.setDaemon(true);
        return t;
    });

    FunctionInvoker(TrafficRouter router, WarmPool pool, Batchers batchers, InvocationMetrics metrics,
            EmberConfig config, VersionGuards guards) {
        this.router = router;
        this.guards = guards;
        this.pool = pool;
        this.batchers = batchers;
        this.metrics = metrics;
        this.config = config;
        // answered invocations cancel their timer; without this the queue would hold every timer until it fires
        deadlines.setRemoveOnCancelPolicy(true);
    }

    /**
     * Invokes {@code function}; {@code prepare} turns the model's signature into the call (it runs the function's
     * own request handling and throws typed exceptions for bad input).
     */
    public <R> CompletableFuture<Invocation<R>> invoke(String function, VersionSelector selector,
            Function<ModelSignature, ModelCall<R>> prepare, Map<String, Number> pads) {
        long start = System.nanoTime();
        ModelId id = router.choose(function, selector.pinned(), selector.tag());
        String version = String.valueOf(id.version());
        // the version's circuit breaker sees the answered result, timeouts included, and may refuse to start it
        CompletableFuture<Invocation<R>> guarded = guards.call(id, () -> run(function, id, prepare, pads, start));
        guarded.whenComplete((r, failure) -> metrics.record(function, version,
                failure == null ? InvocationMetrics.SUCCESS : InvocationMetrics.outcome(failure),
                System.nanoTime() - start));
        return guarded;
    }

    private <R> CompletableFuture<Invocation<R>> run(String function, ModelId id,
            Function<ModelSignature, ModelCall<R>> prepare, Map<String, Number> pads, long start) {
        String version = String.valueOf(id.version());
        long deadline = start + config.functions().get(function).timeout().toNanos();
        CompletableFuture<Invocation<R>> result = new CompletableFuture<>();

        // held until this request's work is over (not merely answered), so an idle unload never closes its run
        ModelLease lease = pool.lease(id);
        lease.model().thenCompose(model -> {
            long loaded = System.nanoTime();
            if (lease.cold()) {
                metrics.coldStart(function, version);
                metrics.phase(function, version, "load", loaded - start);
            }
            batchers.of(id).requireRoom();
            ModelCall<R> call = prepare.apply(model.signature());
            long prepared = System.nanoTime();
            metrics.phase(function, version, "preprocess", prepared - loaded);
            return batchers.of(id).submit(model, call, pads, deadline).thenApply(outputs -> respond(id, call, outputs));
        }).whenComplete((invocation, failure) -> {
            lease.close();
            if (failure != null) {
                result.completeExceptionally(unwrap(failure));
            } else {
                result.complete(invocation);
            }
        });

        long remaining = deadline - System.nanoTime();
        ScheduledFuture<?> timer = deadlines.schedule(() -> {
            if (result.completeExceptionally(new InvocationTimeoutException("the invocation of function '" + function
                    + "' version " + version + " did not finish within " + config.functions().get(function).timeout()))) {
                LOG.debugf("invocation of %s timed out", id);
            }
        }, Math.max(remaining, 0), TimeUnit.NANOSECONDS);

        result.whenComplete((r, failure) -> timer.cancel(false));
        return result;
    }

    private <R> Invocation<R> respond(ModelId id, ModelCall<R> call, Map<String, Tensor> outputs) {
        long start = System.nanoTime();
        R response = call.respond().apply(outputs);
        metrics.phase(id.model(), String.valueOf(id.version()), "postprocess", System.nanoTime() - start);
        return new Invocation<>(id, response);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof EmberException) {
            return t;
        }
        return new InferenceFailedException("internal failure: " + t, t);
    }

    /** The model of a version for metadata, loading it if needed. */
    public CompletableFuture<LoadedModel> model(ModelId id) {
        return pool.acquire(id);
    }

    @PreDestroy
    void shutdown() {
        deadlines.shutdownNow();
    }
}
