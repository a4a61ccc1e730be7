package dev.ember.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ThreadBudgetTest {

    static final OptionalInt UNSET = OptionalInt.empty();

    @Test
    void byDefaultRunsTimesIntraOpThreadsStayWithinTheCpus() {
        for (int cpus = 1; cpus <= 64; cpus++) {
            ThreadBudget b = ThreadBudget.of(cpus, UNSET, UNSET);
            assertThat((long) b.concurrency() * b.intraOpThreads()).as("%d CPUs", cpus).isLessThanOrEqualTo(cpus);
            assertThat(b.concurrency()).isBetween(1, ThreadBudget.MAX_DEFAULT_CONCURRENCY);
            assertThat(b.exceeded()).isFalse();
        }
        // runs before threads: 2 x 1 was measured faster than 1 x 2 on 2 cores
        assertThat(ThreadBudget.of(2, UNSET, UNSET)).extracting(ThreadBudget::concurrency,
                ThreadBudget::intraOpThreads).containsExactly(2, 1);
        assertThat(ThreadBudget.of(1, UNSET, UNSET)).extracting(ThreadBudget::concurrency,
                ThreadBudget::intraOpThreads).containsExactly(1, 1);
        assertThat(ThreadBudget.of(16, UNSET, UNSET)).extracting(ThreadBudget::concurrency,
                ThreadBudget::intraOpThreads).containsExactly(4, 4);
    }

    @Test
    void aGeneratorRunsOneStepAtATimeOnEveryCpu() {
        for (int cpus = 1; cpus <= 16; cpus++) {
            ThreadBudget b = ThreadBudget.ofGenerator(cpus, UNSET);
            assertThat(b.concurrency()).isEqualTo(1);
            assertThat(b.intraOpThreads()).isEqualTo(cpus);
            assertThat(b.exceeded()).isFalse();
        }
        assertThat(ThreadBudget.ofGenerator(8, OptionalInt.of(3)).intraOpThreads()).isEqualTo(3);
        assertThat(ThreadBudget.ofGenerator(2, OptionalInt.of(4)).exceeded()).isTrue();
    }

    @Test
    void oneSetValueSizesTheOtherWithinTheBudget() {
        ThreadBudget threads = ThreadBudget.of(8, UNSET, OptionalInt.of(4));
        assertThat(threads.concurrency()).isEqualTo(2);
        assertThat(threads.intraOpThreads()).isEqualTo(4);
        ThreadBudget runs = ThreadBudget.of(8, OptionalInt.of(1), UNSET);
        assertThat(runs.concurrency()).isEqualTo(1);
        assertThat(runs.intraOpThreads()).isEqualTo(8);
        assertThat(threads.exceeded()).isFalse();
        assertThat(runs.exceeded()).isFalse();
    }

    @Test
    void valuesBeyondTheBudgetAreHonouredAndFlagged() {
        // the oversubscription: concurrency 2 x intra-op 2 on 2 cores
        ThreadBudget b = ThreadBudget.of(2, OptionalInt.of(2), OptionalInt.of(2));
        assertThat(b.concurrency()).isEqualTo(2);
        assertThat(b.intraOpThreads()).isEqualTo(2);
        assertThat(b.exceeded()).isTrue();
        assertThat(b.describe()).contains("= 4 compute threads", "more than the CPUs");
    }

    @Test
    void theLogLineSaysTheNumbersAndWhy() {
        assertThat(ThreadBudget.of(2, UNSET, UNSET).describe())
                .isEqualTo("2 CPUs (Runtime.availableProcessors, cgroup quota) -> concurrency 2 x intra-op 1 = 2"
                        + " compute threads (concurrency not set: min(CPUs, 4); ember.onnx.intra-op-threads not set:"
                        + " CPUs / concurrency)");
    }
}
