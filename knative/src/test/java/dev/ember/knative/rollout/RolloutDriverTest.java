package dev.ember.knative.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.knative.manifests.CrdSchemaValidator;
import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.TrafficTarget;
import io.fabric8.knative.serving.v1.TrafficTargetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.ember.knative.rollout.KnativeMockCluster.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rollout tool against fabric8's mock API server (CRUD mode) with a simulated Knative controller and a
 * simulated metrics source. After each test, every Service body the tool wrote is checked against the Knative
 * Service CRD schema and Knative's traffic rules.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RolloutDriverTest {

    static final String SERVICE = "embed";
    static final String STABLE = "embed-00001";
    static final RolloutPlan PLAN = new RolloutPlan(RolloutPlan.DEFAULT_STEPS, Duration.ofMillis(300),
            Duration.ofMillis(100), AnalysisThresholds.DEFAULTS);
    static final RolloutTimeouts TIMEOUTS = new RolloutTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofMillis(20));

    private static CrdSchemaValidator schema;

    private KnativeMockCluster cluster;
    private SimulatedRevisionController knative;
    private SimulatedMetrics metrics;
    private KnativeClient client;
    private final List<String> progress = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void loadSchema() {
        schema = CrdSchemaValidator.reference();
    }

    @BeforeEach
    void startCluster() {
        cluster = KnativeMockCluster.start();
        client = cluster.knativeClient();
        knative = new SimulatedRevisionController(cluster.knativeClient(), NAMESPACE, Duration.ofMillis(150),
                r -> r.getSpec().getContainers().get(0).getImage().contains("broken"));
        cluster.createService(SERVICE, "ember/ember-jvm:0.1.0");
        await("the first revision serves 100%", () -> TrafficPlan.percentOf(appliedTraffic(), STABLE) == 100);
        metrics = new SimulatedMetrics(knative, SERVICE, 50_000);
    }

    @AfterEach
    void everyWriteWasValid() {
        try {
            List<JsonNode> writes = cluster.dispatcher().serviceWrites(SERVICE);
            assertThat(writes).isNotEmpty();
            KubernetesSerialization serialization = new KubernetesSerialization();
            for (JsonNode body : writes) {
                assertThat(schema.validate(body)).as("CRD schema problems in %s", body.path("spec")).isEmpty();
                Service written = serialization.convertValue(body, Service.class);
                assertThat(TrafficPlan.problems(written.getSpec().getTraffic()))
                        .as("traffic rules in %s", body.path("spec").path("traffic")).isEmpty();
            }
            assertThat(knative.errors()).isEmpty();
        } finally {
            knative.close();
            cluster.close();
        }
    }

    @Test
    void aHealthyCandidateIsPromotedStepByStep() {
        RolloutOutcome outcome = driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.empty()), PLAN);

        assertThat(outcome.result()).isEqualTo(RolloutOutcome.Result.PROMOTED);
        String candidate = outcome.state().stable();
        assertThat(candidate).startsWith("embed-").isNotEqualTo(STABLE);
        // the Route applied every step, in order, and nothing else
        assertThat(knative.appliedPercents(SERVICE, candidate)).containsExactly(0L, 5L, 25L, 50L, 100L);
        assertThat(knative.appliedPercents(SERVICE, STABLE)).containsExactly(100L, 95L, 75L, 50L, 0L);

        Service service = service();
        assertThat(service.getSpec().getTemplate().getMetadata().getName()).isEqualTo(candidate);
        assertThat(service.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("ember/ember-jvm:0.2.0");
        assertThat(service.getSpec().getTraffic()).containsExactly(
                target(candidate, 100, "stable"), target(STABLE, 0, "previous"));
        RolloutState state = RolloutState.read(service).orElseThrow();
        assertThat(state.phase()).isEqualTo(RolloutPhase.Promoted);
        assertThat(state.previous()).isEqualTo(STABLE);
        assertThat(state.driver()).isNull();
        assertThat(progress).anyMatch(l -> l.contains("step 1/4: 5% to " + candidate + ", 95% to " + STABLE))
                .anyMatch(l -> l.contains("step 4/4 (100%) passed"))
                .anyMatch(l -> l.startsWith("promoted " + candidate));
        assertThat(metrics.queries()).anyMatch(q -> q.revision().equals(candidate))
                .anyMatch(q -> q.revision().equals(STABLE));
    }

    @Test
    void aFailingCandidateIsRolledBackAtTheFirstFailedGate() {
        metrics.behave("embed-v2", new SimulatedMetrics.Behaviour(0.20, 0.040));

        RolloutOutcome outcome = driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), PLAN);

        assertThat(outcome.result()).isEqualTo(RolloutOutcome.Result.ROLLED_BACK);
        assertThat(outcome.message()).startsWith("step 1/4 (5%) failed: error rate 20% above the ceiling 1%");
        // 100% to stable, the candidate kept at 0% with its tag for debugging
        assertThat(service().getSpec().getTraffic()).containsExactly(
                target(STABLE, 100, "stable"), target("embed-v2", 0, "candidate"));
        awaitApplied("embed-v2", 0);
        assertThat(knative.appliedPercents(SERVICE, "embed-v2")).containsExactly(0L, 5L, 0L);
        assertThat(RolloutState.read(service()).orElseThrow().phase()).isEqualTo(RolloutPhase.RolledBack);
    }

    @Test
    void aSlowCandidateIsRolledBackOnP99() {
        metrics.behave("embed-v2", new SimulatedMetrics.Behaviour(0.001, 0.200));

        RolloutOutcome outcome = driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), PLAN);

        assertThat(outcome.result()).isEqualTo(RolloutOutcome.Result.ROLLED_BACK);
        assertThat(outcome.message()).contains("p99 200ms is more than 1.5x stable's 40ms");
        awaitApplied("embed-v2", 0);
        assertThat(knative.appliedPercents(SERVICE, "embed-v2")).containsExactly(0L, 5L, 0L);
    }

    @Test
    void aRolloutCrashedMidwayIsResumedFromItsStep() throws Exception {
        metrics.crashOnce("embed-v2", q -> q.revision().equals("embed-v2") && q.candidateShareNow() == 0.50);
        CompletableFuture<RolloutOutcome> crashed = CompletableFuture.supplyAsync(() -> driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), PLAN));
        assertThatThrownBy(() -> crashed.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SimulatedMetrics.SimulatedCrash.class);

        RolloutState left = RolloutState.read(service()).orElseThrow();
        assertThat(left.phase()).isEqualTo(RolloutPhase.Progressing);
        assertThat(left.step()).isEqualTo(3);
        assertThat(left.driver()).isEqualTo("driver-1");
        // a second rollout of another candidate is refused while this one is recorded
        assertThatThrownBy(() -> driver("driver-2").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.3.0", Optional.empty(), Optional.empty()), PLAN))
                .isInstanceOf(RolloutException.class).hasMessageContaining("rollout of embed-v2 is Progressing at step 3/4");

        RolloutOutcome resumed = driver("driver-2").resume(SERVICE);

        assertThat(resumed.result()).isEqualTo(RolloutOutcome.Result.PROMOTED);
        // resumed at 50%, not restarted at 5%
        assertThat(knative.appliedPercents(SERVICE, "embed-v2")).containsExactly(0L, 5L, 25L, 50L, 100L);
        assertThat(progress).anyMatch(l -> l.contains("resuming the rollout of embed-v2 at step 3/4 (50%), taking over from driver-1"));
    }

    @Test
    void aCrashedRolloutCanBeRolledBackByHand() {
        metrics.crashOnce("embed-v2", q -> q.revision().equals("embed-v2") && q.candidateShareNow() == 0.25);
        assertThatThrownBy(() -> driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), PLAN))
                .isInstanceOf(SimulatedMetrics.SimulatedCrash.class);

        RolloutState state = byHand().rollback(SERVICE, "investigating a crash");

        assertThat(state.phase()).isEqualTo(RolloutPhase.RolledBack);
        assertThat(state.message()).isEqualTo("rolled back at step 2/4: investigating a crash");
        assertThat(service().getSpec().getTraffic()).containsExactly(
                target(STABLE, 100, "stable"), target("embed-v2", 0, "candidate"));
        await("the Route serves stable again", () -> TrafficPlan.percentOf(appliedTraffic(), STABLE) == 100);
    }

    @Test
    void aConflictingConcurrentEditIsRetriedAndKept() {
        // the write that moves to step 2 loses a race against someone labelling the Service
        cluster.dispatcher().loseRaces(body -> "2".equals(body.path("metadata").path("annotations")
                .path("rollout.ember.dev/step").asText()), 1);
        RolloutDriver driver = driver("driver-1");

        RolloutOutcome outcome = driver.start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), PLAN);

        assertThat(outcome.result()).isEqualTo(RolloutOutcome.Result.PROMOTED);
        assertThat(cluster.dispatcher().racesLost()).isEqualTo(1);
        assertThat(driver.editor().conflictsRetried()).isGreaterThanOrEqualTo(1);
        assertThat(knative.appliedPercents(SERVICE, "embed-v2")).containsExactly(0L, 5L, 25L, 50L, 100L);
        // the other client's edit survived the retried write
        assertThat(service().getMetadata().getLabels()).containsEntry(RecordingCrudDispatcher.CONCURRENT_LABEL, "1");
    }

    @Test
    void aCandidateThatNeverBecomesReadyIsRolledBackAndDropped() {
        RolloutOutcome outcome = driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:broken", Optional.empty(), Optional.of("embed-broken")), PLAN);

        assertThat(outcome.result()).isEqualTo(RolloutOutcome.Result.ROLLED_BACK);
        assertThat(outcome.message()).contains("did not become Ready: ExitCode1: Container failed with: model file not found");
        // a failed revision in the traffic block would keep the Route from becoming Ready: it is dropped
        assertThat(service().getSpec().getTraffic()).containsExactly(target(STABLE, 100, "stable"));
        assertThat(knative.appliedPercents(SERVICE, "embed-broken")).containsOnly(0L);
    }

    @Test
    void aCandidateWithoutTrafficIsNotJudgedButPausedThenResumed() {
        metrics.requestsPerSecond(0);
        RolloutPlan patient = new RolloutPlan(List.of(50, 100), Duration.ofMillis(200), Duration.ofMillis(100),
                new AnalysisThresholds(0.01, 0.005, Optional.empty(), 1.5, Duration.ofMillis(10), 50, 1));

        RolloutOutcome paused = driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), patient);

        assertThat(paused.result()).isEqualTo(RolloutOutcome.Result.PAUSED);
        assertThat(paused.message()).contains("could not judge the candidate: candidate served 0 requests, fewer than the 50");
        assertThat(progress).anyMatch(l -> l.contains("step 1/2 inconclusive (1 of at most 1), holding another 200ms"));
        assertThat(service().getSpec().getTraffic()).as("traffic stays at the paused step").containsExactly(
                target(STABLE, 50, "stable"), target("embed-v2", 50, "candidate"));
        // stable had no traffic either, so the gate also looked at stable before the step: no baseline there
        assertThat(metrics.queries()).anyMatch(q -> q.revision().equals(STABLE) && !q.window().offset().isZero());

        metrics.requestsPerSecond(50_000);
        RolloutOutcome resumed = driver("driver-2").resume(SERVICE);

        assertThat(resumed.result()).isEqualTo(RolloutOutcome.Result.PROMOTED);
        assertThat(knative.appliedPercents(SERVICE, "embed-v2")).containsExactly(0L, 50L, 100L);
    }

    @Test
    void aRollbackByAnotherClientStopsTheRunningDriver() throws Exception {
        RolloutPlan slow = new RolloutPlan(RolloutPlan.DEFAULT_STEPS, Duration.ofSeconds(5), Duration.ofMillis(50),
                AnalysisThresholds.DEFAULTS);
        CompletableFuture<RolloutOutcome> running = CompletableFuture.supplyAsync(() -> driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), slow));
        await("step 1 applied", () -> TrafficPlan.percentOf(appliedTraffic(), "embed-v2") == 5);

        byHand().rollback(SERVICE, "by hand");

        assertThatThrownBy(() -> running.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RolloutTakenOverException.class)
                .hasMessageContaining("is now RolledBack");
        assertThat(service().getSpec().getTraffic()).containsExactly(
                target(STABLE, 100, "stable"), target("embed-v2", 0, "candidate"));
    }

    @Test
    void aPromotionCanBeRolledBackToThePreviousRevision() {
        driver("driver-1").start(SERVICE,
                new CandidateSource.Image("ember/ember-jvm:0.2.0", Optional.empty(), Optional.of("embed-v2")), PLAN);

        RolloutState state = byHand().rollback(SERVICE, "regression reported by users");

        assertThat(state.phase()).isEqualTo(RolloutPhase.RolledBack);
        assertThat(state.stable()).isEqualTo(STABLE);
        assertThat(state.candidate()).isEqualTo("embed-v2");
        assertThat(service().getSpec().getTraffic()).containsExactly(
                target(STABLE, 100, "stable"), target("embed-v2", 0, "candidate"));
        await("the Route serves the previous revision", () -> TrafficPlan.percentOf(appliedTraffic(), STABLE) == 100);
    }

    @Test
    void anExistingRevisionCanBeRolledOutAndPromotedByHand() {
        // as `kn service update embed --image ... --revision-name embed-v2 --traffic embed-00001=100` leaves it
        client.services().inNamespace(NAMESPACE).withName(SERVICE).edit(s -> {
            s.getSpec().getTemplate().getMetadata().setName("embed-v2");
            s.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("ember/ember-jvm:0.2.0");
            s.getSpec().setTraffic(List.of(target(STABLE, 100, null)));
            return s;
        });
        await("embed-v2 is Ready", () -> "embed-v2".equals(service().getStatus().getLatestReadyRevisionName()));
        RolloutPlan slow = new RolloutPlan(RolloutPlan.DEFAULT_STEPS, Duration.ofSeconds(5), Duration.ofMillis(50),
                AnalysisThresholds.DEFAULTS);
        CompletableFuture<RolloutOutcome> running = CompletableFuture.supplyAsync(
                () -> driver("driver-1").start(SERVICE, new CandidateSource.Existing("embed-v2"), slow));
        await("step 1 applied", () -> TrafficPlan.percentOf(appliedTraffic(), "embed-v2") == 5);

        RolloutState promoted = byHand().promote(SERVICE);

        assertThat(promoted.phase()).isEqualTo(RolloutPhase.Promoted);
        assertThat(promoted.stable()).isEqualTo("embed-v2");
        assertThatThrownBy(() -> running.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RolloutTakenOverException.class);
        await("the Route serves embed-v2", () -> TrafficPlan.percentOf(appliedTraffic(), "embed-v2") == 100);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private RolloutDriver driver(String driverId) {
        return new RolloutDriver(cluster.knativeClient(), NAMESPACE, metrics, Pacer.system(), TIMEOUTS,
                (svc, message) -> progress.add(message), driverId);
    }

    /** An operator's promote or rollback: no metrics, no driver. */
    private ServiceRollout byHand() {
        return new ServiceRollout(cluster.knativeClient(), NAMESPACE, Pacer.system(),
                (svc, message) -> progress.add(message));
    }

    private Service service() {
        return client.services().inNamespace(NAMESPACE).withName(SERVICE).get();
    }

    private List<TrafficTarget> appliedTraffic() {
        Service s = service();
        return s.getStatus() == null ? List.of() : s.getStatus().getTraffic();
    }

    static TrafficTarget target(String revision, long percent, String tag) {
        return new TrafficTargetBuilder().withRevisionName(revision).withLatestRevision(false).withPercent(percent)
                .withTag(tag).build();
    }

    /** Until the simulated Route's last applied traffic gives {@code revision} that percent (and recorded it). */
    private void awaitApplied(String revision, long percent) {
        await(revision + " applied at " + percent + "%", () -> {
            List<Long> applied = knative.appliedPercents(SERVICE, revision);
            return !applied.isEmpty() && applied.get(applied.size() - 1) == percent;
        });
    }

    static void await(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plusSeconds(15);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
