package dev.ember.runtime.onnx;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads that create or run ONNX Runtime sessions. Its native start-up recurses deeply (it overflowed a default
 * 1 MiB stack when the JVM command line was a few KB long), so they get a 16 MiB stack; daemons, so they never
 * hold the JVM up.
 */
public final class NativeThreads {

    static final long STACK_BYTES = 16L << 20;

    private NativeThreads() {
    }

    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(null, r, prefix + n.incrementAndGet(), STACK_BYTES);
            t.setDaemon(true);
            return t;
        };
    }
}
