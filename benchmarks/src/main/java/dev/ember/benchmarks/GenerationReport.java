package dev.ember.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The generation block of BENCHMARKS.md: its rows and notes, rendered between two markers so that
 * {@code benchmarks/generate.sh} replaces only it and {@code benchmarks/run.sh}, which rewrites the file, keeps it.
 */
final class GenerationReport {

    static final String BEGIN = "<!-- generation:begin (written by benchmarks/generate.sh; benchmarks/run.sh keeps it) -->";
    static final String END = "<!-- generation:end -->";
    static final String TITLE = "Generation (random weights, real shapes)";

    private static final Map<String, String> FUNCTION = Map.of("function", TextGeneration.FUNCTION);

    private GenerationReport() {
    }

    /** {@code existing} with its generation block replaced by {@code block}, or with it appended when it has none. */
    static String splice(String existing, String block) {
        int begin = existing.indexOf(BEGIN);
        int end = existing.indexOf(END);
        if (begin >= 0 && end > begin) {
            return existing.substring(0, begin) + block + existing.substring(end + END.length());
        }
        if (existing.isEmpty()) {
            return block + "\n";
        }
        String base = existing.endsWith("\n") ? existing : existing + "\n";
        return base + "\n" + block + "\n";
    }

    /** The generation block of {@code previous} (markers included), or "" when it has none. */
    static String blockOf(String previous) {
        int begin = previous.indexOf(BEGIN);
        int end = previous.indexOf(END);
        return begin >= 0 && end > begin ? previous.substring(begin, end + END.length()) : "";
    }

    static List<Report.Row> rows(GenerationRun.Figures f) {
        int n = f.scale().maxTokens;
        List<Report.Row> rows = new ArrayList<>();
        double one = f.singleTokensPerSecond();
        double raw = f.raw().tokensPerSecond();
        rows.add(Report.Row.compared("one stream, tokens/s (" + n + " new tokens, send to last token) vs raw ONNX "
                + "Runtime greedy loop", tps(one), tps(raw), one / raw).atLeast(">= 0.90x", one / raw, 0.9));
        double ttftAlone = f.singleTtft().percentile(50);
        rows.add(Report.Row.compared("one stream, time to first token (p50) vs raw prompt pass", Report.ms(ttftAlone),
                Report.ms(f.raw().firstTokenMillis()), ttftAlone / f.raw().firstTokenMillis()));
        double decode = f.singleDecodeTokensPerSecond();
        rows.add(Report.Row.compared("one stream, tokens/s after the first token vs raw decode steps", tps(decode),
                tps(f.raw().decodeTokensPerSecond()), decode / f.raw().decodeTokensPerSecond()));
        double four = f.four().tokensPerSecond();
        double sixteen = f.sixteen().tokensPerSecond();
        rows.add(Report.Row.compared("aggregate tokens/s, 4 streams vs 1", tps(four), tps(one), four / one));
        rows.add(Report.Row.compared("aggregate tokens/s, 16 streams vs 1", tps(sixteen), tps(one), sixteen / one)
                .atLeast(">= 4.00x", sixteen / one, 4));
        Samples t16 = f.sixteen().ttft();
        rows.add(Report.Row.compared("TTFT p50, 16 streams vs alone (p50)", Report.ms(t16.percentile(50)),
                Report.ms(ttftAlone), t16.percentile(50) / ttftAlone));
        rows.add(Report.Row.compared("TTFT p99, 16 streams vs alone (p50)", Report.ms(t16.percentile(99)),
                Report.ms(ttftAlone), t16.percentile(99) / ttftAlone)
                .atMost("<= 3.00x", t16.percentile(99) / ttftAlone, 3));
        Samples g1 = f.singleGaps();
        Samples g16 = f.sixteen().gaps();
        rows.add(Report.Row.compared("inter-token gap p50, 16 streams vs alone", Report.ms(g16.percentile(50)),
                Report.ms(g1.percentile(50)), g16.percentile(50) / g1.percentile(50)));
        rows.add(Report.Row.compared("inter-token gap p99, 16 streams vs alone", Report.ms(g16.percentile(99)),
                Report.ms(g1.percentile(99)), g16.percentile(99) / g1.percentile(99)));
        double itl1 = Overhead.meanMs(f.singleBefore(), f.singleAfter(), "ember_generate_inter_token_latency_seconds",
                FUNCTION);
        double itl16 = Overhead.meanMs(f.sixteen().metricsBefore(), f.sixteen().metricsAfter(),
                "ember_generate_inter_token_latency_seconds", FUNCTION);
        rows.add(Report.Row.compared("decode step, 16 rows vs 1 (Ember: mean inter-token latency at 16 streams vs "
                + "alone; raw: one `OrtSession.run`)", Report.ms(itl16) + " / " + Report.ms(itl1),
                Report.ms(f.raw().step16Millis()) + " / " + Report.ms(f.raw().step1Millis()),
                (itl16 / itl1) / (f.raw().step16Millis() / f.raw().step1Millis())));
        double oneAtATime = f.oneAtATime().tokensPerSecond();
        rows.add(Report.Row.compared("16 streams, aggregate tokens/s: continuous batching vs `max-running=1`",
                tps(sixteen), tps(oneAtATime), sixteen / oneAtATime));
        // with one sequence at a time most streams sent in the window are still queued when it closes: their wait
        // so far is counted, so that figure is a lower bound
        Samples tOne = f.oneAtATime().ttftAtLeast();
        String bound = f.oneAtATime().waitingAtEnd() == 0 ? "" : ">= ";
        rows.add(Report.Row.compared("16 streams, TTFT p50: continuous batching vs `max-running=1`",
                Report.ms(t16.percentile(50)), bound + Report.ms(tOne.percentile(50)),
                t16.percentile(50) / tOne.percentile(50)));
        rows.add(Report.Row.compared("16 streams, TTFT p99: continuous batching vs `max-running=1`",
                Report.ms(t16.percentile(99)), bound + Report.ms(tOne.percentile(99)),
                t16.percentile(99) / tOne.percentile(99)));
        Samples b16 = f.sixteen().burstTtft();
        Samples bOne = f.oneAtATime().burstTtft();
        rows.add(Report.Row.compared("16 streams sent at once, TTFT p50: continuous batching vs `max-running=1`",
                Report.ms(b16.percentile(50)), Report.ms(bOne.percentile(50)), b16.percentile(50) / bOne.percentile(50)));
        rows.add(Report.Row.compared("16 streams sent at once, TTFT p99: continuous batching vs `max-running=1`",
                Report.ms(b16.percentile(99)), Report.ms(bOne.percentile(99)), b16.percentile(99) / bOne.percentile(99)));
        return rows;
    }

