package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Ember's rules for its Brokers and Triggers, and that the references between manifests resolve. */
final class EventingPolicy {

    private EventingPolicy() {
    }

    /** Delivery: bounded retries with backoff; brokers that Triggers use also dead-letter. */
    static List<String> checkBroker(Manifest broker, List<Manifest> all) {
        List<String> p = new ArrayList<>();
        JsonNode delivery = broker.doc().path("spec").path("delivery");
        if (delivery.path("retry").asInt(0) < 1) {
            p.add("spec.delivery.retry: must be at least 1, was " + delivery.path("retry"));
        }
        String policy = delivery.path("backoffPolicy").asText("");
        if (!policy.equals("exponential") && !policy.equals("linear")) {
            p.add("spec.delivery.backoffPolicy: must be exponential or linear, was '" + policy + "'");
        }
        try {
            Duration delay = Duration.parse(delivery.path("backoffDelay").asText(""));
            if (delay.isNegative() || delay.isZero()) {
                p.add("spec.delivery.backoffDelay: must be positive");
            }
        } catch (DateTimeParseException e) {
            p.add("spec.delivery.backoffDelay: not an ISO-8601 duration: '" + delivery.path("backoffDelay").asText("")
                    + "'");
        }
        boolean routed = Manifest.ofKind(all, "eventing.knative.dev/v1", "Trigger").stream()
                .anyMatch(t -> t.doc().path("spec").path("broker").asText().equals(broker.name()));
        JsonNode dls = delivery.path("deadLetterSink");
        if (routed && !dls.has("ref") && !dls.has("uri")) {
            p.add("spec.delivery.deadLetterSink: a Broker that Triggers route from must dead-letter what fails");
        }
        if (dls.has("ref")) {
            p.addAll(resolves(dls.path("ref"), all, "spec.delivery.deadLetterSink.ref"));
            if (dls.path("ref").path("name").asText().equals(broker.name())) {
                p.add("spec.delivery.deadLetterSink.ref: a Broker must not dead-letter into itself");
            }
        }
        return p;
    }

    static List<String> checkTrigger(Manifest trigger, List<Manifest> all) {
        List<String> p = new ArrayList<>();
        JsonNode spec = trigger.doc().path("spec");
        String broker = spec.path("broker").asText("");
        if (Manifest.ofKind(all, "eventing.knative.dev/v1", "Broker").stream().noneMatch(b -> b.name().equals(broker))) {
            p.add("spec.broker: no Broker named '" + broker + "' among the manifests");
        }
        // the CRD leaves attributes open, but Knative's webhook decodes them as strings
        spec.path("filter").path("attributes").fields().forEachRemaining(a -> {
            if (!a.getValue().isTextual()) {
                p.add("spec.filter.attributes." + a.getKey() + ": must be a string, was " + a.getValue());
            }
        });
        if (spec.path("filter").path("attributes").path("type").asText("").isEmpty()) {
            p.add("spec.filter.attributes.type: a Trigger routes one CloudEvents type; set it");
        }
        if (!spec.path("subscriber").has("ref")) {
            p.add("spec.subscriber.ref: must name the Knative Service hosting the function");
        } else {
            p.addAll(resolves(spec.path("subscriber").path("ref"), all, "spec.subscriber.ref"));
        }
        return p;
    }

    /** No two Triggers of one Broker route the same type (the event would be delivered twice). */
    static List<String> checkTypesUnique(List<Manifest> all) {
        List<String> p = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Manifest t : Manifest.ofKind(all, "eventing.knative.dev/v1", "Trigger")) {
            JsonNode spec = t.doc().path("spec");
            String key = spec.path("broker").asText() + " / " + spec.path("filter").path("attributes").path("type").asText();
            if (!seen.add(key)) {
                p.add(t + ": type already routed by another Trigger: " + key);
            }
        }
        return p;
    }

    private static List<String> resolves(JsonNode ref, List<Manifest> all, String at) {
        String apiVersion = ref.path("apiVersion").asText();
        String kind = ref.path("kind").asText();
        String name = ref.path("name").asText();
        if (all.stream().noneMatch(m -> m.is(apiVersion, kind) && m.name().equals(name))) {
            return List.of(at + ": " + kind + " " + name + " (" + apiVersion + ") is not among the manifests");
        }
        return List.of();
    }
}
