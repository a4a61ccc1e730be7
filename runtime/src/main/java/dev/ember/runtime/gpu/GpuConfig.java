package dev.ember.runtime.gpu;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** GPU meters from {@code nvidia-smi}, under {@code ember.gpu.}. */
@ConfigMapping(prefix = "ember.gpu")
public interface GpuConfig {

    /** The nvidia-smi binary: a name looked up on the PATH, or a path; not found = no GPU meters. */
    @WithDefault("nvidia-smi")
    String nvidiaSmi();

    /** How often the GPU meters are read; 0 turns them off. */
    @WithDefault("10s")
    Duration pollInterval();

    /** Longest one nvidia-smi query may take before it is killed and its GPUs' meters are removed. */
    @WithDefault("5s")
    Duration pollTimeout();
}
