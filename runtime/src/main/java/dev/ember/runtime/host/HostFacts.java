package dev.ember.runtime.host;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The facts of the Linux host that matter for inference, read once at start ({@link HostFactsReader}): the cgroup's
 * CPU quota and memory limit (empty when there is none), transparent huge pages, {@code vm.swappiness} and the GPUs
 * seen. The JVM's own view is beside them: it sizes the default heap and {@link Runtime#availableProcessors()} from
 * the same cgroup.
 *
 * @param cgroup         {@code v2}, {@code v1} or {@code none}
 * @param cpuQuota       CPUs the quota allows (quota / period), the smallest along the cgroup's ancestors
 * @param memoryLimit    bytes, the smallest along the cgroup's ancestors; empty when unlimited or at least the host's memory
 * @param hostMemory     {@code MemTotal} of {@code /proc/meminfo}
 * @param hugePages      the selected mode of {@code /sys/kernel/mm/transparent_hugepage/enabled}
 * @param swappiness     {@code /proc/sys/vm/swappiness}
 * @param gpus           {@code nvidia-smi -L} lines, else the {@code /dev/nvidiaN} device names
 * @param processors     {@link Runtime#availableProcessors()}
 * @param maxHeap        {@link Runtime#maxMemory()}
 */
public record HostFacts(String cgroup, OptionalDouble cpuQuota, OptionalLong memoryLimit, OptionalLong hostMemory,
        Optional<String> hugePages, OptionalInt swappiness, List<String> gpus, int processors, long maxHeap) {

    private static final double GIB = 1024.0 * 1024 * 1024;

    /** No host facts: what tests outside Quarkus use, so nothing follows the machine they run on. */
    public static HostFacts none() {
        return new HostFacts("none", OptionalDouble.empty(), OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty(), OptionalInt.empty(), List.of(), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory());
    }

    /** The one start-up line. */
    public String summary() {
        return "host: cgroup " + cgroup
                + ", CPU quota " + (cpuQuota.isPresent() ? String.format(Locale.ROOT, "%.2f CPUs", cpuQuota.getAsDouble()) : "none")
                + " (" + processors + " processors for threads)"
                + ", memory limit " + (memoryLimit.isPresent() ? gib(memoryLimit.getAsLong()) : "none")
                + (hostMemory.isPresent() ? " (host " + gib(hostMemory.getAsLong()) + ")" : "")
                + ", max heap " + gib(maxHeap)
                + ", transparent huge pages " + hugePages.orElse("unknown")
                + ", vm.swappiness " + (swappiness.isPresent() ? String.valueOf(swappiness.getAsInt()) : "unknown")
                + ", GPUs " + (gpus.isEmpty() ? "none" : String.join("; ", gpus));
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / GIB);
    }
}
