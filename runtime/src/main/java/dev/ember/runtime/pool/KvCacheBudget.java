package dev.ember.runtime.pool;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.config.EmberConfig;
import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bytes of KV cache that generator versions hold: each version's engine holds an {@link Account} and sets it
 * to what its caches need before it grows them. A hold grows only while it fits both the version's own budget
 * ({@code ember.functions.<f>.generate.kv-cache-budget}) and the process-wide {@code ember.pool.kv-cache-budget};
 * it can always shrink. What a refused hold means (wait, preempt) is the engine's decision.
 */
@ApplicationScoped
@Startup
public class KvCacheBudget {

    private final long limit;
    private final MeterRegistry registry;
    private final Map<ModelId, Account> accounts = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private long used; // guarded by lock

    @Inject
    KvCacheBudget(EmberConfig config, MeterRegistry registry) {
        this(config.pool().kvCacheBudget().asLongValue(), registry);
    }

    public KvCacheBudget(long limit, MeterRegistry registry) {
        if (limit <= 0) {
            throw new IllegalArgumentException("ember.pool.kv-cache-budget must be positive");
        }
        this.limit = limit;
        this.registry = registry;
        EmberMeter.KV_CACHE_BUDGET_BYTES.gauge(registry, Tags.empty(), () -> this.limit);
        EmberMeter.KV_CACHE_USED_BYTES.gauge(registry, Tags.empty(), this, KvCacheBudget::used);
    }

    /** The process-wide limit in bytes. */
    public long limit() {
        return limit;
    }

    /** Bytes held now by all versions together. */
    public long used() {
        synchronized (lock) {
            return used;
        }
    }

    /**
     * The account of a version, created at its first use with its own limit (empty: the process-wide one alone);
     * one per version for the life of the process, so its meters read the same account across reloads.
     */
    public Account account(ModelId id, OptionalLong versionLimit) {
        return accounts.computeIfAbsent(id, v -> new Account(v, versionLimit.isPresent()
                ? Math.min(versionLimit.getAsLong(), limit) : limit));
    }

    /** One version's hold. */
    public final class Account {
        private final ModelId id;
        private final long limit;
        private long held; // guarded by the budget's lock

        private Account(ModelId id, long limit) {
            if (limit <= 0) {
                throw new IllegalArgumentException("ember.functions." + id.model()
                        + ".generate.kv-cache-budget must be positive");
            }
            this.id = id;
            this.limit = limit;
            Tags tags = Tags.of("function", id.model(), "version", String.valueOf(id.version()));
            EmberMeter.GENERATE_KV_CACHE_BYTES.gauge(registry, tags, this, Account::held);
            EmberMeter.GENERATE_KV_CACHE_BUDGET_BYTES.gauge(registry, tags, this, Account::limit);
        }

        public ModelId id() {
            return id;
        }

        /** What this version may hold at most, alone: its own budget, capped by the process-wide one. */
        public long limit() {
            return limit;
        }

        public long held() {
            synchronized (lock) {
                return held;
            }
        }

        /**
         * Sets the hold to {@code bytes}: a shrink always succeeds; a growth only when it fits this version's
         * budget and what the other versions leave of the process-wide one. Returns whether the hold is now
         * {@code bytes}; when false it is unchanged.
         */
        public boolean hold(long bytes) {
            synchronized (lock) {
                long delta = bytes - held;
                if (delta > 0 && (bytes > limit || used + delta > KvCacheBudget.this.limit)) {
                    return false;
                }
                held = bytes;
                used += delta;
                return true;
            }
        }

        /** Releases everything this version holds. */
        public void release() {
            hold(0);
        }
    }
}
