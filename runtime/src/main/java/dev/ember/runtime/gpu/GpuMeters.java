package dev.ember.runtime.gpu;

import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * GPU memory and utilisation meters, read from {@code nvidia-smi} on a background thread. The meters exist exactly
 * while nvidia-smi reports the GPU: no binary, a failing call or a GPU that disappears means absent meters, never
 * zeros, and a failure never reaches a request.
 */
@ApplicationScoped
public class GpuMeters {

    private static final Logger LOG = Logger.getLogger(GpuMeters.class);

    /** What one GPU's gauges read, updated in place by each poll. */
    static final class GpuState {
        final NvidiaSmi.Reading shape;
        volatile NvidiaSmi.Reading last;
        final List<Meter.Id> gauges = new ArrayList<>();

        GpuState(NvidiaSmi.Reading first) {
            this.shape = first;
            this.last = first;
        }

        /** Same name and the same fields reported: the registered gauges still fit. */
        boolean fits(NvidiaSmi.Reading r) {
            return shape.name().equals(r.name())
                    && shape.memoryUsedBytes().isPresent() == r.memoryUsedBytes().isPresent()
                    && shape.memoryTotalBytes().isPresent() == r.memoryTotalBytes().isPresent()
                    && shape.utilization().isPresent() == r.utilization().isPresent();
        }
    }

    private final MeterRegistry registry;
    private final GpuConfig config;
    // by GPU index; touched only under this object's lock
    private final Map<String, GpuState> gpus = new HashMap<>();
    private NvidiaSmi nvidiaSmi;
    private ScheduledExecutorService poller;
    private boolean failing;

    GpuMeters(MeterRegistry registry, GpuConfig config) {
        this.registry = registry;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.pollInterval().isZero() || config.pollInterval().isNegative()) {
            return;
        }
        var binary = NvidiaSmi.resolve(config.nvidiaSmi(), System.getenv("PATH"));
        if (binary.isEmpty()) {
            LOG.debugf("no GPU meters: %s not found", config.nvidiaSmi());
            return;
        }
        start(binary.get());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    /** Polls once now, so that the meters are there as soon as the application is, then every interval. */
    synchronized void start(Path binary) {
        nvidiaSmi = new NvidiaSmi(binary);
        poll();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ember-gpu-meters");
            t.setDaemon(true);
            return t;
        });
        long interval = config.pollInterval().toMillis();
        poller.scheduleWithFixedDelay(this::poll, interval, interval, TimeUnit.MILLISECONDS);
    }

    /** One nvidia-smi call: updates the meters of the GPUs it reports and removes every other GPU's. */
    synchronized void poll() {
        List<NvidiaSmi.Reading> readings;
        try {
            readings = nvidiaSmi.query(config.pollTimeout());
            if (failing) {
                LOG.info("nvidia-smi answers again: GPU meters restored");
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) { // once per outage, not once per poll
                LOG.warnf("GPU meters removed until nvidia-smi answers again: %s", e.getMessage());
                failing = true;
            }
            readings = List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Map<String, NvidiaSmi.Reading> seen = new HashMap<>();
        readings.forEach(r -> seen.put(r.index(), r));
        gpus.entrySet().removeIf(gpu -> {
            NvidiaSmi.Reading r = seen.get(gpu.getKey());
            if (r != null && gpu.getValue().fits(r)) {
                return false;
            }
            gpu.getValue().gauges.forEach(registry::remove);
            return true;
        });
        seen.values().forEach(r -> {
            GpuState known = gpus.get(r.index());
            if (known != null) {
                known.last = r;
            } else {
                gpus.put(r.index(), register(r));
            }
        });
    }

    private GpuState register(NvidiaSmi.Reading r) {
        GpuState state = new GpuState(r);
        Tags tags = Tags.of("gpu", r.index(), "gpu_name", r.name());
        gauge(state, EmberMeter.GPU_MEMORY_USED, tags, r.memoryUsedBytes(),
                s -> s.last.memoryUsedBytes().orElse(Double.NaN));
        gauge(state, EmberMeter.GPU_MEMORY_TOTAL, tags, r.memoryTotalBytes(),
                s -> s.last.memoryTotalBytes().orElse(Double.NaN));
        gauge(state, EmberMeter.GPU_UTILIZATION, tags, r.utilization(),
                s -> s.last.utilization().orElse(Double.NaN));
        return state;
    }

    private void gauge(GpuState state, EmberMeter meter, Tags tags, OptionalDouble reported,
            ToDoubleFunction<GpuState> value) {
        // a field the GPU does not report (e.g. utilisation of a MIG slice) has no meter rather than a made-up one
        if (reported.isPresent()) {
            meter.gauge(registry, tags, state, value);
            registry.find(meter.name).tags(tags).meters().forEach(m -> state.gauges.add(m.getId()));
        }
    }
}
