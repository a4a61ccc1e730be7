package dev.ember.runtime.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Ember's own spans ({@code ember.queue}, {@code ember.run}, {@code ember.load}) under the request's server span, and
 * the only class that touches the OpenTelemetry API. The work runs on the batcher's and the loader's threads, so a
 * caller captures its {@link Parent} on the request thread and hands it over. Off ({@code quarkus.otel.sdk.disabled},
 * the shipped default, or no OpenTelemetry at all) every call returns a shared no-op: no context lookup, no span.
 */
@Singleton
public class Tracing {

    /** No spans: for code built outside CDI (unit tests) and whenever tracing is off. */
    public static final Tracing OFF = new Tracing((Tracer) null);

    static final String SCOPE = "dev.ember.runtime";

    private final Tracer tracer; // null when off

    @Inject
    Tracing(Instance<OpenTelemetry> openTelemetry,
            @ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false") boolean disabled) {
        this(disabled || !openTelemetry.isResolvable() ? null : openTelemetry.get().getTracer(SCOPE));
    }

    private Tracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** Spans from this tracer; tests of the callers pass an SDK's. */
    public static Tracing of(OpenTelemetry openTelemetry) {
        return new Tracing(openTelemetry.getTracer(SCOPE));
    }

    public boolean enabled() {
        return tracer != null;
    }

    /** The calling thread's trace context, to parent spans that start on another thread. */
    public Parent current() {
        return tracer == null ? Parent.NONE : new Parent(Context.current());
    }

    /** Starts a span now, a child of {@code parent} (a root span when there is none). */
    public Span start(String name, Parent parent) {
        return tracer == null ? Span.NONE : new Span(builder(name, parent).startSpan());
    }

    /** Starts a span that began at {@code startNanos} of {@link System#nanoTime()}: a wait measured afterwards. */
    public Span startedAt(String name, Parent parent, long startNanos) {
        if (tracer == null) {
            return Span.NONE;
        }
        long ago = System.nanoTime() - startNanos;
        Instant now = Instant.now();
        long epochNanos = TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano() - ago;
        return new Span(builder(name, parent).setStartTimestamp(epochNanos, TimeUnit.NANOSECONDS).startSpan());
    }

    private SpanBuilder builder(String name, Parent parent) {
        SpanBuilder builder = tracer.spanBuilder(name);
        return parent.context == null ? builder.setNoParent() : builder.setParent(parent.context);
    }

    /** A captured trace context; {@link #NONE} when tracing is off or the work has no caller (a start-up load). */
    public static final class Parent {

        public static final Parent NONE = new Parent(null);

        private final Context context;

        private Parent(Context context) {
            this.context = context;
        }
    }

    /** One started span; {@link #NONE} ignores every call. */
    public static final class Span {

        public static final Span NONE = new Span(null);

        private final io.opentelemetry.api.trace.Span span;

        private Span(io.opentelemetry.api.trace.Span span) {
            this.span = span;
        }

        public Span attribute(String key, String value) {
            if (span != null) {
                span.setAttribute(AttributeKey.stringKey(key), value);
            }
            return this;
        }

        public Span attribute(String key, long value) {
            if (span != null) {
                span.setAttribute(AttributeKey.longKey(key), value);
            }
            return this;
        }

        /** Marks the span failed with the exception's type and message (never the input: messages name fields). */
        public Span fail(Throwable failure) {
            if (span != null) {
                span.recordException(failure);
                span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
            }
            return this;
        }

        public void end() {
            if (span != null) {
                span.end();
            }
        }
    }
}
