package dev.ember.knative.manifests;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The Broker delivers with retries and a dead-letter sink; each Trigger resolves to manifests in the repository. */
class EventingManifestTest {

    private static List<Manifest> all;

    @BeforeAll
    static void load() {
        all = Manifest.all();
    }

    @TestFactory
    Stream<DynamicTest> brokersAndTriggersFollowThePolicy() {
        Stream<DynamicTest> brokers = Manifest.ofKind(all, "eventing.knative.dev/v1", "Broker").stream()
                .map(b -> DynamicTest.dynamicTest(b.toString(),
                        () -> assertThat(EventingPolicy.checkBroker(b, all)).isEmpty()));
        Stream<DynamicTest> triggers = Manifest.ofKind(all, "eventing.knative.dev/v1", "Trigger").stream()
                .map(t -> DynamicTest.dynamicTest(t.toString(),
                        () -> assertThat(EventingPolicy.checkTrigger(t, all)).isEmpty()));
        return Stream.concat(brokers, triggers);
    }

    @Test
    void embedRequestsRouteToTheEmbedService() {
        Manifest trigger = Manifest.ofKind(all, "eventing.knative.dev/v1", "Trigger").stream()
                .filter(t -> t.doc().at("/spec/filter/attributes/type").asText().equals("dev.ember.embed.request"))
                .findFirst().orElseThrow();
        assertThat(trigger.doc().at("/spec/subscriber/ref/name").asText()).isEqualTo("ember-embed");
        assertThat(trigger.doc().at("/spec/broker").asText()).isEqualTo("ember");
        assertThat(EventingPolicy.checkTypesUnique(all)).isEmpty();
    }

    @Test
    void theBrokerRetriesWithBackoffThenDeadLetters() {
        Manifest broker = Manifest.ofKind(all, "eventing.knative.dev/v1", "Broker").stream()
                .filter(b -> b.name().equals("ember")).findFirst().orElseThrow();
        assertThat(broker.doc().at("/spec/delivery/retry").asInt()).isEqualTo(5);
        assertThat(broker.doc().at("/spec/delivery/backoffPolicy").asText()).isEqualTo("exponential");
        assertThat(broker.doc().at("/spec/delivery/deadLetterSink/ref/name").asText()).isEqualTo("ember-dead-letter");
    }
}
