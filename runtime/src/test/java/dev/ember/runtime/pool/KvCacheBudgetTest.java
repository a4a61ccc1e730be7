package dev.ember.runtime.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.api.ModelId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class KvCacheBudgetTest {

    @Test
    void aHoldGrowsWithinItsOwnAndTheProcessBudgetAndAlwaysShrinks() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KvCacheBudget budget = new KvCacheBudget(1000, registry);
        KvCacheBudget.Account a = budget.account(new ModelId("a", 1), OptionalLong.of(600));
        KvCacheBudget.Account b = budget.account(new ModelId("b", 1), OptionalLong.empty());
        assertThat(a.limit()).isEqualTo(600);
        assertThat(b.limit()).isEqualTo(1000);
        assertThat(a.hold(600)).isTrue();
        assertThat(a.hold(601)).as("beyond its own budget").isFalse();
        assertThat(a.held()).isEqualTo(600);
        assertThat(b.hold(401)).as("beyond what a leaves of the process budget").isFalse();
        assertThat(b.hold(400)).isTrue();
        assertThat(budget.used()).isEqualTo(1000);
        assertThat(a.hold(100)).isTrue();
        assertThat(b.hold(900)).isTrue();
        a.release();
        assertThat(budget.used()).isEqualTo(900);
        assertThat(budget.account(new ModelId("a", 1), OptionalLong.empty())).as("one account per version")
                .isSameAs(a);
        assertThat(registry.get("ember.pool.kv.cache.bytes").gauge().value()).isEqualTo(900);
        assertThat(registry.get("ember.generate.kv.cache.bytes").tag("function", "b").gauge().value())
                .isEqualTo(900);
        assertThat(registry.get("ember.generate.kv.cache.budget.bytes").tag("function", "a").gauge().value())
                .isEqualTo(600);
        assertThat(registry.get("ember.pool.kv.cache.budget.bytes").gauge().value()).isEqualTo(1000);
    }
}
