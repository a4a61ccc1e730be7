package dev.ember.runtime.pool;

import dev.ember.runtime.host.HostFacts;
import io.quarkus.runtime.configuration.MemorySize;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The bytes of models the warm pool keeps loaded: {@code ember.pool.memory-budget} when set; else, under a cgroup
 * memory limit (a pod's, or a systemd unit's {@code MemoryMax}), half of what the limit leaves beside the heap.
 * Sessions live outside the heap; the other half is for ONNX Runtime's intermediates of the requests in flight,
 * direct buffers, the JVM's own native memory and allocator slack. With no limit there is no budget, as before.
 */
final class ModelBudget {

    private static final Logger LOG = Logger.getLogger(ModelBudget.class);

    private ModelBudget() {
    }

    static OptionalLong of(Optional<MemorySize> configured, HostFacts host) {
        if (configured.isPresent()) {
            return OptionalLong.of(configured.get().asLongValue());
        }
        OptionalLong derived = derive(host.memoryLimit(), host.maxHeap());
        if (derived.isPresent()) {
            LOG.infof("model memory budget: %d bytes, half of the cgroup memory limit (%d) less the max heap (%d);"
                    + " set ember.pool.memory-budget to choose it", derived.getAsLong(),
                    host.memoryLimit().getAsLong(), host.maxHeap());
        } else if (host.memoryLimit().isPresent()) {
            LOG.warnf("no model memory budget: the max heap (%d) leaves nothing of the cgroup memory limit (%d) for"
                    + " models; lower the heap or set ember.pool.memory-budget", host.maxHeap(),
                    host.memoryLimit().getAsLong());
        }
        return derived;
    }

    /** Half of {@code limit - maxHeap}; empty without a limit or when the heap takes it all. */
    static OptionalLong derive(OptionalLong limit, long maxHeap) {
        if (limit.isEmpty() || limit.getAsLong() <= maxHeap) {
            return OptionalLong.empty();
        }
        return OptionalLong.of((limit.getAsLong() - maxHeap) / 2);
    }
}
