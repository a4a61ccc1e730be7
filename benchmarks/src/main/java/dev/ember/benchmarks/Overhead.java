package dev.ember.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scenario 1: one client, one short sentence; Ember's two embedding endpoints and the DIY endpoint over HTTP, against
 * raw {@code OrtSession.run} on the same tokens.
 */
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

    /**
     * One client on {@code path}: warm-up, then the measured requests; for Ember ({@code ember}) also where the
     * server's time went, from {@code /q/metrics} scraped around them.
     */
    static Http http(Harness h, EmberProcess process, String path, byte[] body, boolean ember) throws Exception {
        LoadGenerator.Call call = () -> process.client.post(path, body);
        h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(300)), call);
        String before = ember ? process.client.metrics() : "";
        LoadResult latency = h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(3000)), call);
        String after = ember ? process.client.metrics() : "";
        Map<String, Double> phases = new LinkedHashMap<>();
        double server = Double.NaN;
        if (ember) {
            phases.put("preprocess (tokenization, tensors)", meanMs(before, after, "ember_invocation_phase_seconds",
                    Map.of("function", "embed", "phase", "preprocess")));
            phases.put("queue wait", meanMs(before, after, "ember_queue_wait_seconds", Map.of("function", "embed")));
            phases.put("model run", meanMs(before, after, "ember_inference_duration_seconds",
                    Map.of("function", "embed")));
            phases.put("postprocess (pooling, JSON)", meanMs(before, after, "ember_invocation_phase_seconds",
                    Map.of("function", "embed", "phase", "postprocess")));
            server = meanMs(before, after, "ember_invocation_duration_seconds",
                    Map.of("function", "embed", "outcome", "success"));
        }
        Harness.log("%s: p50 %.3f ms, p99 %.3f ms, server-side mean %.3f ms %s; %s", path,
                latency.percentileMillis(50), latency.percentileMillis(99), server, phases, latency.statusLine());
        return new Http(latency, vector(process.client.postForBody(path, body)), phases, server);
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

    static Report.Section section(Raw raw, Http embed, Http openAi, Http diy) {
        double rawP50 = raw.latency().percentileMillis(50);
        double diyP50 = diy.latency().percentileMillis(50);
        List<Report.Row> rows = new ArrayList<>();
        List<Map.Entry<String, Http>> endpoints = List.of(Map.entry("`" + Harness.EMBED + "`", embed),
                Map.entry("`" + Harness.OPENAI_EMBEDDINGS + "`", openAi));
        for (Map.Entry<String, Http> e : endpoints) {
            double p50 = e.getValue().latency().percentileMillis(50);
            rows.add(Report.Row.compared(e.getKey() + " p50 vs DIY", Report.ms(p50), Report.ms(diyP50), p50 / diyP50)
                    .atMost("<= 1.00x", p50 / diyP50, 1.0));
            rows.add(Report.Row.compared(e.getKey() + " p50 vs raw", Report.ms(p50), Report.ms(rawP50), p50 / rawP50)
                    .atMost("<= 1.15x", p50 / rawP50, 1.15));
        }
        for (Map.Entry<String, Http> e : endpoints) {
            double p99 = e.getValue().latency().percentileMillis(99);
            double diyP99 = diy.latency().percentileMillis(99);
            rows.add(Report.Row.compared(e.getKey() + " p99 vs DIY", Report.ms(p99), Report.ms(diyP99), p99 / diyP99));
        }
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "The DIY endpoint against raw ONNX Runtime: p50 %s vs %s (%s), p99 %s "
                + "vs %s.", Report.ms(diyP50), Report.ms(rawP50), Report.ratio(diyP50 / rawP50),
                Report.ms(diy.latency().percentileMillis(99)), Report.ms(raw.latency().percentileMillis(99))));
        endpoints.forEach(e -> notes.add(phases(e.getKey(), e.getValue())));
        notes.add(String.format(Locale.ROOT, "Like with like: against the raw baseline's embedding, Ember's differs by "
                + "at most %.2e per component (`%s`), %.2e (`%s`), the DIY endpoint's by %.2e.",
                maxAbsDiff(embed.vector(), raw.vector()), Harness.EMBED,
                maxAbsDiff(openAi.vector(), raw.vector()), Harness.OPENAI_EMBEDDINGS,
                maxAbsDiff(diy.vector(), raw.vector())));
        notes.add("Requests: `" + Harness.EMBED + "` " + embed.latency().statusLine() + "; `"
                + Harness.OPENAI_EMBEDDINGS + "` " + openAi.latency().statusLine() + "; DIY "
                + diy.latency().statusLine() + ".");
        return new Report.Section("1. One client: Ember vs the DIY endpoint vs raw ONNX Runtime", """
                One client, one short sentence ("A man is playing a guitar.", 9 tokens), 300 warm-up and 3,000 \
                measured requests, each sent when the previous one is answered (HTTP/1.1 keep-alive, \
                `java.net.http.HttpClient`), to Ember's `POST /functions/embed` (`{"input": ...}`) and \
                `POST /v1/embeddings` (`{"model": "embed", "input": ...}`) in one process as shipped, and to the DIY \
                endpoint's `POST /embed` (the same body as `/functions/embed`) in its own process. The raw baseline \
                runs in the benchmark's own JVM before any server starts: the same model bytes (from the same \
                langchain4j artifact), tokenized once by the DJL Hugging Face tokenizer from \
                `all-minilm-l6-v2-tokenizer.json` with Ember's settings, then per iteration: input tensors from \
                direct buffers, `OrtSession.run` for `last_hidden_state`, mean pooling under the mask and L2 \
                normalisation; session options as Ember's defaults (intra-op threads = CPUs unless `--set` changes \
                them, inter-op 1, sequential, all optimisations). Ember's and the DIY endpoint's figures also \
                include tokenization, JSON and loopback HTTP.""", rows, notes);
    }

    private static String phases(String endpoint, Http http) {
        StringBuilder phases = new StringBuilder();
        http.phaseMeansMs().forEach((phase, ms) -> phases.append(phases.length() == 0 ? "" : ", ")
                .append(phase).append(' ').append(Report.ms(ms)));
        return String.format(Locale.ROOT, "Where Ember's time goes on %s (server-side means from `/q/metrics` over the "
                + "measured requests): %s; the whole invocation %s. The rest of the HTTP figure is HTTP, JSON and "
                + "the client.", endpoint, phases, Report.ms(http.serverMeanMs()));
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
