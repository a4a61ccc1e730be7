package dev.ember.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Closed-loop clients for the packaged-application checks: each sends the same request again as soon as it has an
 * answer, until told to stop, and every request is recorded with how it ended.
 */
final class LoadClients {

    enum Ending { OK, REJECTED_WITH_RETRY_AFTER, CONNECTION_REFUSED, FAILED }

    /**
     * One request: when it was sent (nanoTime, and wall-clock milliseconds to compare with the server's log), how
     * long it took, how it ended, and what was wrong if it failed.
     */
    record Sent(long sentAt, long sentAtMillis, long nanos, Ending ending, String detail) {
    }

    private LoadClients() {
    }

    /**
     * Runs {@code clients} loops against {@code request} until {@code stop} says so; a client whose connection is
     * refused stops (the listener is gone), and with {@code honourRetryAfter} a client waits as a 503 tells it to.
     */
    static List<Sent> run(int clients, HttpRequest request, BooleanSupplier stop, boolean honourRetryAfter)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        List<Sent> all = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                loops.add(pool.submit(() -> {
                    while (!stop.getAsBoolean()) {
                        Sent sent = send(http, request);
                        all.add(sent);
                        if (sent.ending() == Ending.CONNECTION_REFUSED) {
                            return null;
                        }
                        if (honourRetryAfter && sent.ending() == Ending.REJECTED_WITH_RETRY_AFTER) {
                            Thread.sleep(1000);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> loop : loops) {
                loop.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return new ArrayList<>(all);
    }

    static Sent send(HttpClient http, HttpRequest request) {
        long millis = System.currentTimeMillis();
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            long nanos = System.nanoTime() - start;
            if (response.statusCode() == 200) {
                return new Sent(start, millis, nanos, Ending.OK, null);
            }
            if (response.statusCode() == 503 && response.headers().firstValue("Retry-After").isPresent()
                    && response.body().contains("\"error\"")) {
                return new Sent(start, millis, nanos, Ending.REJECTED_WITH_RETRY_AFTER, response.body());
            }
            return new Sent(start, millis, nanos, Ending.FAILED, response.statusCode() + " " + response.body());
        } catch (ConnectException e) {
            return new Sent(start, millis, System.nanoTime() - start, Ending.CONNECTION_REFUSED, String.valueOf(e));
        } catch (IOException e) {
            return new Sent(start, millis, System.nanoTime() - start, Ending.FAILED, String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sent(start, millis, System.nanoTime() - start, Ending.FAILED, "interrupted");
        }
    }

    static long count(List<Sent> sent, Ending ending) {
        return sent.stream().filter(s -> s.ending() == ending).count();
    }

    /** The q-quantile (0..1) of the durations of the requests that ended so, in milliseconds; 0 when there are none. */
    static double quantileMillis(List<Sent> sent, Ending ending, double q) {
        long[] nanos = sent.stream().filter(s -> s.ending() == ending).mapToLong(Sent::nanos).toArray();
        if (nanos.length == 0) {
            return 0;
        }
        Arrays.sort(nanos);
        int index = (int) Math.ceil(q * nanos.length) - 1;
        return nanos[Math.max(0, Math.min(index, nanos.length - 1))] / 1e6;
    }
}
