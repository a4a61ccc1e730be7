package dev.ember.runtime.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NativeLibrariesTest {

    @Test
    void aPreloadThatFailsReturnsAndTheFirstUseFailsWithAClearErrorWithoutTheCause() {
        AtomicInteger attempts = new AtomicInteger();
        NativeLibraries.Loading loading = new NativeLibraries.Loading("Test Runtime", () -> {
            attempts.incrementAndGet();
            throw new UnsatisfiedLinkError("/opt/secret/libtest.so: cannot open shared object file");
        });
        assertThat(loading.preload()).isFalse();
        assertThatThrownBy(loading::require).isInstanceOf(IllegalStateException.class)
                .hasMessage("Test Runtime's native libraries could not be loaded (UnsatisfiedLinkError; the log has the"
                        + " cause)")
                .hasMessageNotContaining("/opt/secret");
        // tried once: a start-up that failed is not retried per load
        assertThat(attempts.get()).isEqualTo(1);
    }

    @Test
    void aPreloadThatSucceedsLoadsOnce() {
        AtomicInteger attempts = new AtomicInteger();
        NativeLibraries.Loading loading = new NativeLibraries.Loading("Test Runtime", attempts::incrementAndGet);
        assertThat(loading.preload()).isTrue();
        loading.require();
        assertThat(attempts.get()).isEqualTo(1);
        assertThat(NativeLibraries.preload()).isTrue();
    }
}
