package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Turns a CRD's {@code openAPIV3Schema} (a Kubernetes structural schema) into a draft-4 JSON Schema that judges
 * a manifest the way {@code kubectl apply} with strict field validation does:
 * <ul>
 *   <li>an object with {@code properties} rejects unknown fields ({@code additionalProperties: false}) unless it
 *       carries {@code x-kubernetes-preserve-unknown-fields: true}, where anything goes (Knative leaves many
 *       podspec fields that way: they are checked by {@link ServingPolicy} instead);</li>
 *   <li>{@code x-kubernetes-int-or-string} accepts an integer or a string;</li>
 *   <li>{@code nullable: true} admits null;</li>
 *   <li>other {@code x-kubernetes-*} keywords and OpenAPI's {@code format} (int64, byte...) are not JSON Schema
 *       assertions and are dropped; list-map key uniqueness is checked separately by {@link CrdSchemaValidator}.</li>
 * </ul>
 * Value validations inside {@code anyOf}/{@code allOf}/{@code oneOf}/{@code not} are not structural, so they get
 * no {@code additionalProperties}.
 */
final class StructuralSchemaConverter {

    private static final Set<String> DROPPED = Set.of("format", "nullable", "description", "default", "example",
            "externalDocs");
    private static final Set<String> LOGIC = Set.of("anyOf", "allOf", "oneOf");

    private StructuralSchemaConverter() {
    }

    static ObjectNode toJsonSchema(JsonNode openApiSchema) {
        ObjectNode out = convert(openApiSchema, true);
        // the API server always accepts these at the root; some CRDs (Knative Eventing's) leave them out
        ObjectNode props = out.has("properties") ? (ObjectNode) out.get("properties") : out.putObject("properties");
        if (!props.has("apiVersion")) {
            props.putObject("apiVersion").put("type", "string");
        }
        if (!props.has("kind")) {
            props.putObject("kind").put("type", "string");
        }
        if (!props.has("metadata")) {
            props.putObject("metadata").put("type", "object");
        }
        out.put("$schema", "http://json-schema.org/draft-04/schema#");
        return out;
    }

    private static ObjectNode convert(JsonNode in, boolean structural) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        boolean preserveUnknown = in.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        boolean intOrString = in.path("x-kubernetes-int-or-string").asBoolean(false);
        boolean nullable = in.path("nullable").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.startsWith("x-kubernetes-") || DROPPED.contains(key)) {
                continue;
            }
            switch (key) {
                case "properties" -> {
                    ObjectNode props = out.putObject("properties");
                    value.fields().forEachRemaining(p -> props.set(p.getKey(), convert(p.getValue(), structural)));
                }
                case "items" -> out.set("items", value.isObject() ? convert(value, structural) : value.deepCopy());
                case "additionalProperties" -> out.set(key, value.isObject() ? convert(value, structural) : value.deepCopy());
                case "not" -> out.set(key, convert(value, false));
                default -> {
                    if (LOGIC.contains(key) && value.isArray()) {
                        ArrayNode list = out.putArray(key);
                        value.forEach(s -> list.add(convert(s, false)));
                    } else {
                        out.set(key, value.deepCopy());
                    }
                }
            }
        }
        if (intOrString) {
            out.remove("type");
            if (!out.has("anyOf")) {
                ArrayNode anyOf = out.putArray("anyOf");
                anyOf.addObject().put("type", "integer");
                anyOf.addObject().put("type", "string");
            }
        }
        if (nullable && out.has("type") && out.get("type").isTextual()) {
            ArrayNode types = JsonNodeFactory.instance.arrayNode();
            types.add(out.get("type").asText()).add("null");
            out.set("type", types);
        }
        if (structural && !preserveUnknown && out.has("properties") && !out.has("additionalProperties")) {
            out.put("additionalProperties", false);
        }
        return out;
    }
}
