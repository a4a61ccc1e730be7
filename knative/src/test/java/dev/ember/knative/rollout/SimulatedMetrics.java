package dev.ember.knative.rollout;

import dev.ember.knative.metrics.RevisionMetrics;
import dev.ember.knative.metrics.RevisionSample;
import dev.ember.knative.metrics.SampleWindow;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * What Prometheus would report for Ember's revisions: the Service gets a steady request rate, split between
 * revisions as the (simulated) Route applied it over the window, with an error rate and p99 per revision. A
 * revision without traffic in the window has no data, as in Prometheus.
 */
public final class SimulatedMetrics implements RevisionMetrics {

    public record Behaviour(double errorRate, double p99Seconds) {
    }

    /** One query, as the gate asked it. */
    public record Query(String revision, SampleWindow window, double candidateShareNow) {
    }

    /** A crash of the process running the rollout (an Error, so nothing in the tool catches it). */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String message) {
            super(message);
        }
    }

    static final Behaviour HEALTHY = new Behaviour(0.001, 0.040);

    private final SimulatedRevisionController knative;
    private final String service;
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
    private final List<Query> queries = new CopyOnWriteArrayList<>();
    private volatile double requestsPerSecond;
    private volatile String candidate;
    private volatile Predicate<Query> crashWhen = q -> false;

    public SimulatedMetrics(SimulatedRevisionController knative, String service, double requestsPerSecond) {
        this.knative = knative;
        this.service = service;
        this.requestsPerSecond = requestsPerSecond;
    }

    public void behave(String revision, Behaviour behaviour) {
        behaviours.put(revision, behaviour);
    }

    void requestsPerSecond(double rps) {
        this.requestsPerSecond = rps;
    }

    /** Crash (once) on the first query matching {@code when}; {@code candidateShareNow} refers to {@code candidate}. */
    void crashOnce(String candidateRevision, Predicate<Query> when) {
        this.candidate = candidateRevision;
        this.crashWhen = when;
    }

    public List<Query> queries() {
        return queries;
    }

    @Override
    public RevisionSample sample(String serviceName, String revision, SampleWindow window) {
        Instant now = Instant.now();
        double candidateShare = candidate == null ? 0 : knative.appliedShareNow(service, candidate);
        Query query = new Query(revision, window, candidateShare);
        queries.add(query);
        if (crashWhen.test(query)) {
            crashWhen = q -> false;
            throw new SimulatedCrash("killed while analysing " + revision + " at " + Math.round(candidateShare * 100) + "%");
        }
        Instant end = now.minus(window.offset());
        Instant start = end.minus(window.length());
        double requests = requestsPerSecond * shareSeconds(revision, start, end);
        if (requests <= 0) {
            return RevisionSample.none(revision);
        }
        Behaviour b = behaviours.getOrDefault(revision, HEALTHY);
        return new RevisionSample(revision, requests, requests * b.errorRate(), OptionalDouble.of(b.p99Seconds()));
    }

    /** Integral of the revision's applied share over [start, end], in seconds. */
    private double shareSeconds(String revision, Instant start, Instant end) {
        List<SimulatedRevisionController.AppliedTraffic> history = knative.history(service);
        double total = 0;
        for (int i = 0; i < history.size(); i++) {
            Instant from = history.get(i).at();
            Instant to = i + 1 < history.size() ? history.get(i + 1).at() : end;
            Instant a = from.isAfter(start) ? from : start;
            Instant b = to.isBefore(end) ? to : end;
            if (b.isAfter(a)) {
                total += TrafficPlan.percentOf(history.get(i).traffic(), revision) / 100.0
                        * Duration.between(a, b).toNanos() / 1e9;
            }
        }
        return total;
    }
}
