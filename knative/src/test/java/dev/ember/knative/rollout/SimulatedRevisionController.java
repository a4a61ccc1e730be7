package dev.ember.knative.rollout;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.pkg.apis.Condition;
import io.fabric8.knative.pkg.apis.ConditionBuilder;
import io.fabric8.knative.serving.v1.Revision;
import io.fabric8.knative.serving.v1.RevisionBuilder;
import io.fabric8.knative.serving.v1.RevisionStatusBuilder;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.ServiceStatus;
import io.fabric8.knative.serving.v1.ServiceStatusBuilder;
import io.fabric8.knative.serving.v1.TrafficTarget;
import io.fabric8.knative.serving.v1.TrafficTargetBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Just enough of Knative Serving's controllers for the rollout tool: a changed template stamps out a Revision
 * (named by the template, or {@code <service>-0000N}), which turns Ready (or fails) after a delay; and the Route
 * applies {@code spec.traffic} to {@code status.traffic} once every revision it names is Ready (until then it
 * keeps serving the old split, as Knative does). Runs on its own thread against the mock API server, with its own
 * client, so its status writes race with the tool's writes as a real controller's would.
 */
public final class SimulatedRevisionController implements AutoCloseable {

    /** One change of a Service's applied traffic, with when it happened. */
    public record AppliedTraffic(Instant at, List<TrafficTarget> traffic) {
    }

    private final KnativeClient client;
    private final String namespace;
    private final Duration readyAfter;
    private final Predicate<Revision> fails;
    private final KubernetesSerialization json = new KubernetesSerialization();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simulated-knative-controller");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, String> stampedTemplates = new HashMap<>();
    private final Map<String, Integer> generations = new HashMap<>();
    private final Map<String, Instant> createdAt = new ConcurrentHashMap<>();
    private final Map<String, List<AppliedTraffic>> history = new ConcurrentHashMap<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    /**
     * @param fails which revisions fail to become Ready (a bad image, say)
     */
    public SimulatedRevisionController(KnativeClient client, String namespace, Duration readyAfter, Predicate<Revision> fails) {
        this.client = client;
        this.namespace = namespace;
        this.readyAfter = readyAfter;
        this.fails = fails;
        loop.scheduleWithFixedDelay(this::reconcileSafely, 0, 10, TimeUnit.MILLISECONDS);
    }

    /** Every status.traffic the Route applied to {@code service}, oldest first. */
    List<AppliedTraffic> history(String service) {
        return List.copyOf(history.getOrDefault(service, List.of()));
    }

    /** The candidate's share over time, as applied. */
    public List<Long> appliedPercents(String service, String revision) {
        List<Long> percents = new ArrayList<>();
        for (AppliedTraffic applied : history(service)) {
            long p = TrafficPlan.percentOf(applied.traffic(), revision);
            if (percents.isEmpty() || percents.get(percents.size() - 1) != p) {
                percents.add(p);
            }
        }
        return percents;
    }

    /** Share of {@code revision} in the Service's status.traffic right now, as the rollout tool reads it. */
    double appliedShareNow(String service, String revision) {
        Service s = client.services().inNamespace(namespace).withName(service).get();
        return s == null || s.getStatus() == null ? 0 : TrafficPlan.percentOf(s.getStatus().getTraffic(), revision) / 100.0;
    }

    public List<Throwable> errors() {
        return errors;
    }

    private void reconcileSafely() {
        try {
            for (Service service : client.services().inNamespace(namespace).list().getItems()) {
                stampRevision(service);
            }
            for (Revision revision : client.revisions().inNamespace(namespace).list().getItems()) {
                settleRevision(revision);
            }
            for (Service service : client.services().inNamespace(namespace).list().getItems()) {
                updateStatus(service);
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                errors.add(e);
            }
        } catch (RuntimeException e) {
            errors.add(e);
        }
    }

    private void stampRevision(Service service) {
        String name = service.getMetadata().getName();
        String template = json.asJson(service.getSpec().getTemplate());
        if (template.equals(stampedTemplates.get(name))) {
            return;
        }
        int generation = generations.merge(name, 1, Integer::sum);
        String revisionName = service.getSpec().getTemplate().getMetadata() != null
                && service.getSpec().getTemplate().getMetadata().getName() != null
                ? service.getSpec().getTemplate().getMetadata().getName()
                : String.format("%s-%05d", name, generation);
        if (client.revisions().inNamespace(namespace).withName(revisionName).get() == null) {
            Revision revision = new RevisionBuilder()
                    .withNewMetadata().withName(revisionName).withNamespace(namespace)
                    .addToLabels("serving.knative.dev/service", name)
                    .addToLabels("serving.knative.dev/configuration", name)
                    .addToLabels("serving.knative.dev/configurationGeneration", Integer.toString(generation))
                    .endMetadata()
                    .withSpec(service.getSpec().getTemplate().getSpec())
                    .build();
            client.revisions().inNamespace(namespace).resource(revision).create();
            createdAt.put(revisionName, Instant.now());
        }
        stampedTemplates.put(name, template);
    }

