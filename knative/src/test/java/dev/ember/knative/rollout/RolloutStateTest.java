package dev.ember.knative.rollout;

import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.ServiceBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutStateTest {

    @Test
    void stateRoundTripsThroughServiceAnnotations() {
        AnalysisThresholds thresholds = new AnalysisThresholds(0.02, 0.01, Optional.of(Duration.ofMillis(250)), 2.0,
                Duration.ofMillis(5), 100, 2);
        RolloutPlan plan = new RolloutPlan(List.of(10, 50, 100), Duration.ofSeconds(90), Duration.ofSeconds(15), thresholds);
        Instant started = Instant.parse("2026-11-24T10:15:04.123Z");
        RolloutState state = RolloutState.started("embed-00001", "embed-00002", null, "ember/ember-jvm:0.2.0", plan,
                "host-1-ab12", "created").atStep(2, started, "step 1/3 passed");
        Service service = new ServiceBuilder().withNewMetadata().withName("embed")
                .addToAnnotations("example.com/owner", "ml").endMetadata().build();

        state.writeTo(service, started.plusSeconds(1));

        assertThat(service.getMetadata().getAnnotations())
                .containsEntry("example.com/owner", "ml")
                .containsEntry("rollout.ember.dev/phase", "Progressing")
                .containsEntry("rollout.ember.dev/steps", "10,50,100")
                .containsEntry("rollout.ember.dev/step", "2")
                .containsEntry("rollout.ember.dev/hold", "1m30s")
                .containsEntry("rollout.ember.dev/step-started-at", "2026-11-24T10:15:04.123Z")
                .containsEntry("rollout.ember.dev/thresholds", "max-error-rate=0.02,max-error-rate-increase=0.01,"
                        + "max-p99=250ms,max-p99-ratio=2,p99-tolerance=5ms,min-requests=100,max-inconclusive=2")
                .doesNotContainKey("rollout.ember.dev/previous");
        RolloutState read = RolloutState.read(service).orElseThrow();
        assertThat(read.plan()).isEqualTo(plan);
        assertThat(read.stepStartedAt()).isEqualTo(started);
        assertThat(read.candidatePercent()).isEqualTo(50);
        assertThat(read.driver()).isEqualTo("host-1-ab12");
        assertThat(read.updatedAt()).isEqualTo(started.plusSeconds(1));
    }

    @Test
    void anEndedStateDropsItsDriver() {
        RolloutPlan plan = new RolloutPlan(RolloutPlan.DEFAULT_STEPS, Duration.ofMinutes(2), Duration.ofSeconds(30),
                AnalysisThresholds.DEFAULTS);
        Service service = new ServiceBuilder().withNewMetadata().withName("embed").endMetadata().build();
        RolloutState.started("a", "b", null, null, plan, "d", "x")
                .ended(RolloutPhase.Promoted, "b", null, "a", "promoted").writeTo(service, Instant.now());
        RolloutState read = RolloutState.read(service).orElseThrow();
        assertThat(read.driver()).isNull();
        assertThat(read.candidate()).isNull();
        assertThat(read.previous()).isEqualTo("a");
        assertThat(service.getMetadata().getAnnotations()).doesNotContainKey("rollout.ember.dev/driver");
    }

    @Test
    void unreadableAnnotationsSayHowToRecover() {
        Service service = new ServiceBuilder().withNewMetadata().withName("embed")
                .addToAnnotations("rollout.ember.dev/phase", "Sideways").endMetadata().build();
        assertThatThrownBy(() -> RolloutState.read(service)).isInstanceOf(RolloutException.class)
                .hasMessageContaining("unreadable rollout annotations on Service embed");
        assertThat(RolloutState.read(new ServiceBuilder().withNewMetadata().withName("x").endMetadata().build())).isEmpty();
    }

    @Test
    void durationsReadAndWriteTheWayOperatorsSpellThem() {
        assertThat(DurationText.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(DurationText.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(DurationText.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationText.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
        assertThatThrownBy(() -> DurationText.parse("2 minutes")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid duration '2 minutes'");
    }
}