    static List<String> notes(GenerationRun.Figures f) {
        List<String> notes = new ArrayList<>();
        TextGeneration.Raw raw = f.raw();
        StreamRecord first = f.single().get(0);
        notes.add(String.format(Locale.ROOT, "Like with like: the prompt is %d tokens by the raw loop's tokenizer and %d "
                + "by Ember's `usage.prompt_tokens`; Ember's first streamed completion %s the raw loop's greedy text "
                + "(%d of %d characters equal before the first difference).", raw.promptIds().length,
                first.promptTokens(), first.text().equals(raw.text()) ? "equals" : "**differs from**",
                commonPrefix(first.text(), raw.text()), raw.text().length()));
        notes.add(String.format(Locale.ROOT, "Raw loop runs (tokens/s): %s; Ember's single streams: %s; TTFT alone: %s.",
                wholes(raw.runs().stream().map(RawGreedyLoop.Run::tokensPerSecond).toList()),
                wholes(f.single().stream().map(StreamRecord::tokensPerSecond).toList()),
                msList(f.single().stream().map(StreamRecord::ttftMillis).toList())));
        List<Double> pairs = new ArrayList<>();
        for (int i = 0; i < Math.min(raw.runs().size(), f.single().size()); i++) {
            pairs.add(f.single().get(i).tokensPerSecond() / raw.runs().get(i).tokensPerSecond());
        }
        notes.add(String.format(Locale.ROOT, "Ember against the raw loop run next to it, pair by pair: %s (median "
                + "%s).", pairs.stream().map(Report::ratio).collect(java.util.stream.Collectors.joining(", ")),
                Report.ratio(new Samples(pairs).median())));
        notes.add(server("one stream", f.singleBefore(), f.singleAfter()));
        for (ClosedStreams.Window w : List.of(f.four(), f.sixteen(), f.oneAtATime())) {
            String name = (w == f.oneAtATime() ? "`max-running=1`, " : "") + w.clients() + " streams";
            notes.add(String.format(Locale.ROOT, "%s: window %.1f s, %d streams sent in it (TTFT of %d; %d still "
                    + "waiting for a first token when it closed), %d completed streams in all, %d of them short of %d "
                    + "tokens, %d failed%s; %.3f tokens per text chunk.", name, w.seconds(), w.sentInWindow().size(),
                    w.ttft().count(), w.waitingAtEnd(), w.completed(), w.shortOfMaxTokens(), w.maxTokens(),
                    w.failed().size(), w.failed().isEmpty() ? "" : " (first: " + w.failed().get(0).error() + ")",
                    w.tokensPerChunk()));
            notes.add(server(name, w.metricsBefore(), w.metricsAfter()));
        }
        notes.add(String.format(Locale.ROOT, "Ember answered its first completion %s after its process started "
                + "(model load on demand included), %s with `max-running=1`.", Report.ms(f.firstResponse().toMillis()),
                Report.ms(f.firstResponseOne().toMillis())));
        if (!raw.skippedPrompts().isEmpty()) {
            notes.add("Prompts skipped because their greedy continuation reaches EOS early: "
                    + String.join("; ", raw.skippedPrompts()) + ".");
        }
        notes.add("The streaming clients run in the benchmark's JVM on the same CPUs as Ember (their work per chunk "
                + "is small: one socket read and one JSON parse).");
        notes.addAll(f.busy());
        return notes;
    }

