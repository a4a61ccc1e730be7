package dev.ember.knative.rollout;

import java.time.Clock;
import java.time.Duration;

/** Time as the rollout sees it: a clock and a way to wait. Tests pass short real waits, never a fake clock. */
public interface Pacer {

    Clock clock();

    void sleep(Duration duration) throws InterruptedException;

    static Pacer system() {
        Clock clock = Clock.systemUTC();
        return new Pacer() {
            @Override
            public Clock clock() {
                return clock;
            }

            @Override
            public void sleep(Duration duration) throws InterruptedException {
                if (!duration.isNegative() && !duration.isZero()) {
                    Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
                }
            }
        };
    }
}
