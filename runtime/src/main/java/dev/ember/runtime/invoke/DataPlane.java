package dev.ember.runtime.invoke;

import dev.ember.runtime.api.EmberException;
import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.api.InferenceFunction;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.api.InvocationTimeoutException;
import dev.ember.runtime.api.ModelCall;
import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.api.ModelSignature;
import dev.ember.runtime.api.QueueTimeoutException;
import dev.ember.runtime.api.Tensor;
import dev.ember.runtime.batch.Batchers;
import dev.ember.runtime.batch.DynamicBatcher;
import dev.ember.runtime.codec.JsonBodies;
import dev.ember.runtime.codec.RequestLimits;
import dev.ember.runtime.codec.V2Codec;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.generate.Generation;
import dev.ember.runtime.generate.GenerationEngine;
import dev.ember.runtime.generate.GenerationEngines;
import dev.ember.runtime.generate.GenerationResult;
import dev.ember.runtime.generate.TokenSink;
import dev.ember.runtime.onnx.LoadedModel;
import dev.ember.runtime.pool.InFlightBudget;
import dev.ember.runtime.pool.ModelLease;
import dev.ember.runtime.pool.WarmPool;
import dev.ember.runtime.pool.WorkingSet;
import dev.ember.runtime.repository.ModelCatalog;
import dev.ember.runtime.tracing.Tracing;
import dev.ember.runtime.traffic.TrafficRouter;
import dev.ember.runtime.traffic.VersionSelector;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The protocol-neutral data plane that every ingress calls with a request it has read: choose the version, lease
 * its model (loading on demand), let the function prepare the inputs, queue them for a (batched) run, and turn this
 * call's rows into the response, all under the function's deadline and circuit breaker, measured by phase.
 * Each request's working set is admitted against the {@link InFlightBudget} twice: a bound known before its
 * inputs are built (the body size for a tensor request, the function's own estimate for a Java one) is reserved
 * before {@code prepare}, then the hold is set to the estimate from the prepared tensors before it is queued.
 * Failures are the typed exceptions of {@code api}; {@link Failure} says what each means.
 */
@ApplicationScoped
public class DataPlane {

    private static final Logger LOG = Logger.getLogger(DataPlane.class);

    private final FunctionRegistry functions;
    private final TrafficRouter router;
    private final WarmPool pool;
    private final Batchers batchers;
    private final InvocationMetrics metrics;
    private final VersionGuards guards;
    private final JsonBodies json;
    private final TensorFunction tensors;
    private final InFlightBudget budget;
    private final ModelCatalog catalog;
    private Tracing tracing = Tracing.OFF;
    private GenerationEngines generation;
    /** What a request read but not yet prepared is taken to hold while it waits: the default largest body, 16 MiB. */
    private static final long WAITING_REQUEST = 16L << 20;
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "ember-deadlines");
        t.setDaemon(true);
        return t;
    });

    DataPlane(FunctionRegistry functions, TrafficRouter router, WarmPool pool, Batchers batchers,
            InvocationMetrics metrics, VersionGuards guards, JsonBodies json, ModelCatalog catalog,
            EmberConfig config, InFlightBudget budget) {
        this.budget = budget;
        this.catalog = catalog;
        this.functions = functions;
        this.router = router;
        this.pool = pool;
        this.batchers = batchers;
        this.metrics = metrics;
        this.guards = guards;
        this.json = json;
        this.tensors = new TensorFunction(new V2Codec(RequestLimits.of(config.limits())));
        // answered invocations cancel their timer; without this the queue would hold every timer until it fires
        deadlines.setRemoveOnCancelPolicy(true);
        catalog.models().forEach(m -> catalog.versions(m).keySet().forEach(v -> metrics.appeared(new ModelId(m, v))));
    }

    @Inject
    void tracing(Tracing tracing) {
        this.tracing = tracing;
    }

    @Inject
    void generation(GenerationEngines engines) {
        this.generation = engines;
    }

    /**
     * Invokes a function with its JSON request body, read once: a Java function's own request type, an Open
     * Inference Protocol request for a plain model. The response is JSON of the same kind.
     */
    public CompletableFuture<Invocation<byte[]>> invoke(String function, VersionSelector selector, byte[] body) {
        FunctionProfile profile = functions.profile(function);
        if (profile.java().isPresent()) {
            return invokeJava(profile, profile.java().get(), selector, body);
        }
        return infer(profile, selector, body);
    }

    /**
     * Invokes a Java function with a request already read as {@code type}; 400 naming {@code field} when the
     * function takes another request type (e.g. {@code /v1/embeddings} naming a function that does not embed).
     */
    public <Q> CompletableFuture<Invocation<byte[]>> invoke(String function, VersionSelector selector,
            Class<Q> type, Q request, String field, String kind) {
        FunctionProfile profile = functions.profile(function);
        InferenceFunction<?, ?> java = profile.java().orElse(null);
        if (java == null || java.requestType() != type) {
            throw new InvalidInputException("'" + field + "': function '" + function + "' is not " + kind);
        }
        @SuppressWarnings("unchecked")
        InferenceFunction<Q, ?> typed = (InferenceFunction<Q, ?>) java;
        return respondJson(profile, typed, selector, request);
    }

    /** Runs an Open Inference Protocol request on a model, with the plain tensor behaviour whatever wraps it. */
    public CompletableFuture<Invocation<byte[]>> infer(String model, VersionSelector selector, byte[] body) {
        return infer(functions.profile(model), selector, body);
    }

    /**
     * Invokes {@code function}; {@code prepare} turns the model's signature into the call (the function's own
     * request handling, throwing typed exceptions for bad input).
     */
    public <R> CompletableFuture<Invocation<R>> invoke(String function, VersionSelector selector,
            Function<ModelSignature, ModelCall<R>> prepare) {
        return call(functions.profile(function), selector, tensorsOnly(), (id, signature) -> prepare.apply(signature));
    }

    /**
     * Starts a generation on a generator function: choose the version, lease its model, let a Java function shape
     * the request, validate it against the model (400 naming the field: a prompt beyond the context, a bad
     * {@code max_tokens}) and admit it to the version's engine. The future fails, before anything streamed, with a
     * typed exception: 404 unknown function, 400 not a generator or bad input, 413 a prompt whose KV cache can never
     * fit the budget, 503 + Retry-After when the waiting queue is full (or the circuit is open), 504 when the deadline
     * passes before the sequence is scheduled; the sink hears nothing of such a failure. The future completes on the
     * generation thread when the sequence is scheduled, before the sink gets any text (so what depends on it must not
     * block); the model stays leased until the generation ends. Cancelling the future while the sequence waits
     * withdraws it. Tokenising happens on the calling thread: call it off the event loop.
     */
    public CompletableFuture<Generation> generate(String function, VersionSelector selector,
            GenerationRequest request, TokenSink sink) {
        long start = System.nanoTime();
        FunctionProfile profile;
        GenerationRequest shaped;
        ModelId id;
        try {
            profile = functions.profile(function);
            shaped = functions.generator(function).map(g -> g.shape(request)).orElse(request);
            id = router.choose(profile.name(), selector.pinned(), selector.tag());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(typed(e));
        }
        metrics.appeared(id);
        long deadline = start + profile.timeout().toNanos();
        CompletableFuture<Generation> admitted = new CompletableFuture<>();
        AtomicReference<CompletableFuture<Generation>> queued = new AtomicReference<>();
        // a client that gives up while its sequence waits withdraws it
        admitted.whenComplete((g, failure) -> {
            CompletableFuture<Generation> inner = queued.get();
            if (failure != null && inner != null) {
                inner.cancel(false);
            }
        });
        AtomicReference<String> cancelled = new AtomicReference<>();
        // the deadline holds while the model loads too: the caller gets its 504 on time, the sequence is withdrawn
        ScheduledFuture<?> timer = deadlines.schedule(() -> {
            if (admitted.completeExceptionally(new QueueTimeoutException("the generation on function '" + function
                    + "' version " + id.version() + " was not scheduled within " + profile.timeout()))) {
                CompletableFuture<Generation> inner = queued.get();
                if (inner != null) {
                    inner.cancel(false);
                }
            }
        }, Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
        admitted.whenComplete((g, failure) -> timer.cancel(false));
        // what the caller's Generation reports: the engine's result, once the lease is closed and the meters counted
        CompletableFuture<GenerationResult> answered = new CompletableFuture<>();
        AtomicReference<Object> result = new AtomicReference<>();
        // the breaker sees the whole generation: a run failure counts, a client who left does not
        CompletableFuture<Void> ended = guards.call(id, () -> {
            ModelLease lease = pool.lease(id, tracing.current());
            CompletableFuture<Void> done = new CompletableFuture<>();
            lease.model().thenAccept(model -> {
                if (lease.cold()) {
                    metrics.coldStart(id);
                    metrics.phase(id, "load", System.nanoTime() - start);
                }
                GenerationEngine engine = engines().engine(model);
                // on the engine's thread, before any text: the caller's future completes first
                CompletableFuture<Generation> inner = engine.submit(shaped, sink, deadline, g -> {
                    if (!admitted.complete(new Answered(g, answered))) {
                        g.cancel(); // the caller already had its answer (its deadline, or it left)
                    }
                    g.result().whenComplete((r, f) -> {
                        if (f != null && Failure.unwrap(f) instanceof CancellationException) {
                            withdrawn(admitted, done, cancelled, result, f);
                        } else if (f != null) {
                            done.completeExceptionally(f);
                        } else {
                            result.set(r);
                            done.complete(null);
                        }
                    });
                });
                queued.set(inner);
                if (admitted.isCompletedExceptionally()) {
                    inner.cancel(false);
                }
                inner.whenComplete((g, failure) -> {
                    if (failure == null) {
                        return;
                    }
                    if (Failure.unwrap(failure) instanceof CancellationException) {
                        withdrawn(admitted, done, cancelled, result, failure);
                    } else {
                        done.completeExceptionally(failure);
                    }
                });
            }).exceptionally(failure -> {
                done.completeExceptionally(failure);
                return null;
            });
            // the stage the breaker and the meters see completes only after the lease is closed
            return done.whenComplete((v, failure) -> lease.close());
        });
        ended.whenComplete((v, failure) -> {
            Throwable t = failure == null ? null : typed(failure);
            // a client who left counts as a client error; it says nothing of the version's health
            String outcome = t != null ? Failure.of(t).outcome
                    : cancelled.get() != null ? cancelled.get() : InvocationMetrics.SUCCESS;
            metrics.record(id, outcome, System.nanoTime() - start);
            if (t != null) {
                admitted.completeExceptionally(t);
                answered.completeExceptionally(t);
            } else if (result.get() instanceof GenerationResult r) {
                answered.complete(r);
            } else {
                answered.completeExceptionally((Throwable) result.get());
            }
        });
        return admitted;
    }

    /**
     * A generation cancelled before its end: by its deadline while it waited (the timer answered the caller: a
     * timeout), else by the client who left (a client error, which says nothing of the version's health).
     */
    private static void withdrawn(CompletableFuture<Generation> admitted, CompletableFuture<Void> done,
            AtomicReference<String> cancelled, AtomicReference<Object> result, Throwable cancellation) {
        if (admitted.isCompletedExceptionally() && !admitted.isCancelled()) {
            done.completeExceptionally(Failure.unwrap(admitted.handle((x, t) -> t).join()));
        } else {
            cancelled.set(Failure.BAD_INPUT.outcome); // client_error
            result.set(Failure.unwrap(cancellation));
            done.complete(null);
        }
    }

    /** The engine's generation, its result completing only once its invocation is over (lease closed, counted). */
    private record Answered(Generation generation, CompletableFuture<GenerationResult> answered) implements Generation {
        @Override
        public ModelId id() {
            return generation.id();
        }

        @Override
        public void cancel() {
            generation.cancel();
        }

        @Override
        public CompletableFuture<GenerationResult> result() {
            return answered;
        }
    }

    /**
     * Whether {@code function} is served by a generator, from its files, without loading it: a Java generator
     * function, or a model whose newest version has a generator's {@code config.json} and {@code tokenizer.json}
     * beside its {@code model.onnx}. False for an unknown name.
     */
    public boolean generates(String function) {
        if (functions.generator(function).isPresent()) {
            return true;
        }
        var versions = catalog.versions(function);
        return !versions.isEmpty() && engines().generates(versions.lastEntry().getValue().id());
    }

    private GenerationEngines engines() {
        if (generation == null) {
            throw new IllegalStateException("no generation engines: the data plane was built without them");
        }
        return generation;
    }

    /** The model of a version for metadata, loading it if needed. */
    public CompletableFuture<LoadedModel> model(ModelId id) {
        return pool.acquire(id);
    }

    private CompletableFuture<Invocation<byte[]>> infer(FunctionProfile profile, VersionSelector selector,
            byte[] body) {
        // the body bounds what decoding it holds; a bound beyond the whole budget waits for all of it rather than
        // being refused, since the real request may be far smaller (the prepared estimate then decides)
        Admission<byte[]> admission = new Admission<>() {
            public long before(ModelSignature signature) {
                return Math.min(WorkingSet.decodeBound(body.length, signature), budget.limit());
            }

            public long waitingBytes(long before) {
                return body.length;
            }

            public long after(ModelCall<byte[]> call, ModelSignature signature, long before) {
                return WorkingSet.tensorsAndJson(call, signature);
            }
        };
        // the response is encoded inside the request's work, so its buffer is counted while the hold is kept
        return call(profile, selector, admission, (id, signature) -> {
            ModelCall<TensorFunction.Answer> call = tensors.prepare(body, signature);
            return new ModelCall<>(call.inputs(), call.outputs(),
                    outputs -> tensors.encode(id, call.respond().apply(outputs)));
        });
    }

    private <Q> CompletableFuture<Invocation<byte[]>> invokeJava(FunctionProfile profile, InferenceFunction<Q, ?> f,
            VersionSelector selector, byte[] body) {
        return respondJson(profile, f, selector, json.read(body, f.requestType()));
    }

    private <Q, R> CompletableFuture<Invocation<byte[]>> respondJson(FunctionProfile profile,
            InferenceFunction<Q, R> f, VersionSelector selector, Q request) {
        // like a body's bound, the function's bound before prepare (e.g. from characters, not tokens) waits for the
        // whole budget rather than being refused; the estimate from the prepared call decides
        AtomicReference<ModelCall<R>> prepared = new AtomicReference<>();
        Admission<byte[]> admission = new Admission<>() {
            public long before(ModelSignature signature) {
                return Math.min(f.workingSetBytes(request, signature), budget.limit());
            }

            public long after(ModelCall<byte[]> call, ModelSignature signature, long before) {
                long own = f.workingSetBytes(request, signature, prepared.get());
                return Math.max(own > 0 ? own : before, WorkingSet.tensors(call, signature));
            }
        };
        return call(profile, selector, admission, (id, signature) -> {
            ModelCall<R> call = f.prepare(request, signature);
            prepared.set(call);
            return new ModelCall<>(call.inputs(), call.outputs(), outputs -> json.write(call.respond().apply(outputs)));
        });
    }

    /** How a request is admitted against the in-flight budget: before {@code prepare}, and once prepared. */
    private interface Admission<R> {
        long before(ModelSignature signature);

        /** What the request holds while it waits for room before {@code prepare}: its body, or at most a body's worth. */
        default long waitingBytes(long before) {
            return Math.min(before, WAITING_REQUEST);
        }

        long after(ModelCall<R> call, ModelSignature signature, long before);
    }

    /** A call with no estimate of its own: nothing before {@code prepare}, its tensors once prepared. */
    private static <R> Admission<R> tensorsOnly() {
        return new Admission<>() {
            public long before(ModelSignature signature) {
                return 0;
            }

            public long after(ModelCall<R> call, ModelSignature signature, long before) {
                return WorkingSet.tensors(call, signature);
            }
        };
    }

    private <R> CompletableFuture<Invocation<R>> call(FunctionProfile profile, VersionSelector selector,
            Admission<R> admission, BiFunction<ModelId, ModelSignature, ModelCall<R>> prepare) {
        long start = System.nanoTime();
        ModelId id = router.choose(profile.name(), selector.pinned(), selector.tag());
        metrics.appeared(id);
        // the version's circuit breaker sees the answered result, timeouts included, and may refuse to start it
        CompletableFuture<Invocation<R>> guarded = guards.call(id, () -> run(profile, id, admission, prepare, start));
        // recorded before the caller sees the answer, so a scrape after a response always counts it
        CompletableFuture<Invocation<R>> answered = new CompletableFuture<>();
        guarded.whenComplete((r, failure) -> {
            metrics.record(id, failure == null ? InvocationMetrics.SUCCESS : Failure.of(failure).outcome,
                    System.nanoTime() - start);
            if (failure == null) {
                answered.complete(r);
            } else {
                answered.completeExceptionally(Failure.unwrap(failure));
            }
        });
        return answered;
    }

    private <R> CompletableFuture<Invocation<R>> run(FunctionProfile profile, ModelId id, Admission<R> admission,
            BiFunction<ModelId, ModelSignature, ModelCall<R>> prepare, long start) {
        long deadline = start + profile.timeout().toNanos();
        CompletableFuture<Invocation<R>> result = new CompletableFuture<>();
        // the batcher's future once the call is queued: whether its run started decides what kind of timeout it is
        AtomicReference<CompletableFuture<Map<String, Tensor>>> queued = new AtomicReference<>();
        DynamicBatcher batcher = batchers.of(id);
        // armed before any work, which may run on this thread when the model is warm
        ScheduledFuture<?> timer = deadlines.schedule(() -> {
            CompletableFuture<Map<String, Tensor>> submitted = queued.get();
            String message = "the invocation of function '" + profile.name() + "' version " + id.version()
                    + " did not finish within " + profile.timeout();
            boolean started = submitted != null && !batcher.waiting(submitted);
            if (result.completeExceptionally(started ? new InvocationTimeoutException(message)
                    : new QueueTimeoutException(message + " (its run had not started)"))) {
                LOG.debugf("invocation of %s timed out", id);
            }
        }, Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
        result.whenComplete((r, failure) -> timer.cancel(false));

        // the request's trace: the load, the queue wait and the run happen on other threads
        Tracing.Parent parent = tracing.current();
        // held until this request's work is over (not merely answered), so an idle unload never closes its run
        ModelLease lease = pool.lease(id, parent);
        // and so is this request's hold on the in-flight memory budget
        AtomicReference<InFlightBudget.Reservation> held = new AtomicReference<>();
        String what = "this request to " + id;
        lease.model().thenCompose(model -> {
            long loaded = System.nanoTime();
            if (lease.cold()) {
                metrics.coldStart(id);
                metrics.phase(id, "load", loaded - start);
            }
            batcher.requireRoom(deadline);
            long before = admission.before(model.signature());
            return budget.reserve(before, admission.waitingBytes(before), deadline, what).thenCompose(reservation -> {
                held.set(reservation);
                if (result.isDone()) {
                    return CompletableFuture.<Invocation<R>>failedFuture(
                            new QueueTimeoutException("answered while waiting for memory"));
                }
                long admitted = System.nanoTime();
                ModelCall<R> call = prepare.apply(id, model.signature());
                metrics.phase(id, "preprocess", System.nanoTime() - admitted);
                long estimate = admission.after(call, model.signature(), before);
                long inputs = WorkingSet.inputs(call);
                return budget.resize(reservation, estimate, inputs, deadline, what).thenCompose(resized -> {
                    held.set(resized);
                    CompletableFuture<Map<String, Tensor>> submitted =
                            batcher.submit(model, call, profile.pads(), deadline, parent);
                    queued.set(submitted);
                    return submitted.thenApply(outputs -> respond(id, call, outputs));
                });
            });
        }).whenComplete((invocation, failure) -> {
            lease.close();
            InFlightBudget.Reservation reservation = held.get();
            if (reservation != null) {
                reservation.close();
            }
            if (failure != null) {
                result.completeExceptionally(typed(failure));
            } else {
                result.complete(invocation);
            }
        });

        return result;
    }

    private <R> Invocation<R> respond(ModelId id, ModelCall<R> call, Map<String, Tensor> outputs) {
        long start = System.nanoTime();
        R response = call.respond().apply(outputs);
        metrics.phase(id, "postprocess", System.nanoTime() - start);
        return new Invocation<>(id, response);
    }

    /** A typed failure as it is; anything else is a fault of the function or the runtime. */
    private static Throwable typed(Throwable failure) {
        Throwable t = Failure.unwrap(failure);
        // the cause stays for the log; the message, which a client sees, names no class or library text
        return t instanceof EmberException ? t
                : new InferenceFailedException("the function or the runtime failed while serving this request", t);
    }

    @PreDestroy
    void shutdown() {
        deadlines.shutdownNow();
    }
}