    /** The figures of this run that bear on a missed target, for whoever writes its cause. */
    static String measured(GenerationRun.Figures f, String measure) {
        double itl1 = Overhead.meanMs(f.singleBefore(), f.singleAfter(), "ember_generate_inter_token_latency_seconds",
                FUNCTION);
        ClosedStreams.Window w16 = f.sixteen();
        double itl16 = Overhead.meanMs(w16.metricsBefore(), w16.metricsAfter(),
                "ember_generate_inter_token_latency_seconds", FUNCTION);
        double steps = delta(w16.metricsBefore(), w16.metricsAfter(), "ember_generate_step_sequences_count");
        double perStep = steps == 0 ? Double.NaN
                : delta(w16.metricsBefore(), w16.metricsAfter(), "ember_generate_step_sequences_sum") / steps;
        if (measure.startsWith("one stream")) {
            return String.format(Locale.ROOT, "raw loop: prompt pass %s, then %s per token; Ember alone: TTFT %s "
                    + "(client) / %s (server), then %s per token (client gaps p50) / %s (server mean inter-token "
                    + "latency).", Report.ms(f.raw().firstTokenMillis()),
                    Report.ms(1000 / f.raw().decodeTokensPerSecond()), Report.ms(f.singleTtft().percentile(50)),
                    Report.ms(Overhead.meanMs(f.singleBefore(), f.singleAfter(),
                            "ember_generate_time_to_first_token_seconds", FUNCTION)),
                    Report.ms(f.singleGaps().percentile(50)), Report.ms(itl1));
        }
        if (measure.startsWith("aggregate")) {
            double raw1 = f.raw().step1Millis();
            double raw16 = f.raw().step16Millis();
            return String.format(Locale.ROOT, "at 16 streams the server ran %.2f sequences per decode step with a "
                    + "mean inter-token latency (about one step) of %s, against %s alone: a step of %.1f sequences "
                    + "cost %.2fx a step of one, so the decode rate at 16 streams is about %.1fx that of one. The "
                    + "model's own step (raw `OrtSession.run`, no scheduler) took %s for 16 rows over the longest "
                    + "past and %s for one row over a stream's mean past (%.2fx): a scheduler adding nothing would "
                    + "give about %.1fx; Ember's 16-row step took %s more than the model's.", perStep,
                    Report.ms(itl16), Report.ms(itl1), perStep, itl16 / itl1, perStep * itl1 / itl16,
                    Report.ms(raw16), Report.ms(raw1), raw16 / raw1, 16 * raw1 / raw16, Report.ms(itl16 - raw16));
        }
        return String.format(Locale.ROOT, "at 16 streams: TTFT p50 %s, p99 %s, max %s (server mean %s); mean "
                + "inter-token latency (about one decode step of %.1f sequences) %s; alone: TTFT %s, step %s.",
                Report.ms(w16.ttft().percentile(50)), Report.ms(w16.ttft().percentile(99)),
                Report.ms(w16.ttft().max()), Report.ms(Overhead.meanMs(w16.metricsBefore(), w16.metricsAfter(),
                        "ember_generate_time_to_first_token_seconds", FUNCTION)), perStep, Report.ms(itl16),
                Report.ms(f.singleTtft().percentile(50)), Report.ms(itl1));
    }

