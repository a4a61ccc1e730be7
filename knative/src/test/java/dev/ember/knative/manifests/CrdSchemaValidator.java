package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Validates Kubernetes objects against the vendored CRDs in {@code src/test/resources/knative-crds/}: the CRD is found by
 * the object's API group, version and kind, its {@code openAPIV3Schema} is converted by
 * {@link StructuralSchemaConverter} and applied with networknt's JSON Schema validator. On top: the checks the
 * API server makes outside the schema (object name, list-map keys unique, e.g. two env vars of one name).
 */
public final class CrdSchemaValidator {

    record Crd(String group, String version, String kind, JsonNode openApiSchema, Schema jsonSchema) {
    }

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private final Map<String, Crd> crds = new HashMap<>();

    private CrdSchemaValidator() {
    }

    /** The reference CRDs, vendored as test resources. */
    public static CrdSchemaValidator reference() {
        return load(referenceDir());
    }

    /** The {@code knative-crds} directory on the test class path (test resources are plain files, not a jar). */
    static Path referenceDir() {
        URL dir = CrdSchemaValidator.class.getResource("/knative-crds");
        if (dir == null) {
            throw new IllegalStateException("Knative CRD reference directory knative-crds/ not on the test class path");
        }
        try {
            return Path.of(dir.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static CrdSchemaValidator load(Path dir) {
        CrdSchemaValidator validator = new CrdSchemaValidator();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                JsonNode doc = YAML.readTree(file.toFile());
                if (!"CustomResourceDefinition".equals(doc.path("kind").asText())) {
                    continue; // the config-* ConfigMaps, checked by KnativeConfigTest
                }
                String group = doc.path("spec").path("group").asText();
                String kind = doc.path("spec").path("names").path("kind").asText();
                for (JsonNode version : doc.path("spec").path("versions")) {
                    JsonNode schema = version.path("schema").path("openAPIV3Schema");
                    Crd crd = new Crd(group, version.path("name").asText(), kind, schema,
                            registry.getSchema(StructuralSchemaConverter.toJsonSchema(schema)));
                    validator.crds.put(key(group + "/" + crd.version(), kind), crd);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (validator.crds.isEmpty()) {
            throw new IllegalStateException("no CustomResourceDefinition found in " + dir.toAbsolutePath());
        }
        return validator;
    }

    Optional<Crd> crdFor(JsonNode object) {
        return Optional.ofNullable(crds.get(key(object.path("apiVersion").asText(), object.path("kind").asText())));
    }

    Set<String> kinds() {
        return crds.keySet();
    }

    /** Problems with {@code object}, each naming the field ({@code $.spec.template...}); empty when valid. */
    public List<String> validate(JsonNode object) {
        Crd crd = crdFor(object).orElse(null);
        if (crd == null) {
            return List.of("no CRD for apiVersion " + object.path("apiVersion").asText() + " kind "
                    + object.path("kind").asText() + " in " + referenceDir());
        }
        List<String> problems = new ArrayList<>();
        object = pruneNulls(crd.openApiSchema(), object.deepCopy());
        for (Error error : crd.jsonSchema().validate(object)) {
            problems.add(fieldPath(error.getInstanceLocation()) + ": " + error.getMessage());
        }
        checkMetadata(object, crd, problems);
        checkListKeys(crd.openApiSchema(), object, "$", problems);
        return problems;
    }

    /**
     * What the API server does before it validates a custom resource: a null value of a field whose schema is not
     * {@code nullable: true} is pruned (quarkus-kubernetes writes {@code port: null} into Knative probes).
     */
    static JsonNode pruneNulls(JsonNode schema, JsonNode value) {
        if (value instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
            List<String> nulls = new ArrayList<>();
            object.fields().forEachRemaining(e -> {
                JsonNode child = childSchema(schema, e.getKey());
                if (e.getValue().isNull() && !child.path("nullable").asBoolean(false)) {
                    nulls.add(e.getKey());
                } else {
                    pruneNulls(child, e.getValue());
                }
            });
            object.remove(nulls);
        } else if (value != null && value.isArray()) {
            value.forEach(item -> pruneNulls(schema == null ? null : schema.path("items"), item));
        }
        return value;
    }

    private static JsonNode childSchema(JsonNode schema, String field) {
        if (schema == null) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        JsonNode child = schema.path("properties").path(field);
        return child.isMissingNode() && schema.path("additionalProperties").isObject()
                ? schema.path("additionalProperties") : child;
    }

    /** {@code $.spec.traffic[0].percent}: the spelling kubectl's errors and the policies use. */
    static String fieldPath(NodePath location) {
        StringBuilder out = new StringBuilder("$");
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                out.append('[').append(index).append(']');
            } else {
                out.append('.').append(element);
            }
        }
        return out.toString();
    }

    private static void checkMetadata(JsonNode object, Crd crd, List<String> problems) {
        JsonNode meta = object.path("metadata");
        String name = meta.path("name").asText("");
        if (name.isEmpty()) {
            problems.add("$.metadata.name: required");
        } else if (crd.group().equals("serving.knative.dev") && crd.kind().equals("Service")) {
            // a Knative Service name becomes part of host names and revision names: a DNS-1035 label
            if (!DNS_LABEL.matcher(name).matches() || name.length() > 63) {
                problems.add("$.metadata.name: '" + name + "' is not a DNS-1035 label of at most 63 characters");
            }
        } else if (!DNS_SUBDOMAIN.matcher(name).matches() || name.length() > 253) {
            problems.add("$.metadata.name: '" + name + "' is not a DNS-1123 subdomain");
        }
        for (String field : List.of("labels", "annotations")) {
            meta.path(field).fields().forEachRemaining(e -> {
                if (!e.getValue().isTextual()) {
                    problems.add("$.metadata." + field + "." + e.getKey() + ": must be a string, was "
                            + e.getValue().getNodeType());
                }
            });
        }
    }

    /** {@code x-kubernetes-list-type: map|set}: the API server rejects duplicate keys, the schema cannot say so. */
    private static void checkListKeys(JsonNode schema, JsonNode value, String path, List<String> problems) {
        if (schema == null || schema.isMissingNode() || value == null) {
            return;
        }
        if (value.isArray()) {
            String listType = schema.path("x-kubernetes-list-type").asText("");
            if (listType.equals("map") || listType.equals("set")) {
                List<String> keys = new ArrayList<>();
                schema.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < value.size(); i++) {
                    JsonNode item = value.get(i);
                    String id = listType.equals("set") ? item.toString()
                            : keys.stream().map(k -> item.path(k).asText("")).toList().toString();
                    if (!seen.add(id)) {
                        problems.add(path + "[" + i + "]: duplicate " + (listType.equals("set") ? "entry " + id
                                : "entry for key " + keys + " = " + id));
                    }
                }
            }
            for (int i = 0; i < value.size(); i++) {
                checkListKeys(schema.path("items"), value.get(i), path + "[" + i + "]", problems);
            }
        } else if (value.isObject()) {
            value.fields().forEachRemaining(e -> {
                JsonNode child = schema.path("properties").path(e.getKey());
                if (child.isMissingNode() && schema.path("additionalProperties").isObject()) {
                    child = schema.path("additionalProperties");
                }
                checkListKeys(child, e.getValue(), path + "." + e.getKey(), problems);
            });
        }
    }

    private static String key(String apiVersion, String kind) {
        return apiVersion + "|" + kind;
    }
}
