package dev.ember.knative.rollout;

import io.fabric8.knative.serving.v1.TrafficTarget;
import io.fabric8.knative.serving.v1.TrafficTargetBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.ember.knative.rollout.RolloutDriverTest.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrafficPlanTest {

    private final TrafficPlan plan = new TrafficPlan("embed-00001", "embed-00002");

    @Test
    void aSplitPinsBothRevisionsByNameAndKeepsOtherTagsAtZero() {
        List<TrafficTarget> current = List.of(
                new TrafficTargetBuilder().withLatestRevision(true).withPercent(100L).build(),
                new TrafficTargetBuilder().withRevisionName("embed-00000").withPercent(0L).withTag("debug")
                        .withUrl("http://debug-embed.test.example.com").build());

        List<TrafficTarget> split = plan.split(25, current);

        assertThat(split).containsExactly(target("embed-00001", 75, "stable"), target("embed-00002", 25, "candidate"),
                new TrafficTargetBuilder().withRevisionName("embed-00000").withPercent(0L).withTag("debug").build());
        assertThat(TrafficPlan.problems(split)).isEmpty();
    }

    @Test
    void promotionAndRollbackMoveTheTags() {
        List<TrafficTarget> promoted = plan.promoted(plan.split(100, null));
        assertThat(promoted).containsExactly(target("embed-00002", 100, "stable"), target("embed-00001", 0, "previous"));

        assertThat(plan.rolledBack(true, plan.split(50, null)))
                .containsExactly(target("embed-00001", 100, "stable"), target("embed-00002", 0, "candidate"));
        assertThat(plan.rolledBack(false, plan.split(0, null))).containsExactly(target("embed-00001", 100, "stable"));
    }

    @Test
    void knativeTrafficRulesAreChecked() {
        assertThat(TrafficPlan.problems(List.of(target("a", 60, "stable"), target("b", 30, "stable"))))
                .containsExactly("spec.traffic[1].tag 'stable' is used twice", "spec.traffic percentages add up to 90, not 100");
        assertThat(TrafficPlan.problems(List.of(new TrafficTargetBuilder().withRevisionName("a").withLatestRevision(true)
                .withPercent(100L).withTag("Bad_Tag").build())))
                .containsExactly("spec.traffic[0]: exactly one of revisionName and latestRevision: true must be set",
                        "spec.traffic[0].tag 'Bad_Tag' is not a DNS label");
        assertThat(TrafficPlan.percentOf(List.of(target("a", 60, "x"), target("a", 40, "y")), "a")).isEqualTo(100);
    }

    @Test
    void planStepsMustRiseToAHundred() {
        assertThatThrownBy(() -> new RolloutPlan(List.of(5, 50), java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1), AnalysisThresholds.DEFAULTS)).hasMessageContaining("last step must be 100");
        assertThatThrownBy(() -> new RolloutPlan(List.of(50, 25, 100), java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1), AnalysisThresholds.DEFAULTS)).hasMessageContaining("rise strictly");
        assertThat(RolloutPlan.parseSteps("10%, 50%,100")).containsExactly(10, 50, 100);
    }
}