    /** Server-side means over an interval, from the generation meters scraped around it. */
    static String server(String name, String before, String after) {
        double steps = delta(before, after, "ember_generate_step_sequences_count");
        double perStep = steps == 0 ? Double.NaN
                : delta(before, after, "ember_generate_step_sequences_sum") / steps;
        double ttft = Overhead.meanMs(before, after, "ember_generate_time_to_first_token_seconds", FUNCTION);
        double itl = Overhead.meanMs(before, after, "ember_generate_inter_token_latency_seconds", FUNCTION);
        double tokens = delta(before, after, "ember_generate_completion_tokens_total");
        return String.format(Locale.ROOT, "%s, server side (`/q/metrics` around it): %.0f decode steps with %.2f "
                + "sequences each on average, mean inter-token latency %s, mean time to first token %s, %.0f completion "
                + "tokens.", name, steps, perStep, Report.ms(itl), Report.ms(ttft), tokens);
    }

    private static double delta(String before, String after, String name) {
        return Prometheus.sum(after, name, FUNCTION) - Prometheus.sum(before, name, FUNCTION);
    }

    static String block(Report.Machine machine, Report.Run run, GenerationRun.Figures f, boolean quick,
            Map<String, String> extra) {
        StringBuilder md = new StringBuilder();
        md.append(BEGIN).append("\n## ").append(TITLE).append("\n\n");
        if (quick) {
            md.append("**Quick smoke run** (`--quick`): a two-layer model, shorter streams and windows; these figures "
                    + "are not measurements.\n\n");
        }
        if (!extra.isEmpty()) {
            md.append("**Experiment**: every Ember process ran with ").append(extra)
                    .append(" added (the raw loop with the thread and spinning options among them).\n\n");
        }
        md.append("Written by `").append(run.command()).append("` on ").append(run.started()).append(" (")
                .append(run.wallTime()).append("); `benchmarks/generate.sh` rewrites only this section, "
                        + "`benchmarks/run.sh` keeps it. Machine: ").append(machine.cpus()).append(" CPUs (")
                .append(machine.cpuModel()).append("), ").append(machine.memory()).append(", ").append(machine.java())
                .append("; load average ").append(run.loadAtStart()).append(" at the start, ")
                .append(run.loadAtEnd()).append(" at the end; ").append(run.quiet()).append(".\n\n");
        md.append(method(f)).append("\n\n");
        List<List<String>> rows = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        for (Report.Row r : f.rows()) {
            rows.add(List.of(r.measure(), r.value(), r.reference(), r.ratio(), r.target(),
                    r.verdict().text + (r.shortfall().isEmpty() ? "" : " (" + r.shortfall() + ")")));
            if (r.verdict() == Report.Verdict.MISSED) {
                missed.add("- **" + r.measure() + "**: " + r.ratio() + " against " + r.target() + ".\n  Measured: "
                        + measured(f, r.measure()) + "\n  Cause: " + Report.CAUSE_TO_FILL + "\n");
            }
        }
        md.append(Report.table(List.of("measure", "Ember", "reference", "ratio", "target", "verdict"), rows));
        md.append('\n');
        for (String note : notes(f)) {
            md.append("- ").append(note.strip()).append('\n');
        }
        if (!missed.isEmpty()) {
            md.append("\n### Missed targets and their causes\n\n");
            missed.forEach(md::append);
        }
        return md.append(END).toString();
    }

