package dev.ember.knative.cli;

import dev.ember.knative.metrics.CannedPrometheus;
import dev.ember.knative.metrics.RevisionSample;
import dev.ember.knative.metrics.SampleWindow;
import dev.ember.knative.rollout.KnativeMockCluster;
import dev.ember.knative.rollout.Pacer;
import dev.ember.knative.rollout.SimulatedMetrics;
import dev.ember.knative.rollout.SimulatedRevisionController;
import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.serving.v1.Service;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ember.knative.rollout.KnativeMockCluster.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * ember-rollout end to end, as a user runs it: the command line against the mock API server (with the simulated
 * Knative controller) and a Prometheus HTTP API on loopback whose answers come from the simulated traffic. The
 * transcripts go to target/rollout-transcripts/ (the README's worked example is taken from them).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmberRolloutCommandTest {

    private static final Pattern SELECTOR = Pattern.compile("revision=\"([^\"]+)\"");
    private static final Pattern RANGE = Pattern.compile("\\[(\\d+)s](?: offset (\\d+)s)?");

    private KnativeMockCluster cluster;
    private SimulatedRevisionController knative;
    private SimulatedMetrics metrics;
    private CannedPrometheus prometheus;

    @BeforeEach
    void start() {
        cluster = KnativeMockCluster.start();
        knative = new SimulatedRevisionController(cluster.knativeClient(), NAMESPACE, Duration.ofMillis(150), r -> false);
        cluster.createService("embed", "ember/ember-jvm:0.1.0");
        KnativeClient client = cluster.knativeClient();
        Instant deadline = Instant.now().plusSeconds(15);
        while (!"embed-00001".equals(latestReady(client)) && Instant.now().isBefore(deadline)) {
            sleep(10);
        }
        metrics = new SimulatedMetrics(knative, "embed", 2_000);
        prometheus = new CannedPrometheus(this::answer);
    }

    @AfterEach
    void stop() {
        prometheus.close();
        knative.close();
        cluster.close();
    }

    @Test
    void aHealthyRolloutIsPromotedAndShownByStatus() throws IOException {
        Run rollout = run("rollout", "embed", "-n", NAMESPACE, "--image", "ember/ember-jvm:0.2.0",
                "--step-hold", "1s", "--check-interval", "250ms", "--poll-interval", "50ms",
                "--prometheus-url", prometheus.uri().toString());

        assertThat(rollout.exit()).as(rollout.all()).isZero();
        assertThat(rollout.out()).containsPattern("\\d\\d:\\d\\d:\\d\\d embed: candidate embed-[0-9a-f]{7} at 0% with tag"
                        + " candidate \\(image ember/ember-jvm:0.2.0\\), stable embed-00001; steps 5,25,50,100%, each held 1s")
                .contains("is Ready")
                .contains("step 1/4: 5% to embed-")
                .contains("step 2/4 (25%) passed: candidate embed-")
                .containsPattern("embed: promoted embed-[0-9a-f]{7} after step 4/4 \\(100%\\) passed");
        // the gate's queries reached Prometheus as PromQL on Ember's metric names
        assertThat(prometheus.received()).anyMatch(r -> r.query().startsWith(
                "histogram_quantile(0.99, sum by (le) (rate(ember_invocation_duration_seconds_bucket{service=\"embed\",revision=\"embed-"));

        // the simulated controller applies the promoted split a reconcile later than the rollout writes it
        awaitAppliedTraffic(cluster.knativeClient());
        Run status = run("status", "embed", "-n", NAMESPACE);
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("Rollout:     Promoted").contains("Previous:    embed-00001")
                .containsPattern("stable +embed-[0-9a-f]{7} +100% +100%")
                .containsPattern("previous +embed-00001 +0% +0%");

        Run rollback = run("rollback", "embed", "-n", NAMESPACE, "--reason", "latency regression reported by users");
        assertThat(rollback.exit()).isZero();
        assertThat(rollback.out()).contains("rolled back from embed-").contains("to previous embed-00001: latency regression");
        save("healthy-rollout.txt", rollout, status, rollback);
    }

    @Test
    void aFailingRolloutIsRolledBackWithExitCode1() throws IOException {
        metrics.behave("embed-v2", new SimulatedMetrics.Behaviour(0.08, 0.040));

        Run rollout = run("rollout", "embed", "--image", "ember/ember-jvm:0.2.0", "--candidate-name", "embed-v2",
                "--step-hold", "1s", "--check-interval", "250ms", "--poll-interval", "50ms",
                "--prometheus-url", prometheus.uri().toString());

        assertThat(rollout.exit()).as(rollout.all()).isEqualTo(1);
        assertThat(rollout.out()).containsPattern("step 1/4 \\(5%\\) failed: error rate 8(\\.\\d+)?% above the ceiling 1%")
                .doesNotContain("step 2/4");
        Run status = run("status", "embed");
        assertThat(status.out()).contains("Rollout:     RolledBack").contains("Candidate:   embed-v2 (Ready)")
                .containsPattern("candidate +embed-v2 +0%");
        save("failing-rollout.txt", rollout, status);
    }

    @Test
    void usageAndStateErrorsHaveTheirExitCodes() {
        Run both = run("rollout", "embed", "--image", "ember/ember-jvm:0.2.0", "--revision", "embed-00001");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");

        Run nothingToResume = run("rollout", "embed", "--prometheus-url", prometheus.uri().toString());
        assertThat(nothingToResume.exit()).isEqualTo(4);
        assertThat(nothingToResume.err()).contains("error: no rollout recorded on embed");

        Run badSteps = run("rollout", "embed", "--image", "ember/ember-jvm:0.2.0", "--steps", "10,50");
        assertThat(badSteps.exit()).isEqualTo(2);
        assertThat(badSteps.err()).contains("the last step must be 100");

        Run missing = run("status", "nope");
        assertThat(missing.exit()).isEqualTo(4);
        assertThat(missing.err()).contains("Knative Service test/nope not found");

        Run help = run("rollout", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--max-error-rate=<maxErrorRate>").contains("default: 5,25,50,100");
    }

    @Test
    void aHeldStepShowsItsTimeLeftAndTheLiveNumbersAgainstTheGates() throws IOException {
        // a 2s hold checked every 250ms: the checks before the hold ends each print a line
        Run rollout = run("rollout", "embed", "--image", "ember/ember-jvm:0.2.0", "--candidate-name", "embed-v2",
                "--steps", "50,100", "--step-hold", "2s", "--check-interval", "250ms", "--poll-interval", "50ms",
                "--prometheus-url", prometheus.uri().toString());

        assertThat(rollout.exit()).as(rollout.all()).isZero();
        assertThat(rollout.out()).containsPattern("\\d\\d:\\d\\d:\\d\\d embed: step 1/2 \\(50% to embed-v2\\) held,"
                + " [01]\\.\\ds of 2s left: errors [0-9.]+% \\(limit [0-9.]+% = (ceiling|stable[a-z ]*'s [0-9.]+% \\+ 0.5%)\\),"
                + " p99 [0-9.]+ms \\(limit [0-9.]+ms = [^)]+\\), \\d+ requests \\(judged from 50\\)")
                .contains("step 2/2 (100% to embed-v2) held, ");
        save("held-step.txt", rollout);
    }

    @Test
    void withoutAnyClusterConfigurationStatusSaysSoAtOnce(@TempDir Path home) {
        ClusterConfigLocator nowhere = new ClusterConfigLocator(Map.of(), Map.of(), home,
                home.resolve("serviceaccount/token"));
        assertThat(nowhere.find()).isEmpty();

        // the source refuses before building a client, so nothing tries kubernetes.default.svc
        Run status = run(KubernetesClientSource.fromKubeconfig(nowhere), "status", "embed");
        assertThat(status.exit()).isEqualTo(4);
        assertThat(status.err()).startsWith("error: no cluster configuration found: no KUBECONFIG and no "
                        + home.resolve(".kube/config"))
                .contains("not in a pod (no KUBERNETES_SERVICE_HOST, no service account token at")
                .contains("Point KUBECONFIG at a kubeconfig file");

        ClusterConfigLocator missingFile = new ClusterConfigLocator(Map.of("KUBECONFIG", home.resolve("gone").toString()),
                Map.of(), home, home.resolve("serviceaccount/token"));
        Run rollout = run(KubernetesClientSource.fromKubeconfig(missingFile), "rollout", "embed");
        assertThat(rollout.exit()).isEqualTo(4);
        assertThat(rollout.err()).contains("KUBECONFIG=" + home.resolve("gone") + " names no existing file");
    }

    @Test
    void aKubeconfigOrAPodIsAClusterConfiguration(@TempDir Path home) throws IOException {
        Path token = home.resolve("serviceaccount/token");
        assertThat(new ClusterConfigLocator(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"), Map.of(), home, token).find())
                .hasValueSatisfying(s -> assertThat(s).contains("KUBERNETES_SERVICE_HOST"));
        Files.createDirectories(token.getParent());
        Files.writeString(token, "t");
        assertThat(new ClusterConfigLocator(Map.of(), Map.of(), home, token).find())
                .hasValueSatisfying(s -> assertThat(s).contains("service account token"));
        Path kubeconfig = Files.createDirectories(home.resolve(".kube")).resolve("config");
        Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\n");
        assertThat(new ClusterConfigLocator(Map.of(), Map.of(), home, home.resolve("none")).find())
                .hasValue("kubeconfig " + kubeconfig);
        assertThat(new ClusterConfigLocator(Map.of("KUBECONFIG", home.resolve("a") + File.pathSeparator + kubeconfig),
                Map.of(), home, home.resolve("none")).find()).hasValue("kubeconfig " + kubeconfig + " (KUBECONFIG)");
        // as fabric8: $HOME when it is a directory, else user.home
        assertThat(ClusterConfigLocator.home(home.toString())).isEqualTo(home);
        assertThat(ClusterConfigLocator.home(home.resolve("none").toString()))
                .isEqualTo(Path.of(System.getProperty("user.home")));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private Run run(String... args) {
        return run(context -> cluster.kubernetesClient(), args);
    }

    private static Run run(KubernetesClientSource clients, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = EmberRolloutCommand.commandLine(clients, Pacer.system());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Prometheus' answer to one of the gate's queries, from the simulated traffic over the query's window. */
    private CannedPrometheus.Answer answer(String promql) {
        Matcher revision = SELECTOR.matcher(promql);
        Matcher range = RANGE.matcher(promql);
        if (!revision.find() || !range.find()) {
            return new CannedPrometheus.Answer(400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"unexpected query\"}");
        }
        SampleWindow window = new SampleWindow(Duration.ofSeconds(Long.parseLong(range.group(1))),
                Duration.ofSeconds(range.group(2) == null ? 0 : Long.parseLong(range.group(2))));
        RevisionSample s = metrics.sample("embed", revision.group(1), window);
        if (s.requests() <= 0) {
            return CannedPrometheus.vector();
        }
        double value = promql.startsWith("histogram_quantile") ? s.p99Seconds().orElse(Double.NaN)
                : promql.contains("outcome=~") ? s.errors() : s.requests();
        return CannedPrometheus.vector(String.format(Locale.ROOT, "%.6f", value));
    }

    private void save(String name, Run... runs) throws IOException {
        Path dir = Path.of("target", "rollout-transcripts");
        Files.createDirectories(dir);
        StringBuilder text = new StringBuilder();
        for (Run r : runs) {
            text.append(r.out()).append(r.err()).append("[exit ").append(r.exit()).append("]\n\n");
        }
        Files.writeString(dir.resolve(name), text);
    }

    /** Waits until the Service's status traffic is its spec traffic (the controller has reconciled the last write). */
    private static void awaitAppliedTraffic(KnativeClient client) {
        Instant deadline = Instant.now().plusSeconds(15);
        while (Instant.now().isBefore(deadline)) {
            Service s = client.services().inNamespace(NAMESPACE).withName("embed").get();
            if (s != null && s.getStatus() != null && s.getStatus().getTraffic() != null
                    && applied(s.getSpec().getTraffic(), s.getStatus().getTraffic())) {
                return;
            }
            sleep(10);
        }
        throw new AssertionError("the simulated controller did not apply the promoted traffic within 15 s");
    }

    /** Every spec target with a share is applied with that share and tag to the same revision. */
    private static boolean applied(java.util.List<io.fabric8.knative.serving.v1.TrafficTarget> spec,
            java.util.List<io.fabric8.knative.serving.v1.TrafficTarget> status) {
        return spec.stream().filter(t -> t.getPercent() != null && t.getPercent() > 0).allMatch(t -> status.stream()
                .anyMatch(a -> t.getPercent().equals(a.getPercent()) && a.getRevisionName() != null
                        && java.util.Objects.equals(t.getTag(), a.getTag())
                        && (t.getRevisionName() == null || t.getRevisionName().equals(a.getRevisionName()))));
    }

    private static String latestReady(KnativeClient client) {
        Service s = client.services().inNamespace(NAMESPACE).withName("embed").get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getLatestReadyRevisionName();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
