package dev.ember.runtime.protocol;

import dev.ember.runtime.api.ModelId;
import dev.ember.runtime.batch.Batchers;
import dev.ember.runtime.batch.RunStatistics;
import dev.ember.runtime.metrics.EmberMeter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Triton's statistics extension ({@code GET /v2/models/{m}[/versions/{v}]/stats}) from what Ember already measures:
 * the invocation, queue and phase timers of {@code /q/metrics} for {@code inference_stats}, and the batcher's runs
 * by batch size for the counts, {@code last_inference} and {@code batch_stats}. So the two views never disagree.
 */
@ApplicationScoped
public class ModelStatistics {

    private static final String SUCCESS = "success";

    private final MeterRegistry registry;
    private final Batchers batchers;

    ModelStatistics(MeterRegistry registry, Batchers batchers) {
        this.registry = registry;
        this.batchers = batchers;
    }

    /** {@code {"model_stats": [...]}} for these versions, in order. */
    Map<String, Object> of(List<ModelId> ids) {
        List<Map<String, Object>> stats = new ArrayList<>(ids.size());
        ids.forEach(id -> stats.add(of(id)));
        return Map.of("model_stats", stats);
    }

    private Map<String, Object> of(ModelId id) {
        String function = id.model();
        String version = String.valueOf(id.version());
        Map<Long, RunStatistics.Runs> runs = batchers.existing(id).map(b -> b.runs().bySize()).orElse(Map.of());
        long executions = 0;
        long rows = 0;
        List<Map<String, Object>> batches = new ArrayList<>(runs.size());
        for (Map.Entry<Long, RunStatistics.Runs> e : runs.entrySet()) {
            RunStatistics.Runs r = e.getValue();
            executions += r.count();
            rows += e.getKey() * r.count();
            Map<String, Object> batch = new LinkedHashMap<>();
            batch.put("batch_size", e.getKey());
            // tensors are converted in and out inside the timed run, so its whole time is compute_infer
            batch.put("compute_input", duration(r.count(), 0));
            batch.put("compute_infer", duration(r.count(), r.nanos()));
            batch.put("compute_output", duration(r.count(), 0));
            batches.add(batch);
        }

        long[] success = {0, 0};
        long[] fail = {0, 0};
        registry.find(EmberMeter.INVOCATION_DURATION.name).tags("function", function, "version", version).timers()
                .forEach(t -> add(SUCCESS.equals(t.getId().getTag("outcome")) ? success : fail, t));
        Map<String, Object> inference = new LinkedHashMap<>();
        inference.put("success", duration(success[0], success[1]));
        inference.put("fail", duration(fail[0], fail[1]));
        inference.put("queue", timer(EmberMeter.QUEUE_WAIT, function, version));
        inference.put("compute_input", timer(EmberMeter.INVOCATION_PHASE, function, version, "phase", "preprocess"));
        inference.put("compute_infer", timer(EmberMeter.INFERENCE_DURATION, function, version));
        inference.put("compute_output", timer(EmberMeter.INVOCATION_PHASE, function, version, "phase",
                "postprocess"));

        Map<String, Object> stat = new LinkedHashMap<>();
        stat.put("name", function);
        stat.put("version", version);
        stat.put("last_inference", batchers.existing(id).map(b -> b.runs().lastRunMillis()).orElse(0L));
        stat.put("inference_count", rows);
        stat.put("execution_count", executions);
        stat.put("inference_stats", inference);
        stat.put("batch_stats", batches);
        return stat;
    }

    private Map<String, Object> timer(EmberMeter meter, String function, String version, String... tags) {
        long[] total = {0, 0};
        registry.find(meter.name).tags("function", function, "version", version).tags(tags).timers()
                .forEach(t -> add(total, t));
        return duration(total[0], total[1]);
    }

    private static void add(long[] total, Timer t) {
        total[0] += t.count();
        total[1] += (long) t.totalTime(TimeUnit.NANOSECONDS);
    }

    private static Map<String, Object> duration(long count, long nanos) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("count", count);
        d.put("ns", nanos);
        return d;
    }
}