    private static String method(GenerationRun.Figures f) {
        GenerationRun.Scale s = f.scale();
        return String.format(Locale.ROOT, """
                **Random weights, real shapes.** No generative ONNX model can be had from the registries reachable \
                here, so the model is a decoder of %s shape (%s; `model.onnx` %d MiB, fp32) with seeded \
                random weights, written at benchmark time by the runtime's test `DecoderModels` (Optimum "with past" \
                layout, byte-level BPE `tokenizer.json`) into `benchmarks/target/`, and served by the packaged Ember \
                as function `%s` (`-Dember.functions.%s.model=<dir>`; a 10 min function timeout and \
                `quarkus.http.idle-timeout` so that no queued stream times out, everything else as shipped). The compute per token is GPT-2 small's; the text is \
                noise. Every request is a greedy (`temperature` 0) streamed `POST /v1/completions` of one fixed \
                prompt with `max_tokens` %d and `stream_options.include_usage`, read by a socket client that stamps \
                each SSE chunk on arrival (one connection per stream). The prompt is the first candidate whose greedy \
                continuation has no end-of-sequence token within %d tokens (the API has no `ignore_eos`), so every \
                stream runs to `max_tokens`; tokens are counted from `usage.completion_tokens`.

                **Raw loop**: in the benchmark's JVM, the ONNX Runtime jar Ember itself uses, on \
                the same `model.onnx` and prompt tokens: one prompt pass over an empty past, then one run per token \
                with the last run's `present.*` fed back as `past_key_values.*`, argmax of the last logits; session \
                options as Ember's defaults on this machine: %d intra-op thread(s) (Ember's `ThreadBudget`), 1 \
                inter-op, sequential, all optimisations, no spinning; its session stays open beside the idle Ember \
                process. It also times one bare decode step (median of 8): 1 row over a stream's mean past \
                (prompt + half the new tokens) and 16 rows over the longest (prompt + all of them), as a running \
                batch is left-padded to its longest row. **One stream**: after one raw warm-up run and two warm-up streams, %d raw runs and %d \
                streams alternate (raw then Ember, then Ember then raw, ...), so that a change in the machine's load \
                falls on both alike; each figure is the median of its %d; tokens/s is completion tokens over \
                send-to-last-chunk time (the prompt pass included, as for the raw loop); TTFT alone is the median of \
                the streams' times to first token. **4 and 16 streams**: N clients in a closed loop (each sends \
                its next stream when the last ends); their first streams, sent at once, are a ramp of lengths up to \
                %d, so that afterwards streams start and end spread out (a new one joins a running batch); a window \
                of %d s (4 streams) or %d s (16 streams) opens when the last ramp stream ends, and at its end the \
                open streams are cancelled (their sockets closed). Aggregate tokens/s counts the text chunks that \
                arrived in the window (as tokens: the tokens-per-chunk ratio is in the notes); TTFT percentiles \
                (nearest rank) are of the streams sent in the window; inter-token gaps are between consecutive chunks \
                of a stream; the ramp's 16 streams give the burst figures. **One at a time**: a fresh Ember process \
                with `-Dember.functions.%s.generate.max-running=1`, the same 16-client loop and a %d s window; there, \
                streams sent in the window that were still queued when it closed count with their wait so far (a \
                lower bound, marked >=).""", s == GenerationRun.Scale.FULL ? "GPT-2-small" : "GPT-2-like", s.shape.describe(), f.modelBytes() >> 20, TextGeneration.FUNCTION,
                TextGeneration.FUNCTION, s.maxTokens, s.maxTokens, f.raw().intraOpThreads(), s.singleRepeats,
                s.singleRepeats, s.singleRepeats, s.maxTokens, s.window4.toSeconds(), s.window16.toSeconds(), TextGeneration.FUNCTION,
                s.windowOneAtATime.toSeconds());
    }

    private static String tps(double rate) {
        return String.format(Locale.ROOT, "%.1f tokens/s", rate);
    }

    private static String wholes(List<Double> values) {
        StringBuilder sb = new StringBuilder();
        for (Double v : values) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", v));
        }
        return sb.toString();
    }

    private static String msList(List<Double> values) {
        StringBuilder sb = new StringBuilder();
        for (Double v : values) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Report.ms(v));
        }
        return sb.toString();
    }

    static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }
}
