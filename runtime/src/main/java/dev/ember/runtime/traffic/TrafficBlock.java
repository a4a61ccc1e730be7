package dev.ember.runtime.traffic;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.runtime.api.InvalidInputException;
import dev.ember.runtime.repository.ModelNames;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code GET} and {@code PUT /functions/{f}/traffic}: Knative's traffic block by version,
 * {@code {"traffic": [{"version": "1", "percent": 90, "tag": "stable"}, ...]}}.
 */
public record TrafficBlock(List<Entry> traffic) {

    private static final Set<String> ENTRY_FIELDS = Set.of("version", "percent", "tag");

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String version, int percent, String tag) {
    }

    public static TrafficBlock of(TrafficSplit split) {
        return new TrafficBlock(split.targets().stream()
                .map(t -> new Entry(String.valueOf(t.version()), t.percent(), t.tag())).toList());
    }

    /** Reads a PUT body strictly (an unknown field is an error, not ignored); every message names the field. */
    public static TrafficSplit parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidInputException("the body must be a JSON object {\"traffic\": [...]}");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("traffic")) {
                throw new InvalidInputException("'" + name + "' is not a field: the body is {\"traffic\": [...]}");
            }
        }
        JsonNode list = body.get("traffic");
        if (list == null || !list.isArray()) {
            throw new InvalidInputException(
                    "'traffic' must be an array of {\"version\": \"1\", \"percent\": 100, \"tag\": \"stable\"}");
        }
        List<TrafficSplit.Target> targets = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            targets.add(target(list.get(i), "traffic[" + i + "]"));
        }
        return new TrafficSplit(targets);
    }

    private static TrafficSplit.Target target(JsonNode entry, String at) {
        if (!entry.isObject()) {
            throw new InvalidInputException("'" + at + "' must be an object {\"version\", \"percent\", \"tag\"}");
        }
        for (Iterator<String> names = entry.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!ENTRY_FIELDS.contains(name)) {
                throw new InvalidInputException("'" + at + "." + name + "' is not a field (version, percent, tag)");
            }
        }
        JsonNode version = entry.get("version");
        // "1" as GET writes it; a bare 1 is accepted too
        int v = version != null && (version.isTextual() || version.isIntegralNumber())
                ? ModelNames.parseVersion(version.asText()) : -1;
        if (v < 0) {
            throw new InvalidInputException("'" + at + ".version' must be a version number such as \"1\"");
        }
        JsonNode percent = entry.get("percent");
        if (percent == null || !percent.isIntegralNumber() || !percent.canConvertToInt()
                || percent.intValue() < 0 || percent.intValue() > 100) {
            throw new InvalidInputException("'" + at + ".percent' must be an integer from 0 to 100");
        }
        JsonNode tag = entry.get("tag");
        if (tag != null && !tag.isNull() && !tag.isTextual()) {
            throw new InvalidInputException("'" + at + ".tag' must be a string");
        }
        return new TrafficSplit.Target(v, percent.intValue(), tag == null || tag.isNull() ? null : tag.asText());
    }
}
