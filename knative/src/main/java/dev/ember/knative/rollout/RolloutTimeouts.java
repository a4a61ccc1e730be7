package dev.ember.knative.rollout;

import java.time.Duration;

/**
 * How long the rollout waits for Knative.
 *
 * @param ready        for the candidate revision to become Ready (image pull, model load, warm-up)
 * @param route        for the Route to apply a traffic block written to the Service
 * @param pollInterval between reads of the Service or Revision while waiting
 */
public record RolloutTimeouts(Duration ready, Duration route, Duration pollInterval) {
}
