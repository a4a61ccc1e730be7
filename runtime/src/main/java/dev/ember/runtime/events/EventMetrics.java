package dev.ember.runtime.events;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
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

    /** One answered event: replied is true for a 200 with a reply event, reason is null unless it was rejected. */
    void record(String type, boolean replied, RejectReason reason, long nanos) {
        registry.counter("ember.events.received", "type", type).increment();
        if (replied) {
            registry.counter("ember.events.replied", "type", type).increment();
        }
        if (reason != null) {
            registry.counter("ember.events.rejected", "type", type, "reason", reason.tag).increment();
        }
        Timer.builder("ember.event.processing").tag("type", type).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(500_000)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }
}
