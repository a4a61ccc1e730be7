package dev.ember.runtime.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.host.HostFacts;
import io.quarkus.runtime.configuration.MemorySize;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The model budget: the configured one, else half of what the cgroup limit leaves beside the heap. */
class ModelBudgetTest {

    static final long GIB = 1024L * 1024 * 1024;

    static HostFacts host(OptionalLong limit, long heap) {
        return new HostFacts("v2", OptionalDouble.empty(), limit, OptionalLong.empty(), Optional.empty(),
                OptionalInt.empty(), List.of(), 2, heap);
    }

    @Test
    void followsTheCgroupLimitWhenNoneIsSet() {
        // a systemd unit with MemoryMax=4G and -Xmx1g: 1.5 GiB of models, 1.5 GiB for the rest outside the heap
        assertThat(ModelBudget.of(Optional.empty(), host(OptionalLong.of(4 * GIB), GIB))).hasValue(3 * GIB / 2);
    }

    @Test
    void theConfiguredBudgetWins() {
        Optional<MemorySize> set = Optional.of(new MemorySize(BigInteger.valueOf(GIB / 4)));
        assertThat(ModelBudget.of(set, host(OptionalLong.of(4 * GIB), GIB))).hasValue(GIB / 4);
        assertThat(ModelBudget.of(set, host(OptionalLong.empty(), GIB))).hasValue(GIB / 4);
    }

    @Test
    void noLimitMeansNoBudget() {
        assertThat(ModelBudget.of(Optional.empty(), host(OptionalLong.empty(), GIB))).isEmpty();
        assertThat(ModelBudget.of(Optional.empty(), HostFacts.none())).isEmpty();
    }

    @Test
    void aHeapThatTakesTheWholeLimitLeavesNoBudget() {
        assertThat(ModelBudget.of(Optional.empty(), host(OptionalLong.of(GIB), GIB))).isEmpty();
        assertThat(ModelBudget.of(Optional.empty(), host(OptionalLong.of(GIB), 2 * GIB))).isEmpty();
    }
}
