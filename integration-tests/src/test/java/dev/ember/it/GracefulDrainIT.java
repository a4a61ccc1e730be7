package dev.ember.it;

import static dev.ember.it.LoadClients.Ending.CONNECTION_REFUSED;
import static dev.ember.it.LoadClients.Ending.FAILED;
import static dev.ember.it.LoadClients.Ending.OK;
import static dev.ember.it.LoadClients.Ending.REJECTED_WITH_RETRY_AFTER;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM under continuous load against the packaged application: readiness turns false at once, every request
 * sent before the signal and during the grace delay is served, the requests in flight and queued when new work is
 * refused complete, nothing is lost, the only connection errors come after the listener closed, and the process
 * exits 0. The figures go to {@code target/packaged-app/drain.txt} for RELIABILITY.md.
 */
class GracefulDrainIT {

    static final int CLIENTS = 4;

    /**
     * One readiness probe: sent at (nanoTime, and wall-clock milliseconds to compare with the server's log), its
     * status (0 = connection refused), and when its answer came (nanoTime).
     */
    record Probe(long sentAt, long sentAtMillis, int status, long doneAt) {
    }

    @Test
    void sigtermDrainsEveryRequestAndExitsZero() throws Exception {
        Path root = Files.createTempDirectory("ember-drain");
        Map<String, String> properties = new HashMap<>(OverloadIT.slowModel(root));
        // every client's request fits the queue: under load there are requests in flight and queued at SIGTERM
        properties.put("ember.functions.slow.queue.max-size", "16");
        properties.put("quarkus.shutdown.delay", "1s");
        properties.put("quarkus.shutdown.timeout", "30s");
        try (PackagedApp app = PackagedApp.start("drain", properties)) {
            String body = OverloadIT.body();
            HttpRequest infer = HttpRequest.newBuilder(app.uri("/v2/models/slow/infer")).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();

            AtomicLong sigtermAt = new AtomicLong(Long.MAX_VALUE);
            AtomicBoolean exited = new AtomicBoolean();
            CompletableFuture<List<LoadClients.Sent>> load = CompletableFuture.supplyAsync(() -> {
                try {
                    // clients honour Retry-After, as a well-behaved client (or Knative's activator) does
                    return LoadClients.run(CLIENTS, infer, exited::get, true);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(3000);

            // readiness probes from before the signal until the listener is gone
            List<Probe> probes = new ArrayList<>();
            Thread prober = new Thread(() -> {
                while (!exited.get()) {
                    long millis = System.currentTimeMillis();
                    long at = System.nanoTime();
                    int status;
                    try {
                        status = app.get("/q/health/ready").statusCode();
                    } catch (Exception e) {
                        status = 0;
                    }
                    Probe probe = new Probe(at, millis, status, System.nanoTime());
                    synchronized (probes) {
                        probes.add(probe);
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            prober.start();
            Thread.sleep(200);

            long sigtermAtMillis = System.currentTimeMillis();
            sigtermAt.set(System.nanoTime());
            int exitCode = app.terminate(Duration.ofSeconds(60));
            long exitedAt = System.nanoTime();
            exited.set(true);
            prober.join();
            List<LoadClients.Sent> sent = load.get(60, TimeUnit.SECONDS);

            assertThat(exitCode).as("exit code after SIGTERM").isZero();
            // The server stops serving connections when its drain ends: Quarkus logs "All HTTP requests complete"
            // once every request it has received is answered (or, with none in flight then, the drain ends with the
            // delay). Vert.x cannot stop accepting before that, so a request whose connection is still in the
            // kernel's accept queue then is dropped or reset unread: it was never received, so never processed, and
            // its client sees it fail after the drain ended, as with a refused connection. Every request the server
            // received is answered.
            String console = app.console();
            long closedAtMillis = console.contains("All HTTP requests complete")
                    ? logTime(console, "All HTTP requests complete")
                    : logTime(console, "draining: readiness is false") + 1000;
            long droppedUnread = console.lines().filter(l -> l.contains("Failed to register an accepted channel"))
                    .count();
            List<LoadClients.Sent> dropped = sent.stream().filter(s -> s.ending() == FAILED)
                    .filter(s -> s.sentAtMillis() + s.nanos() / 1_000_000 >= closedAtMillis)
                    .filter(s -> s.detail().contains("received no bytes") || s.detail().contains("reset")).toList();
            List<LoadClients.Sent> lost = sent.stream().filter(s -> s.ending() == FAILED)
                    .filter(s -> !dropped.contains(s)).toList();
            long droppedAtClose = dropped.size();
            assertThat(lost).as("lost or failed requests (the drain ended at " + closedAtMillis + ")").isEmpty();
            assertThat(sent).filteredOn(s -> s.sentAt() < sigtermAt.get())
                    .as("requests sent before SIGTERM, in flight or queued then").allMatch(s -> s.ending() == OK);
            long firstRefusedConnection = sent.stream().filter(s -> s.ending() != OK
                    && s.ending() != REJECTED_WITH_RETRY_AFTER).mapToLong(LoadClients.Sent::sentAt).min()
                    .orElse(exitedAt);
            assertThat(sent).filteredOn(s -> s.ending() == CONNECTION_REFUSED)
                    .as("connections are refused only once the listener has closed")
                    .allMatch(s -> s.sentAtMillis() + s.nanos() / 1_000_000 >= closedAtMillis);
            // Readiness turns false when the server handles SIGTERM, some time after this test sent it. The server logs
            // "draining: readiness is false" just after it turned readiness false, so any probe sent after that log
            // line must find it false. Both times are this machine's wall clock, truncated to milliseconds: a probe
            // sent in a later millisecond than the logged one was sent after the line was logged; one sent in the
            // same millisecond may have come just before, so that millisecond is the only tolerance.
            long drainLoggedAtMillis = logTime(console, "draining: readiness is false");
            assertThat(drainLoggedAtMillis).as("the drain is logged after SIGTERM was sent, on the same clock")
                    .isGreaterThanOrEqualTo(sigtermAtMillis);
            long notReadyAt;
            long readyBeforeTheServerDrained;
            synchronized (probes) {
                // answered before the signal was sent: the server cannot have been draining yet
                assertThat(probes).filteredOn(p -> p.doneAt() < sigtermAt.get()).isNotEmpty()
                        .allMatch(p -> p.status() == 200);
                assertThat(probes).filteredOn(p -> p.sentAtMillis() > drainLoggedAtMillis && p.status() == 200)
                        .as("readiness 200 after the server logged the drain at " + drainLoggedAtMillis).isEmpty();
                notReadyAt = probes.stream().filter(p -> p.sentAtMillis() > drainLoggedAtMillis && p.status() == 503)
                        .mapToLong(Probe::sentAt).min()
                        .orElseThrow(() -> new AssertionError("readiness never answered 503 after the drain began"));
                // sent after the signal, before the JVM handled it: either answer is right
                readyBeforeTheServerDrained = probes.stream().filter(p -> p.sentAt() >= sigtermAt.get()
                        && p.sentAtMillis() <= drainLoggedAtMillis && p.status() == 200).count();
            }
            assertThat(notReadyAt).as("readiness turns false before the listener closes")
                    .isLessThan(firstRefusedConnection);
            long inFlightAtSigterm = sent.stream()
                    .filter(s -> s.sentAt() < sigtermAt.get() && s.sentAt() + s.nanos() > sigtermAt.get()).count();
            assertThat(app.console()).contains("draining: readiness is false");

            String figures = String.format("""
                    drain: %d closed-loop clients on a model with concurrency 1, queue 16; quarkus.shutdown.delay 1s, \
                    quarkus.shutdown.timeout 30s
                    requests: %d; 200: %d (sent after SIGTERM: %d); 503 + Retry-After while refusing new work: %d; \
                    connection refused after the listener closed: %d; dropped unread as it closed: %d (the \
                    server logged %d); failed or lost: %d
                    requests in flight or queued at SIGTERM: %d, all completed with 200
                    server logged the drain %d ms after SIGTERM was sent; readiness 503 %.0f ms after SIGTERM \
                    (first probe after the signal: %s; 200s between the signal and the drain: %d)
                    SIGTERM to exit: %.0f ms, exit code %d
                    """, CLIENTS, sent.size(), LoadClients.count(sent, OK),
                    sent.stream().filter(s -> s.ending() == OK && s.sentAt() >= sigtermAt.get()).count(),
                    LoadClients.count(sent, REJECTED_WITH_RETRY_AFTER), LoadClients.count(sent, CONNECTION_REFUSED),
                    droppedAtClose, droppedUnread, lost.size(), inFlightAtSigterm, drainLoggedAtMillis - sigtermAtMillis,
                    (notReadyAt - sigtermAt.get()) / 1e6, firstProbeAfter(probes, sigtermAt.get()),
                    readyBeforeTheServerDrained, (exitedAt - sigtermAt.get()) / 1e6, exitCode);
            System.out.print(figures);
            Files.writeString(app.log.resolveSibling("drain.txt"), figures);
        }
    }

    /** The wall-clock time (ms) of the first log line containing {@code text}; the console format starts with it. */
    static long logTime(String console, String text) {
        String line = console.lines().filter(l -> l.contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no log line '" + text + "'"));
        LocalDateTime at = LocalDateTime.parse(line.substring(0, 23), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS"));
        return at.atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
    }

    static String firstProbeAfter(List<Probe> probes, long at) {
        synchronized (probes) {
            return probes.stream().filter(p -> p.sentAt() >= at).findFirst().map(p -> String.valueOf(p.status()))
                    .orElse("none");
        }
    }
}
