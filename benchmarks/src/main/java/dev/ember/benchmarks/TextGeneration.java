package dev.ember.benchmarks;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.runtime.testing.DecoderModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The generation scenario: a decoder of GPT-2-small shape with seeded random weights (no generative ONNX model is
 * reachable here), written at benchmark time by the runtime's test {@link DecoderModels}, served by the packaged
 * Ember as function {@value #FUNCTION} and streamed from {@code /v1/completions}; against a raw in-process ONNX Runtime
 * greedy loop on the same model and tokens, and against Ember itself with one sequence at a time.
 */
final class TextGeneration {

    static final String FUNCTION = "gpt2";
    static final String COMPLETIONS = "/v1/completions";
    /** Candidate prompts: the first whose greedy continuation has no end-of-sequence token within the length is used. */
    static final List<String> PROMPTS = List.of(
            "The history of the old harbour town begins with a few fishing huts on the river bank, where",
            "In the morning the market opens early, and the traders arrive from the villages with",
            "Once upon a time a lighthouse keeper lived alone on a rock far out at sea, and every night he",
            "The committee met on Tuesday to discuss the budget for the new library, the repairs to the bridge and");

    /** The model's shape; the seed fixes every weight. */
    record Shape(int layers, int hidden, int heads, int vocab, int positions, long seed) {

        static final Shape GPT2_SMALL = new Shape(12, 768, 12, 50257, 1024, 13);
        /** A smoke run's model: the vocabulary and context of GPT-2, two narrow layers. */
        static final Shape QUICK = new Shape(2, 256, 4, 50257, 1024, 13);

        /**
         * Parameters as DecoderModels lays them out: token and position embeddings, per layer two LayerNorms, the
         * Q/K/V and output projections and the 4x MLP with their biases, the final LayerNorm and an untied LM head.
         */
        long parameters() {
            long h = hidden;
            long perLayer = 4 * h + (3 * h * h + 3 * h) + (h * h + h) + (4 * h * h + 4 * h) + (4 * h * h + h);
            return (long) vocab * h + (long) positions * h + layers * perLayer + 2 * h + (long) vocab * h;
        }

        String describe() {
            return String.format(java.util.Locale.ROOT, "%d layers, hidden %d, %d heads (head dim %d), vocab %d, "
                    + "%d positions, seed %d: %.1f M parameters", layers, hidden, heads, hidden / heads, vocab,
                    positions, seed, parameters() / 1e6);
        }
    }

    /** The model directory for {@code shape} under {@code dir}, written unless the one there has the same shape. */
    static Path model(Path dir, Shape shape) throws IOException {
        Path marker = dir.resolve("shape.txt");
        if (Files.isRegularFile(marker) && Files.readString(marker).equals(shape.toString())
                && Files.isRegularFile(dir.resolve("model.onnx"))) {
            Harness.log("reusing the decoder in %s (%s)", dir, shape.describe());
            return dir;
        }
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        long start = System.nanoTime();
        DecoderModels.builder().seed(shape.seed()).layers(shape.layers()).hidden(shape.hidden()).heads(shape.heads())
                .vocab(shape.vocab()).maxPositions(shape.positions()).write(dir);
        Files.writeString(marker, shape.toString());
        Harness.log("wrote the decoder to %s in %d s (%s, model.onnx %d MiB)", dir,
                Duration.ofNanos(System.nanoTime() - start).toSeconds(), shape.describe(),
                Files.size(dir.resolve("model.onnx")) >> 20);
        return dir;
    }

    /** The prompt's tokens as Ember's generator encodes them (the same tokenizer.json and DJL options). */
    static long[] encode(Path dir, String text) {
        try (HuggingFaceTokenizer tokenizer = tokenizer(dir)) {
            return tokenizer.encode(text, true, false).getIds();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String decode(Path dir, long[] ids) {
        try (HuggingFaceTokenizer tokenizer = tokenizer(dir)) {
            return tokenizer.decode(ids, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HuggingFaceTokenizer tokenizer(Path dir) throws IOException {
        return HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
    }

    /** The first end-of-sequence id of generation_config.json. */
    static long eos(Path dir) throws IOException {
        JsonNode id = Harness.JSON.readTree(dir.resolve("generation_config.json").toFile()).path("eos_token_id");
        return id.isArray() ? id.get(0).asLong() : id.asLong(-1);
    }

    /** A streamed greedy completion request. */
    static byte[] body(String prompt, int maxTokens, boolean stream) {
        ObjectNode body = Harness.JSON.createObjectNode().put("model", FUNCTION).put("prompt", prompt)
                .put("max_tokens", maxTokens).put("temperature", 0).put("stream", stream);
        if (stream) {
            body.putObject("stream_options").put("include_usage", true);
        }
        try {
            return Harness.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The raw loop's figures and the prompt it chose. */
    record Raw(String prompt, long[] promptIds, String text, int intraOpThreads, List<RawGreedyLoop.Run> runs,
            List<String> skippedPrompts, double step1Millis, double step16Millis) {

        double tokensPerSecond() {
            return new Samples(runs.stream().map(RawGreedyLoop.Run::tokensPerSecond).toList()).median();
        }

        double firstTokenMillis() {
            return new Samples(runs.stream().map(RawGreedyLoop.Run::firstTokenMillis).toList()).median();
        }

        double decodeTokensPerSecond() {
            return new Samples(runs.stream().map(RawGreedyLoop.Run::decodeTokensPerSecond).toList()).median();
        }
    }

    /** The prompt the scenario uses: its tokens and the raw loop's greedy text, and the candidates passed over. */
    record Choice(String prompt, long[] ids, String text, long eos, List<String> skipped) {
    }

    /**
     * The first candidate prompt whose greedy continuation has no EOS within {@code maxTokens}; its run is also the
     * raw loop's warm-up.
     */
    static Choice choose(RawGreedyLoop loop, Path dir, int maxTokens) throws Exception {
        long eos = eos(dir);
        List<String> skipped = new ArrayList<>();
        for (String prompt : PROMPTS) {
            long[] ids = encode(dir, prompt);
            RawGreedyLoop.Run probe = loop.generate(ids, maxTokens, eos);
            if (probe.tokens().length == maxTokens) {
                return new Choice(prompt, ids, decode(dir, probe.tokens()), eos, skipped);
            }
            skipped.add(prompt);
            Harness.log("raw loop: prompt \"%s\" reaches EOS after %d tokens; next prompt", prompt,
                    probe.tokens().length);
        }
        throw new IllegalStateException("every candidate prompt reaches EOS within " + maxTokens + " tokens");
    }

    /** One measured greedy run of the chosen prompt on the raw loop. */
    static RawGreedyLoop.Run rawRun(RawGreedyLoop loop, Choice choice, int maxTokens) throws Exception {
        RawGreedyLoop.Run run = loop.generate(choice.ids(), maxTokens, choice.eos());
        Harness.log("raw loop: %d tokens, %.1f tokens/s (first token %.1f ms, then %.1f tokens/s)",
                run.tokens().length, run.tokensPerSecond(), run.firstTokenMillis(), run.decodeTokensPerSecond());
        return run;
    }

    /** One stream of the prompt, alone. */
    static StreamRecord single(SseClient client, String prompt, int maxTokens) {
        StreamRecord s = client.stream(COMPLETIONS, body(prompt, maxTokens, true), handle -> { });
        if (s.error() != null) {
            throw new IllegalStateException("a single stream failed: " + s.error());
        }
        Harness.log("one stream: %d tokens in %.0f ms, %.1f tokens/s, first token %.1f ms", s.completionTokens(),
                (s.endNanos() - s.sentNanos()) / 1e6, s.tokensPerSecond(), s.ttftMillis());
        return s;
    }

    /** Streams of the prompt one after another (warm-ups). */
    static void sequential(SseClient client, String prompt, int maxTokens, int repeats) {
        for (int i = 0; i < repeats; i++) {
            single(client, prompt, maxTokens);
        }
    }

    /** Ember's properties for the scenario: the function, a timeout no stream reaches, and {@code more}. */
    static Map<String, String> properties(Path dir, Map<String, String> more) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ember.functions." + FUNCTION + ".model", dir.toAbsolutePath().toString());
        p.put("ember.functions." + FUNCTION + ".timeout", "10m");
        // a queued stream gets no byte before its first token: the shipped 60 s idle timeout would close it first
        p.put("quarkus.http.idle-timeout", "10m");
        p.putAll(more);
        return p;
    }

    /**
     * Waits for Ember to answer a one-token non-streaming completion and returns the time since the process started;
     * only "not listening yet" and 503 are waited out, any other answer ends the run with its body.
     */
    static Duration awaitFirst(EmberProcess ember, String prompt) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        byte[] body = body(prompt, 1, false);
        while (System.nanoTime() < deadline) {
            try {
                ember.awaitReady(Duration.ofMinutes(5));
                java.net.http.HttpResponse<String> r = ember.client.postForBody(COMPLETIONS, body);
                if (r.statusCode() == 200) {
                    return ember.sinceStart();
                }
                if (r.statusCode() != 503) {
                    throw new IOException(COMPLETIONS + " answered " + r.statusCode() + ": " + r.body());
                }
            } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
                // not listening yet, or still loading the model past the client's timeout
            }
            Thread.sleep(50);
        }
        throw new IOException(COMPLETIONS + " did not answer 200 within 5 minutes");
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
