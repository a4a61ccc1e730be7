package dev.ember.runtime.api;

import java.util.Map;
import java.util.Optional;

/**
 * What a function author implements, as a CDI bean: the model it wraps is configured under
 * {@code ember.functions.<name>.*}; the runtime owns sessions, batching, queues, timeouts, versions and metrics.
 *
 * @param <Q> the request body type, read from JSON
 * @param <R> the response body type, written as JSON
 */
public interface InferenceFunction<Q, R> {

    /** The function's name: the path segment of {@code /functions/{name}} and the key of its configuration. */
    String name();

    Class<Q> requestType();

    /**
     * Turns one request into the model's named inputs (first dimension = this request's rows) and the step that
     * turns the matching rows of the outputs into the response. Throws {@link InvalidInputException} for bad input.
     */
    ModelCall<R> prepare(Q request, ModelSignature model);

    /**
     * An upper bound of the bytes this request holds while it runs (tokenisation, its tensors, the model's
     * intermediates, its response), estimated before {@link #prepare} so it can be admitted against the in-flight
     * memory budget first: beyond the whole budget the request is 413, else it waits for room or gets 503. The
     * runtime reserves the larger of this and its own estimate from the prepared call's tensors; 0 (the default)
     * leaves it to the latter, which covers the inputs and the outputs of the shapes the signature declares.
     */
    default long workingSetBytes(Q request, ModelSignature model) {
        return 0;
    }

    /**
     * The estimate once {@link #prepare} has built {@code call} (e.g. from the real token count): the hold is then
     * set to the larger of this and the call's tensors, and may shrink from the bound before. 0 (the default) keeps
     * the bound before.
     */
    default long workingSetBytes(Q request, ModelSignature model, ModelCall<R> call) {
        return 0;
    }

    /** Value used to pad an input when requests of different lengths share a batch (dimension 1 onwards). */
    default Map<String, Number> padValues() {
        return Map.of();
    }

    /** A request run at load time to warm the model up; empty = the runtime derives inputs from the signature. */
    default Optional<Q> warmupRequest() {
        return Optional.empty();
    }
}