    private void settleRevision(Revision revision) {
        if (revision.getStatus() != null && revision.getStatus().getConditions() != null
                && !revision.getStatus().getConditions().isEmpty()) {
            return;
        }
        Instant created = createdAt.get(revision.getMetadata().getName());
        if (created == null || Instant.now().isBefore(created.plus(readyAfter))) {
            return;
        }
        Condition ready = fails.test(revision)
                ? new ConditionBuilder().withType("Ready").withStatus("False").withReason("ExitCode1")
                .withMessage("Container failed with: model file not found").build()
                : new ConditionBuilder().withType("Ready").withStatus("True").build();
        revision.setStatus(new RevisionStatusBuilder().withConditions(ready)
                .withObservedGeneration(revision.getMetadata().getGeneration()).build());
        client.revisions().inNamespace(namespace).resource(revision).updateStatus();
    }

    private void updateStatus(Service service) {
        String name = service.getMetadata().getName();
        List<Revision> revisions = client.revisions().inNamespace(namespace)
                .withLabel("serving.knative.dev/service", name).list().getItems().stream()
                .sorted((a, b) -> Integer.compare(generationOf(a), generationOf(b))).toList();
        String latestCreated = revisions.isEmpty() ? null : revisions.get(revisions.size() - 1).getMetadata().getName();
        String latestReady = revisions.stream().filter(SimulatedRevisionController::ready)
                .map(r -> r.getMetadata().getName()).reduce((a, b) -> b).orElse(null);
        ServiceStatus old = service.getStatus();
        List<TrafficTarget> applied = old == null || old.getTraffic() == null ? List.of() : old.getTraffic();
        List<TrafficTarget> wanted = resolve(service, latestReady, revisions);
        boolean routed = wanted != null;
        if (routed) {
            applied = wanted;
        }
        boolean allReady = routed && Objects.equals(latestCreated, latestReady);
        ServiceStatus status = new ServiceStatusBuilder()
                .withObservedGeneration(service.getMetadata().getGeneration())
                .withLatestCreatedRevisionName(latestCreated)
                .withLatestReadyRevisionName(latestReady)
                .withTraffic(applied)
                .withUrl("http://" + name + "." + namespace + ".example.com")
                .withConditions(new ConditionBuilder().withType("Ready").withStatus(allReady ? "True" : "False")
                        .withReason(allReady ? null : routed ? "RevisionFailed" : "RevisionMissing").build())
                .build();
        if (json.asJson(status).equals(old == null ? null : json.asJson(old))) {
            return;
        }
        service.setStatus(status);
        client.services().inNamespace(namespace).resource(service).updateStatus();
        if (!applied.isEmpty() && (old == null || !json.asJson(applied).equals(json.asJson(old.getTraffic())))) {
            history.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>())
                    .add(new AppliedTraffic(Instant.now(), applied));
        }
    }

    /** The traffic the Route would serve, or null while a revision it names is missing or not Ready. */
    private static List<TrafficTarget> resolve(Service service, String latestReady, List<Revision> revisions) {
        List<TrafficTarget> spec = service.getSpec().getTraffic();
        if (spec == null || spec.isEmpty()) {
            spec = List.of(new TrafficTargetBuilder().withLatestRevision(true).withPercent(100L).build());
        }
        List<TrafficTarget> resolved = new ArrayList<>();
        for (TrafficTarget t : spec) {
            String revision = Boolean.TRUE.equals(t.getLatestRevision()) ? latestReady : t.getRevisionName();
            if (revision == null || revisions.stream().noneMatch(r -> r.getMetadata().getName().equals(revision) && ready(r))) {
                return null;
            }
            String name = service.getMetadata().getName();
            resolved.add(new TrafficTargetBuilder(t).withRevisionName(revision)
                    .withPercent(t.getPercent() == null ? 0L : t.getPercent())
                    .withUrl(t.getTag() == null ? null
                            : "http://" + t.getTag() + "-" + name + "." + service.getMetadata().getNamespace() + ".example.com")
                    .build());
        }
        return resolved;
    }

    private static boolean ready(Revision r) {
        return r.getStatus() != null && r.getStatus().getConditions() != null && r.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static int generationOf(Revision r) {
        return Integer.parseInt(r.getMetadata().getLabels().getOrDefault("serving.knative.dev/configurationGeneration", "0"));
    }

    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
