package dev.ember.knative.rollout;

import io.fabric8.knative.serving.v1.TrafficTarget;

import java.util.List;
import java.util.Optional;

/**
 * What {@code status} shows: the recorded rollout, the traffic asked for (spec) and applied (status).
 *
 * @param candidateReady empty when there is no candidate (or it no longer exists)
 */
public record RolloutStatus(String service, String namespace, Optional<RolloutState> state,
                            List<TrafficTarget> specTraffic, List<TrafficTarget> statusTraffic,
                            Optional<Boolean> candidateReady, String latestReadyRevision) {
}
