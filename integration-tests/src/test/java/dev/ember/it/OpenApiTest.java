package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.ClassInfo;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Index;
import org.jboss.jandex.IndexReader;
import org.jboss.jandex.MethodInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /q/openapi} against the application's own routes: every JAX-RS route of every Ember jar (read from their
 * Jandex indexes, so a new endpoint fails this test until it is documented) has an operation with a request schema
 * when it takes a body, a response schema for success and the error shape for every error; every reference
 * resolves; and the Open Inference Protocol shapes keep the fields and required fields of the protocol's own
 * OpenAPI file (vendored under {@code open-inference-protocol/} with its licence).
 */
@QuarkusTest
public class OpenApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> VERBS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
    static final DotName PATH = DotName.createSimple("jakarta.ws.rs.Path");
    JsonNode doc;

    @BeforeEach
    void fetch() throws IOException {
        doc = JSON.readTree(given().get("/q/openapi?format=json").then().statusCode(200)
                .contentType(ContentType.JSON).extract().asByteArray());
    }

    /** "METHOD /path" of every JAX-RS resource method in an Ember jar. */
    static Set<String> routes() throws IOException {
        Set<String> routes = new TreeSet<>();
        Enumeration<URL> indexes = OpenApiTest.class.getClassLoader().getResources("META-INF/jandex.idx");
        while (indexes.hasMoreElements()) {
            Index index;
            try (InputStream in = indexes.nextElement().openStream()) {
                index = new IndexReader(in).read();
            }
            for (AnnotationInstance a : index.getAnnotations(PATH)) {
                if (a.target().kind() != org.jboss.jandex.AnnotationTarget.Kind.CLASS) {
                    continue;
                }
                ClassInfo resource = a.target().asClass();
                if (!resource.name().toString().startsWith("dev.ember.")) {
                    continue;
                }
                for (MethodInfo m : resource.methods()) {
                    for (AnnotationInstance verb : m.annotations()) {
                        String name = verb.name().withoutPackagePrefix();
                        if (verb.target().kind() == org.jboss.jandex.AnnotationTarget.Kind.METHOD
                                && verb.name().packagePrefix().equals("jakarta.ws.rs") && VERBS.contains(name)) {
                            AnnotationInstance sub = m.annotation(PATH);
                            routes.add(name + " " + join(a.value().asString(), sub == null ? "" : sub.value().asString()));
                        }
                    }
                }
            }
        }
        return routes;
    }

    static String join(String base, String sub) {
        String path = ("/" + base + "/" + sub).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** The node a {@code #/...} reference points at. */
    JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String ref = node.get("$ref").asText();
            assertThat(ref).startsWith("#/");
            JsonNode target = doc.at(ref.substring(1));
            assertThat(target.isMissingNode()).as("reference %s resolves", ref).isFalse();
            node = target;
        }
        return node;
    }

    boolean hasSchema(JsonNode content) {
        if (content == null || !content.isObject() || content.isEmpty()) {
            return false;
        }
        for (JsonNode media : content) {
            JsonNode schema = media.get("schema");
            if (schema == null || schema.isEmpty()) {
                return false;
            }
            resolve(schema);
        }
        return true;
    }

    @Test
    void everyRouteIsDocumentedWithItsSchemas() throws IOException {
        Set<String> routes = routes();
        assertThat(routes).contains("POST /v2/models/{model}/infer", "POST /v2/repository/index",
                "GET /v2/models/{model}/versions/{version}/stats", "POST /", "PUT /functions/{function}/traffic",
                "POST /v1/completions", "POST /v1/chat/completions", "GET /v1/models", "GET /v1/models/{id}");
        Set<String> documented = new TreeSet<>();
        doc.path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(verb -> {
            if (VERBS.contains(verb.toUpperCase(Locale.ROOT))) {
                documented.add(verb.toUpperCase(Locale.ROOT) + " " + p.getKey());
            }
        }));
        assertThat(documented).isEqualTo(routes);

        List<String> problems = new ArrayList<>();
        for (String route : routes) {
            String[] r = route.split(" ", 2);
            JsonNode op = doc.path("paths").path(r[1]).path(r[0].toLowerCase(Locale.ROOT));
            boolean success = false;
            String answer = op.path("responses").path("200").path("content").path("application/json")
                    .path("schema").path("$ref").asText();
            for (Iterator<Map.Entry<String, JsonNode>> it = op.path("responses").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode response = resolve(e.getValue());
                // "4XX" and "5XX" stand for their range
                int status = Integer.parseInt(e.getKey().replace("XX", "00"));
                if (response.path("description").asText().isBlank()) {
                    problems.add(route + " " + status + ": no description");
                }
                if (status >= 400) {
                    // the error shape, or for a readiness probe its own answer (503 {"ready": false, ...})
                    String schema = response.path("content").path("application/json").path("schema").path("$ref")
                            .asText();
                    // OpenAI's error shape on /v1/*, Ember's own elsewhere
                    String shape = r[1].startsWith("/v1/") ? "#/components/schemas/openai_error_response"
                            : "#/components/schemas/error_response";
                    if (!schema.equals(shape)
                            && !(status == 503 && route.endsWith("/ready") && schema.equals(answer))) {
                        problems.add(route + " " + status + ": not the error shape");
                    }
                } else if (status == 200 && (r[0].equals("OPTIONS") || hasSchema(response.get("content")))) {
                    success = true;
                } else if (status == 200) {
                    problems.add(route + " 200: no response schema");
                }
            }
            if (!success) {
                problems.add(route + ": no documented 200");
            }
            if ((r[0].equals("POST") || r[0].equals("PUT")) && !hasSchema(resolve(op.path("requestBody"))
                    .get("content"))) {
                problems.add(route + ": no request schema");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void inferenceNamesTheProtocolsShapes() {
        JsonNode infer = doc.path("paths").path("/v2/models/{model}/infer").path("post");
        assertThat(infer.at("/requestBody/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/inference_request");
        assertThat(infer.at("/responses/200/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/inference_response");
        JsonNode events = doc.path("paths").path("/").path("post");
        assertThat(events.at("/requestBody/content/application~1cloudevents+json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/cloudevent");
        assertThat(events.path("responses").has("202")).isTrue();
    }

    @Test
    void everyReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collect(doc, refs);
        assertThat(refs).isNotEmpty();
        refs.forEach(ref -> assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse());
    }

    static void collect(JsonNode node, List<String> refs) {
        if (node.has("$ref")) {
            refs.add(node.get("$ref").asText());
        }
        node.forEach(child -> collect(child, refs));
    }

    /** Ember's v2 schemas have every property and every required field of the protocol's own. */
    @Test
    void theV2ShapesKeepTheProtocolsFields() throws IOException {
        JsonNode protocol;
        try (InputStream in = OpenApiTest.class.getResourceAsStream(
                "/open-inference-protocol/open_inference_rest.yaml")) {
            protocol = new ObjectMapper(new YAMLFactory()).readTree(in).path("components").path("schemas");
        }
        Map<String, String> ours = Map.of(
                "metadata_server_response", "server_metadata_response",
                "metadata_model_response", "model_metadata_response",
                "metadata_tensor", "metadata_tensor",
                "inference_request", "inference_request",
                "request_input", "request_input",
                "request_output", "request_output",
                "response_output", "response_output",
                "inference_response", "inference_response",
                "inference_error_response", "error_response");
        JsonNode schemas = doc.path("components").path("schemas");
        ours.forEach((theirs, mine) -> {
            JsonNode spec = protocol.path(theirs);
            JsonNode own = schemas.path(mine);
            assertThat(spec.isMissingNode()).as(theirs).isFalse();
            Set<String> required = new TreeSet<>();
            spec.path("required").forEach(f -> required.add(f.asText()));
            Set<String> ownRequired = new TreeSet<>();
            own.path("required").forEach(f -> ownRequired.add(f.asText()));
            assertThat(ownRequired).as("required fields of %s", mine).containsAll(required);
            // the protocol's optional "parameters" and "properties" are accepted and ignored, not answered
            spec.path("properties").fieldNames().forEachRemaining(field -> {
                if (!field.equals("properties") && !(field.equals("parameters") && (mine.endsWith("response")
                        || mine.equals("response_output")))) {
                    assertThat(own.path("properties").has(field)).as("%s.%s", mine, field).isTrue();
                }
            });
        });
    }
}
