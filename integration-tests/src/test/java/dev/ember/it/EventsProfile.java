package dev.ember.it;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/**
 * The fixture repository with event routes for every acknowledgement the CloudEvents ingress gives, beside the
 * shipped {@code dev.ember.embed.request -> embed} route: linear split 50/50 (v1 and v2 have different weights, so
 * every reply proves which version served), a pinned route, a no-reply route, routes to nothing, and scale_int64
 * with a zero timeout (every call 504).
 */
public class EventsProfile implements QuarkusTestProfile {

    static final String SUM = "dev.ember.test.sum";
    static final String SUM_REPLY = "dev.ember.test.sum.done";
    static final String FIRE_AND_FORGET = "dev.ember.test.fire";
    static final String LINEAR = "dev.ember.test.linear";
    static final String LINEAR_V1 = "dev.ember.test.linear.v1";
    static final String LINEAR_V9 = "dev.ember.test.linear.v9";
    static final String GONE = "dev.ember.test.gone";
    static final String SLOW = "dev.ember.test.slow";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                route(SUM, "function", "add"),
                route(SUM, "reply-type", SUM_REPLY),
                route(FIRE_AND_FORGET, "function", "add"),
                route(FIRE_AND_FORGET, "reply", "false"),
                route(LINEAR, "function", "linear"),
                route(LINEAR_V1, "function", "linear/1"),
                route(LINEAR_V9, "function", "linear/9"),
                route(GONE, "function", "no_such_function"),
                route(SLOW, "function", "scale_int64"),
                Map.entry("ember.functions.linear.versions.1.percent", "50"),
                Map.entry("ember.functions.linear.versions.2.percent", "50"),
                Map.entry("ember.functions.scale_int64.timeout", "0s"));
    }

    private static Map.Entry<String, String> route(String type, String key, String value) {
        return Map.entry("ember.events.routes.\"" + type + "\"." + key, value);
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(FixtureRepository.class));
    }
}
