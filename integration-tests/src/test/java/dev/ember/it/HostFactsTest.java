package dev.ember.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

/**
 * Under a cgroup memory limit and no {@code ember.pool.memory-budget}, the model budget is half of what the limit
 * leaves beside the heap; the in-flight budget keeps following the heap (half of it).
 */
@QuarkusTest
@TestProfile(HostProfile.class)
public class HostFactsTest {

    @Test
    void theModelBudgetFollowsTheCgroupLimit() {
        long heap = Runtime.getRuntime().maxMemory();
        assertThat((long) Metrics.value("ember_pool_budget_bytes")).isEqualTo((HostProfile.LIMIT - heap) / 2)
                .isEqualTo(HostProfile.GIB);
        assertThat((long) Metrics.value("ember_pool_in_flight_budget_bytes")).isEqualTo(heap / 2);
    }
}
