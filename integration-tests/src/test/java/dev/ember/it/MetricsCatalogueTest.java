package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ember.runtime.metrics.EmberMeter;
import dev.ember.runtime.testing.DecoderModels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's metrics table and {@code /q/metrics} agree: after one invocation and one event, every meter of
 * the table is exposed with HELP text, and every {@code ember_*} family exposed is in the table.
 */
@QuarkusTest
@TestProfile(MetricsCatalogueTest.WithBudget.class)
public class MetricsCatalogueTest {

    /**
     * A memory budget, a fake nvidia-smi and a generator (a generated decoder directory), so that the budget gauge,
     * the GPU meters and the generation meters exist too.
     */
    public static class WithBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.pool.memory-budget", "2G", "ember.gpu.nvidia-smi", FakeNvidiaSmi.write().toString(),
                    "ember.functions.tiny-generator.model", generator().resolve("model.onnx").toString());
        }

        static Path generator() {
            try {
                return DecoderModels.builder().write(Files.createTempDirectory("ember-generator"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    static final Pattern README_ROW = Pattern.compile("^\\| `(ember_[a-z_]+)` \\|", Pattern.MULTILINE);
    static final Pattern HELP = Pattern.compile("^# HELP (ember_[a-z_]+) (.*)$", Pattern.MULTILINE);
    static final Pattern TYPE = Pattern.compile("^# TYPE (ember_[a-z_]+) ([a-z]+)", Pattern.MULTILINE);

    @Test
    void theReadmeTableAndTheScrapeAgree() throws IOException {
        given().contentType(ContentType.JSON).body("{\"input\": \"one sentence\"}").post("/functions/embed")
                .then().statusCode(200);
        given().contentType(ContentType.JSON).header("ce-specversion", "1.0").header("ce-id", "m-1")
                .header("ce-source", "/tests").header("ce-type", "dev.ember.embed.request")
                .body("{\"input\": \"an event\"}").post("/").then().statusCode(200);
        given().contentType(ContentType.JSON).header("ce-specversion", "1.0").header("ce-id", "m-2")
                .header("ce-source", "/tests").header("ce-type", "dev.ember.nobody.handles.this")
                .body("{}").post("/").then().statusCode(422);

        Set<String> table = new TreeSet<>();
        Matcher row = README_ROW.matcher(Files.readString(Path.of("..", "README.md")));
        while (row.find()) {
            table.add(row.group(1));
        }
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        // the exposition names a counter's family without _total, and every timer has a _max gauge beside it
        Map<String, String> types = new TreeMap<>();
        Matcher t = TYPE.matcher(scrape);
        while (t.find()) {
            types.put(t.group(1), t.group(2));
        }
        Set<String> exposed = new TreeSet<>();
        types.forEach((name, type) -> {
            if (!(name.endsWith("_max") && types.containsKey(name.substring(0, name.length() - 4)))) {
                exposed.add(family(name, type));
            }
        });
        Map<String, String> help = new TreeMap<>();
        Matcher h = HELP.matcher(scrape);
        while (h.find()) {
            help.put(family(h.group(1), types.getOrDefault(h.group(1), "")), h.group(2).strip());
        }

        assertThat(table).as("README metrics table").hasSizeGreaterThan(20);
        assertThat(exposed).as("ember_* families on /q/metrics that the README does not list").isSubsetOf(table);
        assertThat(exposed).as("README meters missing from /q/metrics").containsAll(table);
        assertThat(help).as("HELP text of every ember_* family").allSatisfy((name, text) ->
                assertThat(text).as(name).isNotBlank());
        assertThat(help.keySet()).containsAll(table);
    }

    /**
     * The real promtool reads the scrape. Two findings are Micrometer's exposition, not Ember's, and are set aside:
     * HELP texts of its process and system CPU meters escape quotes ({@code \"}, which promtool's strict parser
     * refuses and Prometheus's scraper reads), and a counter's family is typed without {@code _total} while its
     * samples carry it (as Prometheus reads them), so promtool 2.42's linter finds those samples without HELP.
     * Everything else, Ember's gauges and histograms included, must pass the linter.
     */
    @Test
    void theScrapePassesPromtool() throws IOException {
        Promtool.assumePresent();
        given().contentType(ContentType.JSON).body("{\"input\": \"one sentence\"}").post("/functions/embed")
                .then().statusCode(200);
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(scrape).contains("ember_gpu_memory_used_bytes{");

        String parseable = scrape.lines().filter(l -> !(l.startsWith("# HELP ") && l.contains("\\\"")))
                .collect(Collectors.joining("\n", "", "\n"));
        Promtool.checkMetrics(parseable);

        String ember = scrape.lines().filter(l -> l.matches("(# (HELP|TYPE) )?ember_.*"))
                .collect(Collectors.joining("\n", "", "\n"));
        Set<String> counters = Arrays.stream(EmberMeter.values()).filter(m -> m.kind == EmberMeter.Kind.COUNTER)
                .map(m -> m.prometheusName() + " no help text").collect(Collectors.toSet());
        assertThat(Promtool.checkMetrics(ember)).as("promtool's findings on Ember's families")
                .isSubsetOf(counters);
    }

    static String family(String name, String type) {
        return type.equals("counter") && !name.endsWith("_total") ? name + "_total" : name;
    }
}
