package dev.ember.runtime.events;

/**
 * Why an event was not accepted, with its acknowledgement code from the Knative Eventing data-plane table: 4xx
 * other than 404, 408, 409 and 429 are dead-lettered at once, 5xx are retried.
 */
enum RejectReason {
    /** Not a valid CloudEvents 1.0 event: the table's "unparsable event". */
    INVALID_EVENT("invalid_event", 400),
    /** Batched mode or a structured format other than JSON. */
    UNSUPPORTED_MODE("unsupported_mode", 415),
    /** The data is missing, not JSON, or fails the function's own validation. */
    INVALID_DATA("invalid_data", 400),
    /** No function (or no such version) handles the type; not 404, which brokers retry. */
    NO_FUNCTION("no_function", 422),
    /** A JSON string or tensor beyond the request limits. */
    TOO_LARGE("too_large", 413),
    /** A full queue, an open circuit, a failed or draining model: 503 with Retry-After, retried. */
    UNAVAILABLE("unavailable", 503),
    /** The invocation did not finish within the function's timeout: retried. */
    TIMEOUT("timeout", 504),
    /** A fault of Ember itself: retried. */
    FAILED("failed", 500);

    final String tag;
    final int status;

    RejectReason(String tag, int status) {
        this.tag = tag;
        this.status = status;
    }
}
