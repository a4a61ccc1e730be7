package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/**
 * Merges an overlay onto a Kubernetes object the way {@code kubectl}'s strategic merge does for the fields Ember's
 * overlays touch: maps merge key by key and a null value removes the key; lists whose items all have a {@code name}
 * (containers, env, volumes) merge item by item on that name, an item {@code {name: X, $patch: delete}} removes X;
 * every other list (tolerations, args) is replaced whole.
 */
final class ManifestOverlay {

    static final String PATCH = "$patch";

    private ManifestOverlay() {
    }

    /** A new object: {@code base} with {@code overlay} merged on top (neither is changed). */
    static JsonNode apply(JsonNode base, JsonNode overlay) {
        return merge(base.deepCopy(), overlay);
    }

    private static JsonNode merge(JsonNode base, JsonNode overlay) {
        if (base instanceof ObjectNode target && overlay.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = overlay.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNull()) {
                    target.remove(e.getKey());
                } else if (target.has(e.getKey())) {
                    target.set(e.getKey(), merge(target.get(e.getKey()), e.getValue()));
                } else {
                    target.set(e.getKey(), withoutDirectives(e.getValue()));
                }
            }
            return target;
        }
        if (base instanceof ArrayNode target && overlay.isArray() && named(target) && named(overlay)) {
            for (JsonNode item : overlay) {
                String name = item.path("name").asText();
                int at = indexOf(target, name);
                if ("delete".equals(item.path(PATCH).asText())) {
                    if (at < 0) {
                        throw new IllegalArgumentException("overlay deletes " + name + ", which is not in the base");
                    }
                    target.remove(at);
                } else if (at >= 0) {
                    target.set(at, merge(target.get(at), item));
                } else {
                    target.add(withoutDirectives(item));
                }
            }
            return target;
        }
        return withoutDirectives(overlay);
    }

    private static JsonNode withoutDirectives(JsonNode node) {
        JsonNode copy = node.deepCopy();
        if (copy instanceof ObjectNode object) {
            if (object.has(PATCH)) {
                throw new IllegalArgumentException("overlay directive " + PATCH + " on " + node + " has nothing to act on");
            }
            object.fieldNames().forEachRemaining(f -> object.set(f, withoutDirectives(object.get(f))));
        } else if (copy instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, withoutDirectives(array.get(i)));
            }
        }
        return copy;
    }

    private static boolean named(JsonNode list) {
        if (list.isEmpty()) {
            return false;
        }
        for (JsonNode item : list) {
            if (!item.isObject() || !item.path("name").isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(ArrayNode list, String name) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).path("name").asText().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
