package dev.ember.it;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The shipped configuration with a short idle timeout, so that a stalled client's disconnection is seen quickly. */
public class TransportProfile implements QuarkusTestProfile {

    static final int IDLE_SECONDS = 3;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("quarkus.http.idle-timeout", IDLE_SECONDS + "s");
    }
}
