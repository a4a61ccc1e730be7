package dev.ember.it;

import dev.ember.runtime.testing.RecordedSpans;
import jakarta.inject.Singleton;

/**
 * The spans Quarkus exports, in memory: its default {@code cdi} exporter picks up this bean. The server span ends
 * after the response, so a test waits for the spans it expects.
 */
@Singleton
public class Spans extends RecordedSpans {
}
