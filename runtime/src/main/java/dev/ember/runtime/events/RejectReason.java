package dev.ember.runtime.events;

/**
 * Why a request was refused before it became an invocation, with its acknowledgement code from the Knative Eventing
 * data-plane table (4xx other than 404, 408, 409 and 429 are dead-lettered at once). Refusals of the invocation
 * itself come from the failure table ({@code invoke.Failure}).
 */
enum RejectReason {
    /** Not a valid CloudEvents 1.0 event: the table's "unparsable event". */
    INVALID_EVENT("invalid_event", 400),
    /** Batched mode or a structured format other than JSON. */
    UNSUPPORTED_MODE("unsupported_mode", 415),
    /** The data is missing or not JSON. */
    INVALID_DATA("invalid_data", 400),
    /** The structured envelope exceeds a request limit ({@code ember.limits.*}). */
    TOO_LARGE("too_large", 413);

    final String tag;
    final int status;

    RejectReason(String tag, int status) {
        this.tag = tag;
        this.status = status;
    }
}
