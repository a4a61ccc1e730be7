package dev.ember.benchmarks;

import java.util.concurrent.locks.LockSupport;

/** Time as the load generator sees it: the system clock in a run, a scripted one in tests. */
public interface Clock {

    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleepUntil(long deadline) throws InterruptedException {
            long left;
            while ((left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
    };

    long nanoTime();

    /** Returns at once when {@code deadline} (a {@link #nanoTime()} value) has passed. */
    void sleepUntil(long deadline) throws InterruptedException;
}
