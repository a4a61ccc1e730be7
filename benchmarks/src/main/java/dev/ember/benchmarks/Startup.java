package dev.ember.benchmarks;

import java.time.Duration;
import java.util.List;

/** Scenario 0 (the foundation issue's entry): start-up, single-client latency, resident memory. */
final class Startup {

    record Figures(Duration firstResponse, LoadResult latency, long rssKiB) {
    }

    private Startup() {
    }

    static Figures run(Harness h, EmberProcess ember, Duration firstResponse) throws Exception {
        byte[] body = Harness.embedBody(Harness.SHORT_SENTENCE);
        LoadGenerator.Call call = () -> ember.client.post(Harness.EMBED, body);
        h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(100)), call);
        LoadResult latency = h.load.closedLoop(1, LoadGenerator.Bounds.requests(h.count(1000)), call);
        long rss = ember.rssKiB();
        Harness.log("startup: first response %d ms, p50 %.2f ms, p99 %.2f ms, RSS %d KiB; %s",
                firstResponse.toMillis(), latency.percentileMillis(50), latency.percentileMillis(99), rss,
                latency.statusLine());
        return new Figures(firstResponse, latency, rss);
    }

    static Report.Section section(Figures f) {
        return new Report.Section("0. Start-up, latency and memory (as shipped)", """
                The packaged application is started as the README starts it (`java -jar \
                functions/target/quarkus-app/quarkus-run.jar`, no JVM options; only `-Dquarkus.http.host=127.0.0.1`, \
                a free port and a management token are added). From the moment the process is spawned, \
                `POST /functions/embed` with `{"input": "A man is playing a guitar."}` is sent every 5 ms until it \
                answers 200: that time includes the JVM and Quarkus start and loading the model on demand. Then one \
                client sends 100 warm-up requests and 1,000 measured ones, each after the previous answer (HTTP/1.1 \
                keep-alive, `java.net.http.HttpClient`); resident memory is VmRSS from `/proc/<pid>/status` right \
                after them.""",
                List.of(Report.Row.of("process start to first `embed` response", Report.ms(f.firstResponse().toNanos() / 1e6)),
                        Report.Row.of("`embed` latency p50 (1 client, " + f.latency().succeeded() + " requests)",
                                Report.ms(f.latency().percentileMillis(50))),
                        Report.Row.of("`embed` latency p99", Report.ms(f.latency().percentileMillis(99))),
                        Report.Row.of("resident memory (VmRSS) after those requests", Report.mib(f.rssKiB()))),
                List.of("Requests: " + f.latency().statusLine() + "."));
    }
}
