package dev.ember.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Scenario 1: one client, one short sentence; Ember over HTTP against raw {@code OrtSession.run} on the same tokens. */
final class Overhead {

    record Raw(LoadResult latency, float[] vector) {
    }

    record Http(LoadResult latency, float[] vector, Map<String, Double> phaseMeansMs, double serverMeanMs) {
    }

    private Overhead() {
    }

    static Raw raw(Harness h, byte[] model) throws Exception {
        RawEmbedder.Tokens tokens = RawEmbedder.tokenize(Harness.SHORT_SENTENCE);
        try (RawEmbedder raw = new RawEmbedder(model, h.intraOpThreads())) {
            LoadGenerator.Call call = () -> {
                raw.embed(tokens);
                return Outcome.of(200);
            };
            h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(300)), call);
            LoadResult latency = h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(3000)), call);
            Harness.log("raw OrtSession.run: p50 %.3f ms, p99 %.3f ms (%d tokens)", latency.percentileMillis(50),
                    latency.percentileMillis(99), tokens.ids().length);
            return new Raw(latency, raw.embed(tokens));
        }
    }

    static Http http(Harness h, EmberProcess ember) throws Exception {
        byte[] body = Harness.embedBody(Harness.SHORT_SENTENCE);
        LoadGenerator.Call call = () -> ember.client.post(Harness.EMBED, body);
        h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(300)), call);
        String before = ember.client.metrics();
        LoadResult latency = h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(3000)), call);
        String after = ember.client.metrics();
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("preprocess (tokenization, tensors)", meanMs(before, after, "ember_invocation_phase_seconds",
                Map.of("function", "embed", "phase", "preprocess")));
        phases.put("queue wait", meanMs(before, after, "ember_queue_wait_seconds", Map.of("function", "embed")));
        phases.put("model run", meanMs(before, after, "ember_inference_duration_seconds", Map.of("function", "embed")));
        phases.put("postprocess (pooling, JSON)", meanMs(before, after, "ember_invocation_phase_seconds",
                Map.of("function", "embed", "phase", "postprocess")));
        double server = meanMs(before, after, "ember_invocation_duration_seconds",
                Map.of("function", "embed", "outcome", "success"));
        Harness.log("Ember embed: p50 %.3f ms, p99 %.3f ms, server-side mean %.3f ms %s; %s",
                latency.percentileMillis(50), latency.percentileMillis(99), server, phases, latency.statusLine());
        return new Http(latency, vector(ember.client.postForBody(Harness.EMBED, body)), phases, server);
    }

    /** Mean of a timer over the interval between two scrapes, in milliseconds. */
    static double meanMs(String before, String after, String timer, Map<String, String> labels) {
        double sum = Prometheus.sum(after, timer + "_sum", labels) - Prometheus.sum(before, timer + "_sum", labels);
        double count = Prometheus.sum(after, timer + "_count", labels)
                - Prometheus.sum(before, timer + "_count", labels);
        return count == 0 ? Double.NaN : sum / count * 1000;
    }

    private static float[] vector(HttpResponse<String> response) throws IOException {
        if (response.statusCode() != 200) {
            throw new IOException("embed answered " + response.statusCode() + ": " + response.body());
        }
        JsonNode embedding = Harness.JSON.readTree(response.body()).path("data").path(0).path("embedding");
        float[] v = new float[embedding.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) embedding.get(i).asDouble();
        }
        return v;
    }

    static Report.Section section(Raw raw, Http http) {
        double p50 = http.latency().percentileMillis(50) / raw.latency().percentileMillis(50);
        double p99 = http.latency().percentileMillis(99) / raw.latency().percentileMillis(99);
        double maxDiff = maxAbsDiff(http.vector(), raw.vector());
        List<Report.Row> rows = List.of(
                Report.Row.compared("p50, Ember over HTTP vs raw `OrtSession.run`", Report.ms(http.latency().percentileMillis(50)),
                        Report.ms(raw.latency().percentileMillis(50)), p50).target("<= 1.15", p50 <= 1.15),
                Report.Row.compared("p99", Report.ms(http.latency().percentileMillis(99)),
                        Report.ms(raw.latency().percentileMillis(99)), p99),
                Report.Row.compared("mean", Report.ms(http.latency().meanMillis()), Report.ms(raw.latency().meanMillis()),
                        http.latency().meanMillis() / raw.latency().meanMillis()));
        List<String> notes = new ArrayList<>();
        StringBuilder phases = new StringBuilder();
        http.phaseMeansMs().forEach((phase, ms) -> phases.append(phases.length() == 0 ? "" : ", ")
                .append(phase).append(' ').append(Report.ms(ms)));
        notes.add(String.format(Locale.ROOT, "Where Ember's time goes (server-side means from `/q/metrics` over the "
                + "measured requests): %s; the whole invocation %s. The rest of the HTTP figure is HTTP, JSON and "
                + "the client.", phases, Report.ms(http.serverMeanMs())));
        notes.add(String.format(Locale.ROOT, "Like with like: Ember's embedding and the raw baseline's differ by at "
                + "most %.2e per component.", maxDiff));
        notes.add("Ember requests: " + http.latency().statusLine() + ".");
        return new Report.Section("1. Overhead: Ember over HTTP vs raw ONNX Runtime", """
                One client, `embed` of one short sentence ("A man is playing a guitar.", 9 tokens), 300 warm-up and \
                3,000 measured requests, each sent when the previous one is answered. The baseline runs in the \
                benchmark's own JVM before any Ember process starts: the same model bytes (from the same \
                langchain4j artifact), tokenized once by the DJL Hugging Face tokenizer from \
                `all-minilm-l6-v2-tokenizer.json` with Ember's settings, then per iteration: input tensors from \
                direct buffers, `OrtSession.run` for `last_hidden_state`, mean pooling under the mask and L2 \
                normalisation; 300 warm-up and 3,000 measured iterations; session options as Ember's defaults \
                (intra-op threads = CPUs, inter-op 1, sequential, all optimisations). Ember's figure also includes \
                tokenization, JSON, the dynamic batcher (as shipped: a request waits up to `batch.max-delay` = 2 ms \
                for others to join it) and loopback HTTP.""", rows, notes);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.NaN;
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
