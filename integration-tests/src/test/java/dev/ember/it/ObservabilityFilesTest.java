package dev.ember.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ember.runtime.metrics.EmberMeter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard and the alerting rules of {@code observability/} name only meters of the catalogue, the
 * plain rule file and the PrometheusRule hold the same rules, errors are the same outcomes everywhere (rules,
 * dashboard, README, ember-rollout's gate), and the real promtool accepts every expression.
 */
class ObservabilityFilesTest {

    static final Path ROOT = Path.of("..");
    static final Path DASHBOARD = ROOT.resolve("observability/grafana/ember.json");
    static final Path RULES = ROOT.resolve("observability/prometheus/ember-rules.yaml");
    static final Path PROMETHEUS_RULE = ROOT.resolve("observability/kubernetes/ember-prometheusrule.yaml");
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    // PromQL words that are not series names
    static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "and",
            "or", "unless", "bool", "offset", "inf", "nan");
    static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    static final Pattern BRACES = Pattern.compile("\\{[^}]*}");
    static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");
    static final Pattern OUTCOMES = Pattern.compile("outcome=~\"([^\"]*)\"");

    /** The series names the catalogue's meters expose: histograms as _bucket/_sum/_count (and _max). */
    static Set<String> catalogueSeries() {
        Set<String> names = new TreeSet<>();
        for (EmberMeter m : EmberMeter.values()) {
            String family = m.prometheusName();
            switch (m.kind) {
                case COUNTER, GAUGE -> names.add(family);
                case TIMER, SUMMARY -> List.of("_bucket", "_sum", "_count", "_max").forEach(s -> names.add(family + s));
            }
        }
        return names;
    }

    /** The series names an expression selects: identifiers outside strings, matchers, ranges and groupings that are not calls or keywords. */
    static Set<String> seriesNames(String expr) {
        String s = STRING.matcher(expr).replaceAll("\"\"");
        s = BRACES.matcher(s).replaceAll(" ");
        s = RANGE.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        s = s.replaceAll("\\$\\{?[a-zA-Z_]+}?", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String word = m.group().replaceAll("[\\s(]", "");
            boolean call = m.group(1) != null;
            int start = m.start();
            boolean inNumber = start > 0 && (Character.isDigit(s.charAt(start - 1)) || s.charAt(start - 1) == '.');
            if (!call && !inNumber && !KEYWORDS.contains(word.toLowerCase())) {
                names.add(word);
            }
        }
        return names;
    }

    /** A dashboard expression as Grafana runs it by default: every function and version, a 5m rate window. */
    static String asSelectedByDefault(String expr) {
        return expr.replace("$__rate_interval", "5m").replaceAll("\\$\\{?[a-zA-Z_]+}?", ".*");
    }

    /** Every target of every panel (rows included), by "panel title / refId". */
    static Map<String, String> dashboardExpressions() throws IOException {
        Map<String, String> exprs = new LinkedHashMap<>();
        collect(JSON.readTree(DASHBOARD.toFile()).path("panels"), exprs);
        return exprs;
    }

    private static void collect(JsonNode panels, Map<String, String> exprs) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                exprs.put(panel.path("title").asText() + " / " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
            collect(panel.path("panels"), exprs);
        }
    }

    /** Every alert's and recording rule's expression, by its name. */
    static Map<String, String> ruleExpressions(JsonNode groups) {
        Map<String, String> exprs = new LinkedHashMap<>();
        for (JsonNode group : groups) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.has("alert") ? rule.path("alert").asText() : rule.path("record").asText();
                exprs.put(name, rule.path("expr").asText());
            }
        }
        return exprs;
    }

    static JsonNode ruleGroups() throws IOException {
        return YAML.readTree(RULES.toFile()).path("groups");
    }

    @Test
    void theNameExtractionFindsSeriesAndNothingElse() {
        assertThat(seriesNames("histogram_quantile(0.99, sum by (le, version) (rate(a_bucket{x=\"y_z\"}[5m])))"
                + " > 1.5e3 and on (version) b_total offset 5m or vector(0) * c"))
                .containsExactly("a_bucket", "b_total", "c");
        assertThat(seriesNames("sum(rate(x{function=~\"$function\"}[$__rate_interval]))")).containsExactly("x");
    }

    @Test
    void theDashboardNamesOnlyCatalogueMeters() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        Map<String, String> exprs = dashboardExpressions();
        assertThat(exprs).hasSizeGreaterThan(20);
        Set<String> used = new TreeSet<>();
        exprs.forEach((where, expr) -> {
            Set<String> names = seriesNames(expr);
            assertThat(names).as(where + ": " + expr).isNotEmpty().isSubsetOf(catalogueSeries());
            used.addAll(names);
        });
        // the panels the dashboard promises: requests, errors, p99, queues, batches, cold starts, loads, evictions,
        // pool bytes against the budget, circuits, traffic; generation TTFT, tokens/s, sequences, KV cache
        assertThat(used).contains("ember_invocations_total", "ember_invocation_duration_seconds_bucket",
                "ember_queue_depth", "ember_batch_size_rows_bucket", "ember_cold_starts_total",
                "ember_model_loads_total", "ember_model_evictions_total", "ember_pool_loaded_bytes",
                "ember_pool_budget_bytes", "ember_circuit_state", "ember_traffic_percent",
                "ember_generate_time_to_first_token_seconds_bucket", "ember_generate_completion_tokens_total",
                "ember_generate_sequences_running", "ember_pool_kv_cache_bytes");

        JsonNode variables = dashboard.path("templating").path("list");
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        variables.forEach(v -> byName.put(v.path("name").asText(), v));
        assertThat(byName).containsKeys("datasource", "function", "version");
        assertThat(byName.get("datasource").path("type").asText()).isEqualTo("datasource");
        assertThat(byName.get("datasource").path("query").asText()).isEqualTo("prometheus");
        for (String v : List.of("function", "version")) {
            String query = byName.get(v).path("query").path("query").asText();
            assertThat(seriesNames(query.replaceFirst("^label_values\\((.*),\\s*[a-z_]+\\)$", "$1")))
                    .as(v + " variable: " + query).isNotEmpty().isSubsetOf(catalogueSeries());
        }
        // every panel reads the chosen data source, so that the dashboard imports into any Grafana
        dashboard.path("panels").forEach(p -> {
            if (!p.path("type").asText().equals("row")) {
                assertThat(p.path("datasource").path("uid").asText()).as(p.path("title").asText())
                        .isEqualTo("${datasource}");
            }
        });
    }

    @Test
    void theRulesNameOnlyCatalogueMetersAndCoverWhatOperatorsPage() throws IOException {
        Map<String, String> exprs = ruleExpressions(ruleGroups());
        assertThat(exprs).containsOnlyKeys("EmberHighErrorRatio", "EmberHighLatencyP99", "EmberCircuitOpen",
                "EmberModelLoadFailed");
        exprs.forEach((alert, expr) -> assertThat(seriesNames(expr)).as(alert + ": " + expr).isNotEmpty()
                .isSubsetOf(catalogueSeries()));
    }

    @Test
    void thePrometheusRuleHoldsExactlyTheRuleFile() throws IOException {
        JsonNode manifest = YAML.readTree(PROMETHEUS_RULE.toFile());
        assertThat(manifest.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(manifest.path("kind").asText()).isEqualTo("PrometheusRule");
        assertThat(manifest.path("metadata").path("name").asText()).isNotBlank();
        assertThat(manifest.path("spec").path("groups")).isEqualTo(ruleGroups());
    }

    @Test
    void errorsAreTheSameOutcomesInTheRulesTheDashboardTheReadmeAndTheRolloutGate() throws IOException {
        String gate = Files.readString(ROOT.resolve(
                "knative/src/main/java/dev/ember/knative/metrics/PrometheusRevisionMetrics.java"));
        Matcher g = Pattern.compile("ERROR_OUTCOMES = \"([^\"]+)\"").matcher(gate);
        assertThat(g.find()).as("ember-rollout's error outcomes").isTrue();
        String outcomes = g.group(1);

        Map<String, String> sources = new LinkedHashMap<>(ruleExpressions(ruleGroups()));
        sources.putAll(dashboardExpressions());
        sources.put("README.md", Files.readString(ROOT.resolve("README.md")));
        int seen = 0;
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Matcher m = OUTCOMES.matcher(source.getValue());
            while (m.find()) {
                assertThat(m.group(1)).as(source.getKey()).isEqualTo(outcomes);
                seen++;
            }
        }
        assertThat(seen).as("error-outcome selectors found").isGreaterThanOrEqualTo(3);
    }

    @Test
    void promtoolAcceptsTheRuleFile() throws IOException {
        Promtool.assumePresent();
        Promtool.checkRules(RULES);
    }

    /**
     * promtool's rule unit tests on synthetic series: version 1 serves without a single error series, version 2
     * fails 10% of its invocations, has an open circuit and one failed load. The dashboard's error ratio reads 0 for
     * version 1 (not nothing), and exactly the alerts for version 2 fire.
     */
    @Test
    void promtoolRuleTestsFireTheAlertsAndReadZeroErrorsAsZero(@TempDir Path dir) throws IOException {
        Promtool.assumePresent();
        String errorRatio = asSelectedByDefault(dashboardExpressions().get("Error ratio / A"));
        String tests = """
                rule_files:
                  - %s
                evaluation_interval: 1m
                tests:
                  - interval: 1m
                    input_series:
                      - series: 'ember_invocations_total{service="embed",function="embed",version="1",outcome="success"}'
                        values: '0+60x30'
                      - series: 'ember_invocations_total{service="embed",function="embed",version="2",outcome="success"}'
                        values: '0+54x30'
                      - series: 'ember_invocations_total{service="embed",function="embed",version="2",outcome="server_error"}'
                        values: '0+6x30'
                      - series: 'ember_circuit_state{service="embed",function="embed",version="1"}'
                        values: '0x30'
                      - series: 'ember_circuit_state{service="embed",function="embed",version="2"}'
                        values: '0 0 0 2x27'
                      - series: 'ember_model_loads_total{service="embed",function="embed",version="2",outcome="failure"}'
                        values: '0 0 0 1x27'
                    promql_expr_test:
                      - expr: '%s'
                        eval_time: 20m
                        exp_samples:
                          - labels: '{function="embed",version="1"}'
                            value: 0
                          - labels: '{function="embed",version="2"}'
                            value: 0.1
                    alert_rule_test:
                      - eval_time: 20m
                        alertname: EmberHighErrorRatio
                        exp_alerts:
                          - exp_labels: {severity: critical, service: embed, function: embed, version: "2"}
                            exp_annotations:
                              summary: 'Ember embed version 2: 10%% of invocations fail'
                              description: 'More than 5%% of the invocations of embed v2 (embed) ended in server_error or timeout for 10 minutes.'
                      - eval_time: 20m
                        alertname: EmberCircuitOpen
                        exp_alerts:
                          - exp_labels: {severity: critical, service: embed, function: embed, version: "2"}
                            exp_annotations:
                              summary: 'Ember embed version 2: circuit open'
                              description: 'The circuit breaker of embed v2 (embed) is open: its requests get 503 with Retry-After.'
                      - eval_time: 10m
                        alertname: EmberModelLoadFailed
                        exp_alerts:
                          - exp_labels: {severity: critical, service: embed, function: embed, version: "2"}
                            exp_annotations:
                              summary: 'Ember embed version 2: model load failed'
                              description: 'Loading embed v2 failed in the last 15 minutes (unreadable file, sha256 mismatch, session creation); GET /v2/repository/index names the reason.'
                      - eval_time: 20m
                        alertname: EmberHighLatencyP99
                        exp_alerts: []
                """.formatted(RULES.toAbsolutePath().normalize(), errorRatio);
        Path file = dir.resolve("ember-rules-test.yaml");
        Files.writeString(file, tests);
        Promtool.testRules(file);
    }

    @Test
    void promtoolAcceptsEveryDashboardExpression(@TempDir Path dir) throws IOException {
        Promtool.assumePresent();
        ArrayNode rules = YAML.createArrayNode();
        int i = 0;
        for (String expr : dashboardExpressions().values()) {
            ObjectNode rule = rules.addObject();
            rule.put("record", "ember:dashboard:expr_" + i++);
            rule.put("expr", asSelectedByDefault(expr));
        }
        ObjectNode file = YAML.createObjectNode();
        file.putArray("groups").addObject().put("name", "dashboard").set("rules", rules);
        Path rulesFile = dir.resolve("dashboard-rules.yaml");
        YAML.writeValue(rulesFile.toFile(), file);
        Promtool.checkRules(rulesFile);
    }
}
