package dev.ember.runtime.events;

import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.TimeUnit;

/**
 * Event meters by type: {@code ember_events_received_total}, {@code ember_events_replied_total},
 * {@code ember_events_rejected_total} (with {@code reason}) and {@code ember_event_processing_seconds}. The type
 * tag is bounded: an event that could not be read is {@code unknown}, a type no route or function knows is
 * {@code unrouted}, so a sender cannot mint new series.
 */
@ApplicationScoped
public class EventMetrics {

    static final String UNKNOWN_TYPE = "unknown";
    static final String UNROUTED_TYPE = "unrouted";

    private final MeterRegistry registry;

    EventMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One answered event: replied is true for a 200 with a reply event, reason is the reject reason, null unless it was rejected. */
    void record(String type, boolean replied, String reason, long nanos) {
        EmberMeter.EVENTS_RECEIVED.counter(registry, "type", type).increment();
        if (replied) {
            EmberMeter.EVENTS_REPLIED.counter(registry, "type", type).increment();
        }
        if (reason != null) {
            EmberMeter.EVENTS_REJECTED.counter(registry, "type", type, "reason", reason).increment();
        }
        EmberMeter.EVENT_PROCESSING.timer(registry, "type", type).record(nanos, TimeUnit.NANOSECONDS);
    }
}
