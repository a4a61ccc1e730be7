package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Knative system ConfigMap snippet ({@code config-features}, {@code config-autoscaler}) against the reference
 * copy in {@code src/test/resources/knative-crds/serving-config-*.yaml}: Knative has no schema for these, only
 * the documented keys of the {@code _example} block. Every key set here must be one of them, with a value of the
 * same sort (a feature state, a boolean, a number, a duration).
 */
final class KnativeConfigPolicy {

    private static final Pattern EXAMPLE_ENTRY = Pattern.compile("^\\s*([A-Za-z0-9][A-Za-z0-9.\\-]*):\\s*\"?([^\"]*)\"?\\s*$");
    private static final Set<String> FEATURE_STATES = Set.of("enabled", "disabled", "allowed");

    private KnativeConfigPolicy() {
    }

    static List<String> check(Manifest configMap) {
        List<String> p = new ArrayList<>();
        JsonNode doc = configMap.doc();
        String name = configMap.name();
        if (!doc.path("metadata").path("namespace").asText().equals("knative-serving")) {
            p.add("metadata.namespace: Knative reads " + name + " from knative-serving, was "
                    + doc.path("metadata").path("namespace"));
        }
        if (!name.startsWith("config-")) {
            p.add("metadata.name: '" + name + "' is not a Knative config-* ConfigMap");
            return p;
        }
        Path reference = CrdSchemaValidator.referenceDir().resolve("serving-" + name + ".yaml");
        if (!Files.exists(reference)) {
            p.add("metadata.name: no reference " + reference.getFileName() + " to check " + name + " against");
            return p;
        }
        Map<String, String> documented = documentedKeys(reference);
        JsonNode data = doc.path("data");
        if (!data.isObject() || data.isEmpty()) {
            p.add("data: empty");
        }
        data.fields().forEachRemaining(e -> {
            String key = e.getKey();
            String at = "data." + key;
            if (key.equals("_example")) {
                p.add(at + ": do not copy the example block");
                return;
            }
            if (!e.getValue().isTextual()) {
                p.add(at + ": ConfigMap values are strings; quote " + e.getValue());
                return;
            }
            String value = e.getValue().asText();
            String example = documented.get(key);
            if (example == null) {
                p.add(at + ": not a key Knative documents in " + name);
                return;
            }
            if (FEATURE_STATES.contains(example) && !FEATURE_STATES.contains(value)) {
                p.add(at + ": must be enabled, disabled or allowed, was '" + value + "'");
            } else if ((example.equals("true") || example.equals("false"))
                    && !value.equals("true") && !value.equals("false")) {
                p.add(at + ": must be true or false, was '" + value + "'");
            } else if (example.matches("-?\\d+(\\.\\d+)?") && !value.matches("-?\\d+(\\.\\d+)?")) {
                p.add(at + ": must be a number, was '" + value + "'");
            } else if (example.matches("\\d+(s|m|h)") && !value.matches("\\d+(ms|s|m|h)")) {
                p.add(at + ": must be a duration like 30s, was '" + value + "'");
            }
        });
        return p;
    }

    /** key -> example value, from the uncommented lines of the reference's {@code _example} block. */
    static Map<String, String> documentedKeys(Path reference) {
        Map<String, String> keys = new HashMap<>();
        JsonNode doc = Manifest.read(reference).get(0).doc();
        for (String line : doc.path("data").path("_example").asText().split("\n")) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            Matcher m = EXAMPLE_ENTRY.matcher(line);
            if (m.matches()) {
                keys.put(m.group(1), m.group(2));
            }
        }
        return keys;
    }
}
